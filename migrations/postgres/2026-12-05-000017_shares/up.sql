-- Friendly-competitor shares: a company marked a friendly competitor receives the name and
-- street address of the active shoppers in an area whose sharing consent is in force when the
-- share is made (email and phone only with the separate contact consent). The list is fixed
-- when made (share_rows), and reaches the recipient by a link that works once and expires
-- (link_hash: a keyed hash of the token mailed), or staff download it.
CREATE TABLE shares (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    purpose TEXT NOT NULL,
    area TEXT NOT NULL,
    recipient_email TEXT,
    link_hash TEXT UNIQUE,
    link_expires_at TIMESTAMP,
    downloaded_at TIMESTAMP,
    people INTEGER NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE share_rows (
    share_id BIGINT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    legal_name TEXT NOT NULL,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    PRIMARY KEY (share_id, shopper_id)
);
CREATE INDEX share_rows_shopper ON share_rows (shopper_id);
-- A disclosure made by a share names it.
ALTER TABLE disclosures ADD COLUMN share_id BIGINT REFERENCES shares (id);
