//! Organization queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Organization, name_key};
use crate::db::DbConnection;
use crate::db::schema::{client_competitors, clients, organizations};

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

pub fn list_organizations(conn: &mut DbConnection) -> QueryResult<Vec<Organization>> {
    organizations::table
        .order(organizations::name_key.asc())
        .select(Organization::as_select())
        .load(conn)
}

/// (client id, organization id, created at).
pub fn find_client(conn: &mut DbConnection, id: i64) -> QueryResult<(i64, i64, NaiveDateTime)> {
    clients::table
        .find(id)
        .select((clients::id, clients::organization_id, clients::created_at))
        .first(conn)
}

pub fn client_of_organization(
    conn: &mut DbConnection,
    organization_id: i64,
) -> QueryResult<Option<i64>> {
    clients::table
        .filter(clients::organization_id.eq(organization_id))
        .select(clients::id)
        .first(conn)
        .optional()
}

pub fn insert_client(
    conn: &mut DbConnection,
    organization_id: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(clients::table)
        .values((
            clients::organization_id.eq(organization_id),
            clients::created_at.eq(now),
        ))
        .returning(clients::id)
        .get_result(conn)
}

pub fn client_ids(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
    clients::table
        .order(clients::id.asc())
        .select(clients::id)
        .load(conn)
}

pub fn competitors_of(conn: &mut DbConnection, client_id: i64) -> QueryResult<Vec<Organization>> {
    client_competitors::table
        .inner_join(organizations::table)
        .filter(client_competitors::client_id.eq(client_id))
        .order(organizations::name_key.asc())
        .select(Organization::as_select())
        .load(conn)
}

/// Adds a competitor unless it is named already; true when added.
pub fn add_competitor(
    conn: &mut DbConnection,
    client_id: i64,
    organization_id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let known: bool = diesel::select(diesel::dsl::exists(
        client_competitors::table
            .filter(client_competitors::client_id.eq(client_id))
            .filter(client_competitors::organization_id.eq(organization_id)),
    ))
    .get_result(conn)?;
    if known {
        return Ok(false);
    }
    diesel::insert_into(client_competitors::table)
        .values((
            client_competitors::client_id.eq(client_id),
            client_competitors::organization_id.eq(organization_id),
            client_competitors::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}
