ALTER TABLE shoppers DROP COLUMN sensitive_limited_at;
ALTER TABLE mail_outbox DROP COLUMN erase_when_sent;
ALTER TABLE users DROP COLUMN erased_at;
