-- An import writes tens of thousands of stores or jobs in one statement. A row trigger logged
-- a change per row (and the commit trigger ran once per change): 0.9 s of a 50,000-row
-- import. Statement triggers now log, per statement, the rows themselves when they are few,
-- or else what holds them once each: a client for stores, a project for jobs (a client's or a
-- project's change reloads every open job it holds: the same effect for the live index).
CREATE FUNCTION index_change_stores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM changed_rows) <= 100 THEN
        INSERT INTO index_changes (kind, ref_id) SELECT 'location', id FROM changed_rows;
    ELSE
        INSERT INTO index_changes (kind, ref_id) SELECT DISTINCT 'client', client_id FROM changed_rows;
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER locations_location_index ON locations;
CREATE TRIGGER locations_index_insert AFTER INSERT ON locations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION index_change_stores();
CREATE TRIGGER locations_index_update AFTER UPDATE ON locations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION index_change_stores();
CREATE TRIGGER locations_index_delete AFTER DELETE ON locations
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION index_change_stores();

CREATE FUNCTION index_change_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM changed_rows) <= 100 THEN
        INSERT INTO index_changes (kind, ref_id) SELECT 'job', id FROM changed_rows;
    ELSE
        INSERT INTO index_changes (kind, ref_id) SELECT DISTINCT 'project', project_id FROM changed_rows;
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER jobs_job_index ON jobs;
CREATE TRIGGER jobs_index_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION index_change_jobs();
CREATE TRIGGER jobs_index_update AFTER UPDATE ON jobs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION index_change_jobs();
CREATE TRIGGER jobs_index_delete AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION index_change_jobs();
