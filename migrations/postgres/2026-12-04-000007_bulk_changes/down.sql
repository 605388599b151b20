DROP TRIGGER jobs_index_insert ON jobs;
DROP TRIGGER jobs_index_update ON jobs;
DROP TRIGGER jobs_index_delete ON jobs;
DROP FUNCTION index_change_jobs();
CREATE TRIGGER jobs_job_index AFTER INSERT OR UPDATE OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION index_change('job', 'id');
DROP TRIGGER locations_index_insert ON locations;
DROP TRIGGER locations_index_update ON locations;
DROP TRIGGER locations_index_delete ON locations;
DROP FUNCTION index_change_stores();
CREATE TRIGGER locations_location_index AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION index_change('location', 'id');
