ALTER TABLE disclosures DROP COLUMN share_id;
DROP TABLE share_rows;
DROP TABLE shares;
