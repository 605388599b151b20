-- Sessions held in memory (see `auth::sessions`): the change log of the live index also
-- records, under the next version, every session ended, cut short, moved or deleted
-- ('session') and every account whose address, role, client or standing changed or that was
-- deleted ('user'). A renewal (a later end) is not logged.
CREATE TRIGGER sessions_session_change_update AFTER UPDATE OF revoked_at, expires_at, user_id ON sessions
    WHEN NEW.revoked_at IS NOT OLD.revoked_at
      OR NEW.expires_at < OLD.expires_at
      OR NEW.user_id <> OLD.user_id
BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('session', NEW.id);
END;
CREATE TRIGGER sessions_session_change_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('session', OLD.id);
END;
CREATE TRIGGER users_user_change_update
    AFTER UPDATE OF email, role, disabled_at, client_id, erased_at, password_changed_at ON users BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('user', NEW.id);
END;
CREATE TRIGGER users_user_change_delete AFTER DELETE ON users BEGIN
    INSERT INTO index_changes (kind, ref_id) VALUES ('user', OLD.id);
END;
