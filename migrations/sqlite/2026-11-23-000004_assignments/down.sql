DROP TABLE digests;
DROP TABLE batch_items;
DROP TABLE batches;
DROP TABLE citations;
DROP TABLE assignment_events;
DROP TABLE assignments;
ALTER TABLE projects DROP COLUMN self_assign_min_rating;
ALTER TABLE projects DROP COLUMN offer_hours;
