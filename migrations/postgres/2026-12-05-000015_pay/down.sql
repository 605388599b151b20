DROP TABLE ledger_lines;
DROP TABLE payouts;
DROP TABLE disputes;
ALTER TABLE projects DROP COLUMN visit_minutes;
ALTER TABLE projects DROP COLUMN dispute_days;
