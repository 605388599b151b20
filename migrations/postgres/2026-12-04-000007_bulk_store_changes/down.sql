DROP TRIGGER locations_index_insert ON locations;
DROP TRIGGER locations_index_update ON locations;
DROP TRIGGER locations_index_delete ON locations;
DROP FUNCTION index_change_stores();
CREATE TRIGGER locations_location_index AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION index_change('location', 'id');
