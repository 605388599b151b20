CREATE TABLE one_time_tokens_old (
    jti TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'notice')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO one_time_tokens_old SELECT jti, user_id, purpose, created_at, expires_at, used_at FROM one_time_tokens WHERE purpose <> 'failures';
DROP TABLE one_time_tokens;
ALTER TABLE one_time_tokens_old RENAME TO one_time_tokens;
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id);

DROP INDEX attempts_subject;
ALTER TABLE attempts RENAME COLUMN attempted_at TO failed_at;
ALTER TABLE attempts RENAME TO login_failures;
CREATE INDEX login_failures_subject ON login_failures (subject, failed_at);
