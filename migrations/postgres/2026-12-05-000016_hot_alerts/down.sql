DROP TABLE hot_alerts;
ALTER TABLE users DROP COLUMN hot_alerts;
ALTER TABLE projects DROP COLUMN alert_answers;
ALTER TABLE projects DROP COLUMN alert_question;
ALTER TABLE projects DROP COLUMN alert_below_percent;
