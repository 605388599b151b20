-- Throttling counts more than failed sign-ins now (sign-ups, reset and confirmation requests
-- per client address), and a failure answered 429 is not counted: one table of attempts.
ALTER TABLE login_failures RENAME TO attempts;
ALTER TABLE attempts RENAME COLUMN failed_at TO attempted_at;
DROP INDEX login_failures_subject;
CREATE INDEX attempts_subject ON attempts (subject, attempted_at);

-- The owner is mailed about repeated failed sign-ins at most once a day: a new purpose.
CREATE TABLE one_time_tokens_new (
    jti TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'notice', 'failures')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO one_time_tokens_new SELECT jti, user_id, purpose, created_at, expires_at, used_at FROM one_time_tokens;
DROP TABLE one_time_tokens;
ALTER TABLE one_time_tokens_new RENAME TO one_time_tokens;
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id);
