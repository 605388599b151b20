-- What a request to correct asks for: [{"field": "street", "value": "22 Oak Ave"}, ...] (JSON),
-- carried out when the privacy officer completes the request.
ALTER TABLE privacy_requests ADD COLUMN corrections TEXT;
-- Which of a shopper's fields were corrected at their request: a later import of contact
-- details leaves these as corrected.
CREATE TABLE corrections (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    corrected_at TIMESTAMP NOT NULL,
    request_id BIGINT,
    PRIMARY KEY (user_id, field)
);
