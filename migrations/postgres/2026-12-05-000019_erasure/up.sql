-- Deleting a person at their request: the account is kept as an empty, disabled shell (its id
-- keeps released reports pseudonymous for the client), marked erased_at. A mail whose
-- recipient is a deleted person (the answer to their deletion request) is removed from the
-- outbox once sent or failed (erase_when_sent).
ALTER TABLE users ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE mail_outbox ADD COLUMN erase_when_sent BOOLEAN NOT NULL DEFAULT FALSE;
-- A shopper who limited the use of their sensitive data: their date of birth and languages are
-- no longer used for matching (jobs that ask for an age or a language cannot be offered).
ALTER TABLE shoppers ADD COLUMN sensitive_limited_at TIMESTAMP;
