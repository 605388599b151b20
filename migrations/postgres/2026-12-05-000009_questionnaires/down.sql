ALTER TABLE projects DROP COLUMN report_grace_days;
DROP TABLE reports;
DROP TABLE questionnaires;
