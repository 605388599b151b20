ALTER TABLE organizations DROP COLUMN same_as;
ALTER TABLE locations DROP COLUMN name_key;
