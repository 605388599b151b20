-- Receipts, photos and recordings of an assignment: the objects in storage (random keys), what
-- the file was, and the verification data read from a photo (when and where it was taken).
-- The same file sent twice is stored once (its content hash, per assignment).
CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id BIGINT NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    question TEXT,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    web_key TEXT,
    thumb_key TEXT,
    original_key TEXT,
    bytes BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    duration_ms BIGINT,
    taken_at TIMESTAMP,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (assignment_id, content_hash)
);
