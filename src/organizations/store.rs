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

/// What `rekey` did: keys brought up to date, and organizations whose new key another already
/// holds (newer id, older id): the same company entered twice, marked `same_as` for staff to
/// merge.
#[derive(Debug, Default)]
pub struct Rekeyed {
    pub updated: usize,
    pub clashes: Vec<(i64, i64)>,
}

/// Brings every stored `name_key` up to the current `name_key` rules (they grew Unicode
/// folding and confusable skeletons): run at start, it touches nothing when all are current.
pub fn rekey(conn: &mut DbConnection) -> QueryResult<Rekeyed> {
    let rows: Vec<(i64, String, String)> = organizations::table
        .order(organizations::id.asc())
        .select((
            organizations::id,
            organizations::name,
            organizations::name_key,
        ))
        .load(conn)?;
    let mut holder: std::collections::HashMap<String, i64> =
        rows.iter().map(|(id, _, key)| (key.clone(), *id)).collect();
    let mut done = Rekeyed::default();
    for (id, name, key) in rows {
        let fresh = name_key(&name);
        if fresh == key {
            continue;
        }
        if let Some(&other) = holder.get(&fresh) {
            // Marked for staff to merge; the key stays as it was until they do.
            diesel::update(organizations::table.find(id))
                .filter(organizations::same_as.is_null())
                .set(organizations::same_as.eq(other))
                .execute(conn)?;
            done.clashes.push((id, other));
            continue;
        }
        diesel::update(organizations::table.find(id))
            .set(organizations::name_key.eq(&fresh))
            .execute(conn)?;
        holder.remove(&key);
        holder.insert(fresh, id);
        done.updated += 1;
    }
    Ok(done)
}

/// At most `limit` organizations entered twice (marked `same_as` by `rekey`), with the one each
/// is the same company as.
pub fn entered_twice(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(Organization, Organization)>> {
    let twice: Vec<Organization> = organizations::table
        .filter(organizations::same_as.is_not_null())
        .order(organizations::id.asc())
        .limit(limit)
        .select(Organization::as_select())
        .load(conn)?;
    let mut pairs = Vec::with_capacity(twice.len());
    for newer in twice {
        if let Some(older) = newer.same_as
            && let Some(older) = organizations::table
                .find(older)
                .select(Organization::as_select())
                .first(conn)
                .optional()?
        {
            pairs.push((newer, older));
        }
    }
    Ok(pairs)
}
