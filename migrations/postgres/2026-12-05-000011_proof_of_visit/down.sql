ALTER TABLE projects DROP COLUMN photo_distance_limit_m;
ALTER TABLE projects DROP COLUMN photo_time_tolerance_minutes;
ALTER TABLE media DROP COLUMN perceptual_hash;
