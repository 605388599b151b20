-- QA's review of a handed-in report. review: where it stands with QA (NULL until first handed
-- in): queued (waiting for a reviewer), held, revision (sent back to the shopper, a draft
-- again until resubmitted by revision_due), approved, rejected, appealed (the shopper asked
-- once for another look; a different reviewer decides), released (the client sees it; locked).
-- A reviewer who opens a report claims it until claimed_until, so two do not work on one.
ALTER TABLE reports ADD COLUMN review TEXT CHECK (review IN ('queued', 'held', 'revision', 'approved', 'rejected', 'appealed', 'released'));
ALTER TABLE reports ADD COLUMN queued_at TIMESTAMP;
ALTER TABLE reports ADD COLUMN claimed_by BIGINT REFERENCES users (id);
ALTER TABLE reports ADD COLUMN claimed_until TIMESTAMP;
ALTER TABLE reports ADD COLUMN decided_by BIGINT REFERENCES users (id);
ALTER TABLE reports ADD COLUMN revision_due TIMESTAMP;
ALTER TABLE reports ADD COLUMN revision_comments TEXT;
ALTER TABLE reports ADD COLUMN appeal TEXT;
ALTER TABLE reports ADD COLUMN released_at TIMESTAMP;
CREATE INDEX reports_queue ON reports (review, queued_at);

-- What happened to a report in review, in order: each outcome with who, when and why. The
-- shopper reads it on their report (a reviewer is named by role only).
CREATE TABLE review_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id BIGINT NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX review_events_assignment ON review_events (assignment_id, id);

-- Every answer QA changed: the question, the answer before and after (JSON), why, who, when.
-- Shown to the shopper on their report.
CREATE TABLE report_edits (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id BIGINT NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    before TEXT,
    after TEXT,
    reason TEXT NOT NULL,
    editor_id BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX report_edits_assignment ON report_edits (assignment_id, id);

-- Each project's review rules: hours a report may wait in the queue before it stands out (and
-- is approved by itself when auto_approve), hours a shopper has for a revision, and whether an
-- approved report is released to the client at once.
ALTER TABLE projects ADD COLUMN review_limit_hours INTEGER NOT NULL DEFAULT 48;
ALTER TABLE projects ADD COLUMN auto_approve BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE projects ADD COLUMN revision_hours INTEGER NOT NULL DEFAULT 24;
ALTER TABLE projects ADD COLUMN release_on_approval BOOLEAN NOT NULL DEFAULT TRUE;
