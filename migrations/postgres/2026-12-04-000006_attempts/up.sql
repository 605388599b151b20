-- Throttling counts more than failed sign-ins now (sign-ups, reset and confirmation requests
-- per client address), and a failure answered 429 is not counted: one table of attempts.
ALTER TABLE login_failures RENAME TO attempts;
ALTER TABLE attempts RENAME COLUMN failed_at TO attempted_at;
ALTER INDEX login_failures_subject RENAME TO attempts_subject;

-- The owner is mailed about repeated failed sign-ins at most once a day: a new purpose.
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
    CHECK (purpose IN ('verify', 'reset', 'notice', 'failures'));
