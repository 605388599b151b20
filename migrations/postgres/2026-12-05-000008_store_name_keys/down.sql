ALTER TABLE locations DROP COLUMN name_key;
