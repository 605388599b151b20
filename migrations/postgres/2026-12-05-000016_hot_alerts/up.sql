-- Hot alerts: a released report whose score is below the project's alert_below_percent, or
-- whose answer to alert_question is one of alert_answers (a JSON list), is mailed at once to
-- the client's reviewers who chose alerts (users.hot_alerts). One alert per report, ever.
ALTER TABLE projects ADD COLUMN alert_below_percent INTEGER CHECK (alert_below_percent BETWEEN 0 AND 100);
ALTER TABLE projects ADD COLUMN alert_question TEXT;
ALTER TABLE projects ADD COLUMN alert_answers TEXT;
ALTER TABLE users ADD COLUMN hot_alerts BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE hot_alerts (
    assignment_id BIGINT PRIMARY KEY REFERENCES assignments (id) ON DELETE CASCADE,
    reasons TEXT NOT NULL,
    recipients INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
