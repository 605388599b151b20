-- The live index: every server keeps the matching engine in memory (all shoppers, the open
-- jobs nobody holds) and keeps it current from these two tables. Triggers on every table the
-- rules read write one change per changed row (whichever program wrote it), and each committed
-- transaction's changes get the next version; a server asks for the version (one row) on each
-- board request, and reloads only what changed since the version it holds.
CREATE TABLE index_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    pruned_through BIGINT NOT NULL
);
INSERT INTO index_version (id, version, pruned_through) VALUES (1, 0, 0);

CREATE TABLE index_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    version BIGINT,
    changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX index_changes_version ON index_changes (version);
CREATE INDEX index_changes_unversioned ON index_changes (id) WHERE version IS NULL;

-- A change is written unversioned; at commit (a deferred trigger, so after every other lock
-- the transaction takes, which rules out deadlocks) the transaction takes the next version
-- under the index_version row's lock and stamps its changes with it. The lock is held until
-- the commit ends, so versions become visible in order: a server that reads version v can
-- read every change up to v. Unversioned rows a transaction can see are its own (others'
-- are versioned before they commit).
CREATE FUNCTION index_changes_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM index_changes WHERE id = NEW.id AND version IS NULL) THEN
        RETURN NULL;
    END IF;
    UPDATE index_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
    UPDATE index_changes SET version = v WHERE version IS NULL;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER index_changes_versioned AFTER INSERT ON index_changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION index_changes_commit();

-- One change per changed row: TG_ARGV[0] the kind, TG_ARGV[1] the column naming the thing.
CREATE FUNCTION index_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_ref BIGINT;
    old_ref BIGINT;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        now_ref := (to_jsonb(NEW) ->> TG_ARGV[1])::BIGINT;
        INSERT INTO index_changes (kind, ref_id) VALUES (TG_ARGV[0], now_ref);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_ref := (to_jsonb(OLD) ->> TG_ARGV[1])::BIGINT;
        IF old_ref IS DISTINCT FROM now_ref THEN
            INSERT INTO index_changes (kind, ref_id) VALUES (TG_ARGV[0], old_ref);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER shoppers_shopper_index AFTER INSERT OR UPDATE OR DELETE ON shoppers
    FOR EACH ROW EXECUTE FUNCTION index_change('shopper', 'user_id');
CREATE TRIGGER certifications_shopper_index AFTER INSERT OR UPDATE OR DELETE ON certifications
    FOR EACH ROW EXECUTE FUNCTION index_change('shopper', 'shopper_id');
CREATE TRIGGER affiliations_shopper_index AFTER INSERT OR UPDATE OR DELETE ON affiliations
    FOR EACH ROW EXECUTE FUNCTION index_change('shopper', 'shopper_id');
CREATE TRIGGER ratings_shopper_index AFTER INSERT OR UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION index_change('shopper', 'shopper_id');
CREATE TRIGGER disqualifications_shopper_index AFTER INSERT OR UPDATE OR DELETE ON disqualifications
    FOR EACH ROW EXECUTE FUNCTION index_change('shopper', 'shopper_id');
CREATE TRIGGER assignments_shopper_index AFTER INSERT OR UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION index_change('shopper', 'shopper_id');
CREATE TRIGGER assignments_job_index AFTER INSERT OR UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION index_change('job', 'job_id');
CREATE TRIGGER jobs_job_index AFTER INSERT OR UPDATE OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION index_change('job', 'id');
CREATE TRIGGER locations_location_index AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION index_change('location', 'id');
CREATE TRIGGER projects_project_index AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION index_change('project', 'id');
CREATE TRIGGER clients_client_index AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION index_change('client', 'id');
CREATE TRIGGER client_competitors_client_index AFTER INSERT OR UPDATE OR DELETE ON client_competitors
    FOR EACH ROW EXECUTE FUNCTION index_change('client', 'client_id');
CREATE TRIGGER organizations_organization_index AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION index_change('organization', 'id');
