ALTER TABLE projects DROP COLUMN keep_photo_originals;
