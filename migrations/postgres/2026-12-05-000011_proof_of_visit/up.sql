-- Proof of visit: a photo's perceptual hash (to find the same receipt handed in twice), and
-- each project's tolerance for a receipt's time and a photo's distance from the store.
ALTER TABLE media ADD COLUMN perceptual_hash TEXT;
ALTER TABLE projects ADD COLUMN photo_time_tolerance_minutes INTEGER NOT NULL DEFAULT 120;
ALTER TABLE projects ADD COLUMN photo_distance_limit_m INTEGER NOT NULL DEFAULT 500;
