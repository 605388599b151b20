//! Decisions about organizations and clients: one organization per normalised name, one client
//! per organization, competitors that are other organizations.

use chrono::{NaiveDateTime, Utc};
use diesel::OptionalExtension;

use super::model::{ClientView, Organization, OrganizationRef, parse_organization_name};
use super::store;
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult};

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// The organization a request names: by id (which must exist) or by name (found or created).
pub fn resolve(conn: &mut DbConnection, named: &OrganizationRef) -> AppResult<Organization> {
    match (named.organization_id, named.name.as_deref()) {
        (Some(id), None) => store::find_organization(conn, id)
            .optional()?
            .ok_or_else(|| AppError::field("organization_id", "no organization has this id")),
        (None, Some(name)) => {
            let name = parse_organization_name(name, "name")?;
            Ok(store::find_or_create_organization(conn, &name, now())?.0)
        }
        _ => Err(AppError::field(
            "organization_id",
            "send either organization_id or name",
        )),
    }
}

/// Creates (or finds, by normalised name) an organization; true when it was created.
pub fn create_organization(
    conn: &mut DbConnection,
    name: &str,
    friendly_competitor: bool,
) -> AppResult<(Organization, bool)> {
    let name = parse_organization_name(name, "name")?;
    write_transaction(conn, |conn| {
        let (mut organization, created) = store::find_or_create_organization(conn, &name, now())?;
        if friendly_competitor && !organization.friendly_competitor {
            store::set_friendly_competitor(conn, organization.id, true)?;
            organization.friendly_competitor = true;
        }
        Ok((organization, created))
    })
}

pub fn client_view(conn: &mut DbConnection, client_id: i64) -> AppResult<ClientView> {
    let (id, organization_id, created_at) = store::find_client(conn, client_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No client has this id."))?;
    let organization = store::find_organization(conn, organization_id)?;
    Ok(ClientView {
        id,
        organization_id,
        name: organization.name,
        competitors: store::competitors_of(conn, id)?,
        created_at,
    })
}

/// Makes the named organization a client (once): (client, created).
pub fn create_client(
    conn: &mut DbConnection,
    named: &OrganizationRef,
) -> AppResult<(ClientView, bool)> {
    write_transaction(conn, |conn| {
        let organization = resolve(conn, named)?;
        if let Some(id) = store::client_of_organization(conn, organization.id)? {
            return Ok((client_view(conn, id)?, false));
        }
        let id = store::insert_client(conn, organization.id, now())?;
        Ok((client_view(conn, id)?, true))
    })
}

/// Names a competitor of a client; a client cannot be its own competitor.
pub fn add_competitor(
    conn: &mut DbConnection,
    client_id: i64,
    named: &OrganizationRef,
) -> AppResult<ClientView> {
    write_transaction(conn, |conn| {
        let (_, own, _) = store::find_client(conn, client_id)
            .optional()?
            .ok_or_else(|| AppError::not_found("No client has this id."))?;
        let organization = resolve(conn, named)?;
        if organization.id == own {
            return Err(AppError::field(
                "name",
                "a client cannot be its own competitor",
            ));
        }
        store::add_competitor(conn, client_id, organization.id, now())?;
        client_view(conn, client_id)
    })
}

pub fn list_clients(conn: &mut DbConnection) -> AppResult<Vec<ClientView>> {
    store::client_ids(conn)?
        .into_iter()
        .map(|id| client_view(conn, id))
        .collect()
}
