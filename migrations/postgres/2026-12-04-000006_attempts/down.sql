DELETE FROM one_time_tokens WHERE purpose = 'failures';
ALTER TABLE one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
    CHECK (purpose IN ('verify', 'reset', 'notice'));
ALTER INDEX attempts_subject RENAME TO login_failures_subject;
ALTER TABLE attempts RENAME COLUMN attempted_at TO failed_at;
ALTER TABLE attempts RENAME TO login_failures;
