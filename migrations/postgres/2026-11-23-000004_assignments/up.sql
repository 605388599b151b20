-- Scheduling: how long a shopper has to accept an offer, and who may take a job without
-- asking (self-assign, for shoppers rated at least this; NULL: nobody).
ALTER TABLE projects ADD COLUMN offer_hours INTEGER NOT NULL DEFAULT 48;
ALTER TABLE projects ADD COLUMN self_assign_min_rating DOUBLE PRECISION;

-- A shopper's tie to a job, moving through its states (see src/assignments/model.rs).
CREATE TABLE assignments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('requested', 'offered', 'accepted', 'visited', 'submitted', 'declined', 'expired', 'cancelled', 'reassigned')),
    visit_on DATE,
    visited_on DATE,
    offer_expires_at TIMESTAMP,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One shopper holds a job at a time: of two racing for it, the database lets exactly one in.
CREATE UNIQUE INDEX assignments_one_holder ON assignments (job_id)
    WHERE state IN ('offered', 'accepted', 'visited', 'submitted');
-- One open request of a shopper for a job.
CREATE UNIQUE INDEX assignments_one_request ON assignments (job_id, shopper_id)
    WHERE state = 'requested';
CREATE INDEX assignments_shopper ON assignments (shopper_id, state);

-- Every state an assignment went through: who moved it, when, and why.
CREATE TABLE assignment_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id BIGINT NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    note TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX assignment_events_assignment ON assignment_events (assignment_id);
-- Notes the deadline sweep writes once per assignment, however many servers sweep.
CREATE UNIQUE INDEX assignment_events_once ON assignment_events (assignment_id, note)
    WHERE note IN ('overdue: the visit was due by the end of the window', 'reminder sent: the window ends tomorrow');

-- Citations the service records itself (a late cancellation, an overdue visit), or staff.
CREATE TABLE citations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    assignment_id BIGINT REFERENCES assignments (id),
    citation TEXT NOT NULL CHECK (citation IN ('late_cancel', 'overdue')),
    note TEXT,
    cited_by BIGINT REFERENCES users (id),
    cited_on DATE NOT NULL
);
CREATE INDEX citations_shopper ON citations (shopper_id);

-- A batch: the optimal assignment of a set of open jobs, proposed, then sent as offers.
CREATE TABLE batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE TABLE batch_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    shopper_id BIGINT REFERENCES shoppers (user_id) ON DELETE SET NULL,
    metres BIGINT,
    reason TEXT,
    outcome TEXT
);
CREATE INDEX batch_items_batch ON batch_items (batch_id);

-- The daily digest of new jobs: when each opted-in shopper was last checked and mailed.
CREATE TABLE digests (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    checked_on DATE NOT NULL,
    last_sent_at TIMESTAMP
);

-- Places near a point: stores near a shopper (the job board), shoppers near a store.
CREATE INDEX locations_latitude ON locations (latitude);
CREATE INDEX shoppers_latitude ON shoppers (latitude);
