-- Disclosures: every time a person's data leaves the service for another party (a geocoder
-- placing their street address, a friendly competitor receiving name and address), who
-- received which categories and why. The person can list them (right to know).
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    categories TEXT NOT NULL,
    purpose TEXT NOT NULL,
    disclosed_at TIMESTAMP NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures (subject_id, disclosed_at);
