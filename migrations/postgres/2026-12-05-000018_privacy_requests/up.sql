-- Privacy requests (know, access, delete, correct, limit, opt out), from a signed-in person, the
-- public form (verified by a code mailed to a contact on file) or an agent. The record of each is
-- kept 24 months, also after the person is deleted, and used for nothing else: subject_id has no
-- foreign key on purpose. status uses the Data Rights Protocol's names (open, in_progress,
-- fulfilled, denied, revoked, expired). code_hash is a keyed hash of the code mailed.
CREATE TABLE privacy_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject_id BIGINT,
    requester_email TEXT NOT NULL,
    requester_name TEXT,
    details TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    verification TEXT NOT NULL,
    matched_points INTEGER NOT NULL DEFAULT 0,
    declaration BOOLEAN NOT NULL DEFAULT FALSE,
    code_hash TEXT,
    code_expires_at TIMESTAMP,
    code_tries INTEGER NOT NULL DEFAULT 0,
    received_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    due_at TIMESTAMP NOT NULL,
    extended_at TIMESTAMP,
    extension_reason TEXT,
    closed_at TIMESTAMP,
    outcome TEXT,
    denial_reason TEXT,
    handled_by BIGINT
);
CREATE INDEX privacy_requests_open ON privacy_requests (status, due_at);
CREATE INDEX privacy_requests_subject ON privacy_requests (subject_id, received_at);
CREATE INDEX privacy_requests_email ON privacy_requests (requester_email, received_at);
-- What happened to a request, in order: received, code sent, verified, extended, completed...
CREATE TABLE privacy_request_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    what TEXT NOT NULL
);
CREATE INDEX privacy_request_events_request ON privacy_request_events (request_id, id);
