//! Account, session and token queries.

use crate::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{NewUser, User};
use crate::db::DbConnection;
use crate::db::schema::{
    attempts, index_version, one_time_tokens, refresh_tokens, sessions, users,
};

pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count_users(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn find_user(conn: &mut DbConnection, id: UserId) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn insert_user(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<UserId> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)
}

pub fn mark_email_verified(
    conn: &mut DbConnection,
    id: UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

pub fn set_password(
    conn: &mut DbConnection,
    id: UserId,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::password_changed_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub user_id: UserId,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_session(
    conn: &mut DbConnection,
    user_id: UserId,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
            sessions::last_refreshed_at.eq(now),
        ))
        .returning(sessions::id)
        .get_result(conn)
}

pub fn find_session(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Session>> {
    sessions::table
        .find(id)
        .select(Session::as_select())
        .first(conn)
        .optional()
}

/// The session and its user, for authenticating a request, with the live index's version in the database at this moment
/// (in the same statement): a handler answering from the index knows how fresh it must be
/// without asking again (see `assignments::live`).
pub fn find_session_with_user(
    conn: &mut DbConnection,
    session_id: i64,
) -> QueryResult<Option<(Session, User, Option<i64>)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .select((
            Session::as_select(),
            User::as_select(),
            // A subquery in the DSL (not SQL text), so the statement stays a cached prepared one.
            index_version::table
                .filter(index_version::id.eq(1))
                .select(index_version::version)
                .single_value(),
        ))
        .first(conn)
        .optional()
}

pub fn extend_session(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_refreshed_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn revoke_session(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(now),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)
}

pub fn revoke_all_sessions(
    conn: &mut DbConnection,
    user_id: UserId,
    now: NaiveDateTime,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(now),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: i64,
    pub session_id: i64,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert_refresh_token(
    conn: &mut DbConnection,
    session_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<RefreshToken>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a refresh token used; false when it already was (a replay, or a lost race).
pub fn use_refresh_token(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn insert_one_time_token(
    conn: &mut DbConnection,
    jti: &str,
    user_id: UserId,
    purpose: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::jti.eq(jti),
            one_time_tokens::user_id.eq(user_id),
            one_time_tokens::purpose.eq(purpose),
            one_time_tokens::created_at.eq(now),
            one_time_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Spends a single-use token: true only for the first use before it expires.
pub fn use_one_time_token(
    conn: &mut DbConnection,
    jti: &str,
    user_id: UserId,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::jti.eq(jti))
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq(purpose))
            .filter(one_time_tokens::used_at.is_null())
            .filter(one_time_tokens::expires_at.gt(now)),
    )
    .set(one_time_tokens::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Spends every outstanding token of a purpose (e.g. older reset links after a reset).
pub fn spend_all_one_time_tokens(
    conn: &mut DbConnection,
    user_id: UserId,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq(purpose))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(now))
    .execute(conn)
}

pub fn count_one_time_tokens_since(
    conn: &mut DbConnection,
    user_id: UserId,
    purpose: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user_id))
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Records an attempt under `subject` (see `throttle`); returns its id.
pub fn record_attempt(
    conn: &mut DbConnection,
    subject: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(attempts::table)
        .values((
            attempts::subject.eq(subject),
            attempts::attempted_at.eq(now),
        ))
        .returning(attempts::id)
        .get_result(conn)
}

/// Attempts recorded for `subject` since `since`.
pub fn attempts_since(
    conn: &mut DbConnection,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    attempts::table
        .filter(attempts::subject.eq(subject))
        .filter(attempts::attempted_at.gt(since))
        .count()
        .get_result(conn)
}

/// The time of the `n`-th oldest attempt (1-based) for `subject` since `since`.
pub fn nth_attempt_since(
    conn: &mut DbConnection,
    subject: &str,
    since: NaiveDateTime,
    n: i64,
) -> QueryResult<Option<NaiveDateTime>> {
    attempts::table
        .filter(attempts::subject.eq(subject))
        .filter(attempts::attempted_at.gt(since))
        .order((attempts::attempted_at, attempts::id))
        .offset((n - 1).max(0))
        .select(attempts::attempted_at)
        .first(conn)
        .optional()
}

pub fn delete_attempts(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(attempts::table.filter(attempts::id.eq_any(ids))).execute(conn)
}

pub fn clear_attempts(conn: &mut DbConnection, subject: &str) -> QueryResult<()> {
    diesel::delete(attempts::table.filter(attempts::subject.eq(subject)))
        .execute(conn)
        .map(|_| ())
}

pub fn purge_attempts_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(attempts::table.filter(attempts::attempted_at.lt(cutoff))).execute(conn)
}

/// Deletes sessions (and, by cascade, their refresh tokens) that ended before `cutoff`, and
/// single-use tokens that expired before it: the retention the data inventory states.
pub fn purge_ended_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    let ended: Vec<i64> = sessions::table
        .filter(
            sessions::revoked_at
                .lt(cutoff)
                .or(sessions::expires_at.lt(cutoff)),
        )
        .select(sessions::id)
        .load(conn)?;
    // Explicitly, not only by cascade: the cascade depends on SQLite's foreign_keys pragma.
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(&ended)))
        .execute(conn)?;
    let sessions_deleted =
        diesel::delete(sessions::table.filter(sessions::id.eq_any(&ended))).execute(conn)?;
    let tokens_deleted =
        diesel::delete(one_time_tokens::table.filter(one_time_tokens::expires_at.lt(cutoff)))
            .execute(conn)?;
    Ok(sessions_deleted + tokens_deleted)
}

/// A page of staff accounts (every role but shopper), by email.
pub fn list_staff(conn: &mut DbConnection, offset: i64, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::role.ne(super::model::Role::Shopper))
        .order(users::email)
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

pub fn count_staff(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.ne(super::model::Role::Shopper))
        .count()
        .get_result(conn)
}

/// Disables the account (`Some(when)`) or enables it again (`None`).
pub fn set_disabled(
    conn: &mut DbConnection,
    id: UserId,
    at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::disabled_at.eq(at))
        .execute(conn)
}
