-- Authorised agents that speak the Data Rights Protocol (DRP 0.9.4), registered by the privacy
-- officer with the Ed25519 key they sign with (base64). token_hash is a keyed hash of the
-- pair-wise bearer token an agent got from POST /drp/v1/agent/{id}; a status callback must start
-- with callback_base, so that an agent cannot make the service call an address nobody checked.
CREATE TABLE drp_agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    verify_key TEXT NOT NULL,
    callback_base TEXT,
    technical_contact TEXT NOT NULL,
    token_hash TEXT,
    token_issued_at TIMESTAMP,
    last_pairing TEXT,
    registered_by BIGINT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
-- A request made by an agent: agent_id names a DRP agent, or agent_name and agent_email an agent
-- who used the public form with a signed authorisation (authorisation_key: the stored file).
-- drp_id is the request's id in the protocol, message_hash the keyed hash of the signed message
-- (a message is used once), callback_due_at when its agent is next told its status.
CREATE TABLE privacy_request_agents (
    request_id BIGINT PRIMARY KEY REFERENCES privacy_requests (id) ON DELETE CASCADE,
    agent_id TEXT,
    agent_name TEXT NOT NULL,
    agent_email TEXT,
    authorisation_key TEXT,
    drp_id TEXT,
    agent_request_id TEXT,
    status_callback TEXT,
    message_hash TEXT,
    callback_due_at TIMESTAMP,
    callback_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX privacy_request_agents_drp_id ON privacy_request_agents (drp_id);
CREATE UNIQUE INDEX privacy_request_agents_message ON privacy_request_agents (message_hash);
CREATE INDEX privacy_request_agents_callbacks ON privacy_request_agents (callback_due_at);
