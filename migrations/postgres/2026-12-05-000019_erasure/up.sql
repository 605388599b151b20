-- Deleting a person at their request: the account is kept as an empty, disabled shell (its id
-- keeps released reports pseudonymous for the client), marked erased_at. A mail whose
-- recipient is a deleted person (the answer to their deletion request) is removed from the
-- outbox once sent or failed (erase_when_sent).
ALTER TABLE users ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE mail_outbox ADD COLUMN erase_when_sent BOOLEAN NOT NULL DEFAULT FALSE;
