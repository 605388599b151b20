DROP TRIGGER users_user_change ON users;
DROP TRIGGER sessions_session_delete ON sessions;
DROP TRIGGER sessions_session_change ON sessions;
