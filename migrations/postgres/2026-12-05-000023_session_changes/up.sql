-- Sessions held in memory (see `auth::sessions`): the change log of the live index also
-- records, under the next committed version, every session ended, cut short, moved or deleted
-- ('session') and every account whose address, role, client or standing changed or that was
-- deleted ('user'), so that every server forgets them within a second. A renewal (a later
-- end) is not logged. TRUNCATE fires no row trigger: restart the servers after one.
CREATE TRIGGER sessions_session_change AFTER UPDATE OF revoked_at, expires_at, user_id ON sessions
    FOR EACH ROW
    WHEN (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
          OR NEW.expires_at < OLD.expires_at
          OR NEW.user_id <> OLD.user_id)
    EXECUTE FUNCTION index_change('session', 'id');
CREATE TRIGGER sessions_session_delete AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION index_change('session', 'id');
CREATE TRIGGER users_user_change
    AFTER UPDATE OF email, role, disabled_at, client_id, erased_at, password_changed_at OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION index_change('user', 'id');
