-- A project's questionnaires, versioned: a published version never changes (editing makes a
-- new draft), and a report keeps the version it was started on.
CREATE TABLE questionnaires (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    document TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    UNIQUE (project_id, version)
);

-- A shopper's report of an assignment: answers (JSON, by question name), the visit's times,
-- the receipt amount to be reimbursed; a draft until submitted.
CREATE TABLE reports (
    assignment_id BIGINT PRIMARY KEY REFERENCES assignments (id) ON DELETE CASCADE,
    questionnaire_id BIGINT NOT NULL REFERENCES questionnaires (id),
    answers TEXT NOT NULL,
    visit_started_at TIMESTAMP,
    visit_ended_at TIMESTAMP,
    receipt_cents BIGINT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
    reopened_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP
);
CREATE INDEX reports_questionnaire ON reports (questionnaire_id);

-- How many days after a job's window a report may still be handed in.
ALTER TABLE projects ADD COLUMN report_grace_days INTEGER NOT NULL DEFAULT 2;
