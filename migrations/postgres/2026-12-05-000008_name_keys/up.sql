-- Store names are searched the way people mean them (NFKC, case folding, the confusable
-- skeleton of UTS #39): the key is computed by the service, which fills it for stores made
-- before this column at start.
ALTER TABLE locations ADD COLUMN name_key TEXT NOT NULL DEFAULT '';

-- An organization that the name rules (as they grew) find to be the same company as an older
-- one: staff merge them on the organizations page.
ALTER TABLE organizations ADD COLUMN same_as BIGINT;
