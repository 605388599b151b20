-- A project may keep each photo's original (its metadata removed, src/media/strip.rs) beside
-- the web copy and thumbnail; off unless the project asks.
ALTER TABLE projects ADD COLUMN keep_photo_originals BOOLEAN NOT NULL DEFAULT FALSE;
