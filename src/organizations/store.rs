//! Organization queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Organization, name_key};
use crate::db::DbConnection;
use crate::db::schema::organizations;
use crate::paging::{PageRequest, Paged};

pub fn find_organization(conn: &mut DbConnection, id: i64) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
}

/// The organization of this name (by its key), created if the panel does not know it yet;
/// true when created.
pub fn find_or_create_organization(
    conn: &mut DbConnection,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<(Organization, bool)> {
    let key = name_key(name);
    let existing = organizations::table
        .filter(organizations::name_key.eq(&key))
        .select(Organization::as_select())
        .first(conn)
        .optional()?;
    if let Some(found) = existing {
        return Ok((found, false));
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
    Ok((find_organization(conn, id)?, true))
}

pub fn set_friendly_competitor(
    conn: &mut DbConnection,
    id: i64,
    friendly: bool,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(id))
        .set(organizations::friendly_competitor.eq(friendly))
        .execute(conn)
        .map(|_| ())
}

/// One page of the organizations, by name.
pub fn list_organizations(
    conn: &mut DbConnection,
    page: PageRequest,
) -> QueryResult<Paged<Organization>> {
    let total = organizations::table.count().get_result(conn)?;
    let items = organizations::table
        .order((organizations::name_key.asc(), organizations::id.asc()))
        .offset(page.offset())
        .limit(page.limit())
        .select(Organization::as_select())
        .load(conn)?;
    Ok(Paged::new(items, page, total))
}
