-- A rating QA gives with a review's outcome names the report it was for (an excellent report,
-- a rejection), so that the shopper reads why, and an appeal upheld withdraws the rejection's;
-- a rejection is a citation of its own.
ALTER TABLE ratings ADD COLUMN assignment_id BIGINT REFERENCES assignments (id) ON DELETE SET NULL;
CREATE INDEX ratings_assignment ON ratings (assignment_id);
ALTER TABLE ratings DROP CONSTRAINT ratings_citation_check;
ALTER TABLE ratings ADD CONSTRAINT ratings_citation_check
    CHECK (citation IN ('flake', 'late', 'no_show', 'hero', 'excellent_report', 'incomplete_report', 'rejected_report'));
