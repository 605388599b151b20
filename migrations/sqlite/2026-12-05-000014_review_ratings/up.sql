-- A rating QA gives with a review's outcome names the report it was for (an excellent report,
-- a rejection), so that the shopper reads why, and an appeal upheld withdraws the rejection's;
-- a rejection is a citation of its own. SQLite cannot change a CHECK in place: the table is
-- rebuilt with its rows, index and live-index triggers.
CREATE TABLE ratings_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 10),
    citation TEXT CHECK (citation IN ('flake', 'late', 'no_show', 'hero', 'excellent_report', 'incomplete_report', 'rejected_report')),
    note TEXT,
    rated_by BIGINT NOT NULL REFERENCES users (id),
    rated_on DATE NOT NULL,
    assignment_id BIGINT
);
INSERT INTO ratings_new (id, shopper_id, score, citation, note, rated_by, rated_on)
    SELECT id, shopper_id, score, citation, note, rated_by, rated_on FROM ratings;
DROP TABLE ratings;
ALTER TABLE ratings_new RENAME TO ratings;
CREATE INDEX ratings_shopper ON ratings (shopper_id);
CREATE INDEX ratings_assignment ON ratings (assignment_id);
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
