-- The panel: organizations and clients, shoppers and what qualifies them, consents, access
-- records, and the clients' locations, projects and jobs. Every column is classified in
-- src/privacy/inventory.rs.

CREATE TABLE organizations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    friendly_competitor BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT NOT NULL UNIQUE REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE client_competitors (
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, organization_id)
);

ALTER TABLE users ADD COLUMN client_id BIGINT REFERENCES clients (id);

CREATE TABLE shoppers (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('applicant', 'active', 'suspended')),
    legal_name TEXT NOT NULL,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    phone TEXT,
    date_of_birth TEXT,
    tax_id TEXT,
    bank_account TEXT,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    travel_radius_km DOUBLE PRECISION NOT NULL,
    languages TEXT NOT NULL,
    vehicle BOOLEAN NOT NULL,
    agreement_version TEXT NOT NULL,
    privacy_notice_version TEXT NOT NULL,
    agreed_at TIMESTAMP NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX shoppers_status ON shoppers (status);

CREATE TABLE certifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    number TEXT,
    expires_on DATE
);
CREATE INDEX certifications_shopper ON certifications (shopper_id);

CREATE TABLE affiliations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    relation TEXT NOT NULL CHECK (relation IN ('self', 'household')),
    ended_on DATE
);
CREATE INDEX affiliations_shopper ON affiliations (shopper_id);
CREATE INDEX affiliations_organization ON affiliations (organization_id);

CREATE TABLE shopper_status_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('applicant', 'active', 'suspended')),
    reason TEXT NOT NULL,
    changed_by BIGINT REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX shopper_status_changes_shopper ON shopper_status_changes (shopper_id);

CREATE TABLE ratings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 10),
    citation TEXT CHECK (citation IN ('flake', 'late', 'no_show', 'hero', 'excellent_report', 'incomplete_report')),
    note TEXT,
    rated_by BIGINT NOT NULL REFERENCES users (id),
    rated_on DATE NOT NULL
);
CREATE INDEX ratings_shopper ON ratings (shopper_id);

CREATE TABLE consents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('share_name_address', 'share_contact', 'job_offer_emails', 'daily_digest')),
    granted BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX consents_user ON consents (user_id, purpose, id);

CREATE TABLE access_records (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES users (id),
    subject_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    categories TEXT NOT NULL,
    purpose TEXT NOT NULL,
    accessed_at TIMESTAMP NOT NULL
);
CREATE INDEX access_records_subject ON access_records (subject_id, accessed_at);

CREATE TABLE locations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (client_id, code)
);

CREATE TABLE disqualifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    location_id BIGINT REFERENCES locations (id),
    reason TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX disqualifications_shopper ON disqualifications (shopper_id);

CREATE TABLE projects (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    name TEXT NOT NULL,
    max_km DOUBLE PRECISION NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    vehicle BOOLEAN NOT NULL,
    languages TEXT NOT NULL,
    certifications TEXT NOT NULL,
    min_rating DOUBLE PRECISION,
    min_completed INTEGER NOT NULL,
    rotation_days INTEGER NOT NULL,
    fee_cents BIGINT NOT NULL,
    reimbursement_cap_cents BIGINT NOT NULL,
    show_client_name BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    location_id BIGINT NOT NULL REFERENCES locations (id),
    code TEXT NOT NULL,
    window_start DATE NOT NULL,
    window_end DATE NOT NULL,
    fee_cents BIGINT NOT NULL,
    bonus_cents BIGINT NOT NULL,
    reimbursement_cap_cents BIGINT NOT NULL,
    max_km DOUBLE PRECISION,
    min_age INTEGER,
    max_age INTEGER,
    vehicle BOOLEAN,
    languages TEXT,
    certifications TEXT,
    min_rating DOUBLE PRECISION,
    min_completed INTEGER,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (project_id, code)
);
CREATE INDEX jobs_location ON jobs (location_id);
