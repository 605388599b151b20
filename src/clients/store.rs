//! Organization queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Organization, name_key};
use crate::db::DbConnection;
use crate::db::schema::organizations;

pub fn find_organization(conn: &mut DbConnection, id: i64) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
}

/// The organization of this name (by its key), created if the panel does not know it yet.
pub fn find_or_create_organization(
    conn: &mut DbConnection,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<Organization> {
    let key = name_key(name);
    let existing = organizations::table
        .filter(organizations::name_key.eq(&key))
        .select(Organization::as_select())
        .first(conn)
        .optional()?;
    if let Some(found) = existing {
        return Ok(found);
    }
    let id: i64 = diesel::insert_into(organizations::table)
        .values((
            organizations::name.eq(name.trim()),
            organizations::name_key.eq(&key),
            organizations::friendly_competitor.eq(false),
            organizations::created_at.eq(now),
        ))
        .returning(organizations::id)
        .get_result(conn)?;
    find_organization(conn, id)
}
