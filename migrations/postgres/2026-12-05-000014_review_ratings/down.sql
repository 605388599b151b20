DELETE FROM ratings WHERE citation = 'rejected_report';
ALTER TABLE ratings DROP CONSTRAINT ratings_citation_check;
ALTER TABLE ratings ADD CONSTRAINT ratings_citation_check
    CHECK (citation IN ('flake', 'late', 'no_show', 'hero', 'excellent_report', 'incomplete_report'));
DROP INDEX ratings_assignment;
ALTER TABLE ratings DROP COLUMN assignment_id;
