DELETE FROM ratings WHERE citation = 'rejected_report';
CREATE TABLE ratings_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shopper_id BIGINT NOT NULL REFERENCES shoppers (user_id) ON DELETE CASCADE,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 10),
    citation TEXT CHECK (citation IN ('flake', 'late', 'no_show', 'hero', 'excellent_report', 'incomplete_report')),
    note TEXT,
    rated_by BIGINT NOT NULL REFERENCES users (id),
    rated_on DATE NOT NULL
);
INSERT INTO ratings_old SELECT id, shopper_id, score, citation, note, rated_by, rated_on FROM ratings;
DROP TABLE ratings;
ALTER TABLE ratings_old RENAME TO ratings;
CREATE INDEX ratings_shopper ON ratings (shopper_id);
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
