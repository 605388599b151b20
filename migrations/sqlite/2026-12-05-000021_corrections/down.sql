DROP TABLE corrections;
ALTER TABLE privacy_requests DROP COLUMN corrections;
