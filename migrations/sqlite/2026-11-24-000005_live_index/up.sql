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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    version BIGINT,
    changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX index_changes_version ON index_changes (version);

-- SQLite has one writer at a time, so row ids are committed in order: the id is the version.
CREATE TRIGGER index_changes_versioned AFTER INSERT ON index_changes BEGIN
    UPDATE index_changes SET version = NEW.id WHERE id = NEW.id;
    UPDATE index_version SET version = NEW.id WHERE id = 1;
END;

CREATE TRIGGER shoppers_shopper_index_insert AFTER INSERT ON shoppers BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.user_id);
END;
CREATE TRIGGER shoppers_shopper_index_update AFTER UPDATE ON shoppers BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.user_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'shopper', OLD.user_id WHERE OLD.user_id <> NEW.user_id;
END;
CREATE TRIGGER shoppers_shopper_index_delete AFTER DELETE ON shoppers BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', OLD.user_id);
END;
CREATE TRIGGER certifications_shopper_index_insert AFTER INSERT ON certifications BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
END;
CREATE TRIGGER certifications_shopper_index_update AFTER UPDATE ON certifications BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'shopper', OLD.shopper_id WHERE OLD.shopper_id <> NEW.shopper_id;
END;
CREATE TRIGGER certifications_shopper_index_delete AFTER DELETE ON certifications BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', OLD.shopper_id);
END;
CREATE TRIGGER affiliations_shopper_index_insert AFTER INSERT ON affiliations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
END;
CREATE TRIGGER affiliations_shopper_index_update AFTER UPDATE ON affiliations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'shopper', OLD.shopper_id WHERE OLD.shopper_id <> NEW.shopper_id;
END;
CREATE TRIGGER affiliations_shopper_index_delete AFTER DELETE ON affiliations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', OLD.shopper_id);
END;
CREATE TRIGGER ratings_shopper_index_insert AFTER INSERT ON ratings BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
END;
CREATE TRIGGER ratings_shopper_index_update AFTER UPDATE ON ratings BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'shopper', OLD.shopper_id WHERE OLD.shopper_id <> NEW.shopper_id;
END;
CREATE TRIGGER ratings_shopper_index_delete AFTER DELETE ON ratings BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', OLD.shopper_id);
END;
CREATE TRIGGER disqualifications_shopper_index_insert AFTER INSERT ON disqualifications BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
END;
CREATE TRIGGER disqualifications_shopper_index_update AFTER UPDATE ON disqualifications BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'shopper', OLD.shopper_id WHERE OLD.shopper_id <> NEW.shopper_id;
END;
CREATE TRIGGER disqualifications_shopper_index_delete AFTER DELETE ON disqualifications BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', OLD.shopper_id);
END;
CREATE TRIGGER assignments_shopper_index_insert AFTER INSERT ON assignments BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
END;
CREATE TRIGGER assignments_shopper_index_update AFTER UPDATE ON assignments BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', NEW.shopper_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'shopper', OLD.shopper_id WHERE OLD.shopper_id <> NEW.shopper_id;
END;
CREATE TRIGGER assignments_shopper_index_delete AFTER DELETE ON assignments BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('shopper', OLD.shopper_id);
END;
CREATE TRIGGER assignments_job_index_insert AFTER INSERT ON assignments BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('job', NEW.job_id);
END;
CREATE TRIGGER assignments_job_index_update AFTER UPDATE ON assignments BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('job', NEW.job_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'job', OLD.job_id WHERE OLD.job_id <> NEW.job_id;
END;
CREATE TRIGGER assignments_job_index_delete AFTER DELETE ON assignments BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('job', OLD.job_id);
END;
CREATE TRIGGER jobs_job_index_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('job', NEW.id);
END;
CREATE TRIGGER jobs_job_index_update AFTER UPDATE ON jobs BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('job', NEW.id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'job', OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER jobs_job_index_delete AFTER DELETE ON jobs BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('job', OLD.id);
END;
CREATE TRIGGER locations_location_index_insert AFTER INSERT ON locations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('location', NEW.id);
END;
CREATE TRIGGER locations_location_index_update AFTER UPDATE ON locations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('location', NEW.id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'location', OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER locations_location_index_delete AFTER DELETE ON locations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('location', OLD.id);
END;
CREATE TRIGGER projects_project_index_insert AFTER INSERT ON projects BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('project', NEW.id);
END;
CREATE TRIGGER projects_project_index_update AFTER UPDATE ON projects BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('project', NEW.id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'project', OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER projects_project_index_delete AFTER DELETE ON projects BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('project', OLD.id);
END;
CREATE TRIGGER clients_client_index_insert AFTER INSERT ON clients BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('client', NEW.id);
END;
CREATE TRIGGER clients_client_index_update AFTER UPDATE ON clients BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('client', NEW.id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'client', OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER clients_client_index_delete AFTER DELETE ON clients BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('client', OLD.id);
END;
CREATE TRIGGER client_competitors_client_index_insert AFTER INSERT ON client_competitors BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('client', NEW.client_id);
END;
CREATE TRIGGER client_competitors_client_index_update AFTER UPDATE ON client_competitors BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('client', NEW.client_id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'client', OLD.client_id WHERE OLD.client_id <> NEW.client_id;
END;
CREATE TRIGGER client_competitors_client_index_delete AFTER DELETE ON client_competitors BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('client', OLD.client_id);
END;
CREATE TRIGGER organizations_organization_index_insert AFTER INSERT ON organizations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('organization', NEW.id);
END;
CREATE TRIGGER organizations_organization_index_update AFTER UPDATE ON organizations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('organization', NEW.id);
    INSERT INTO index_changes (kind, ref_id) SELECT 'organization', OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER organizations_organization_index_delete AFTER DELETE ON organizations BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('organization', OLD.id);
END;
