//! The privacy officer's view of one person's logs: who read their data (access records) and
//! who received it (disclosures), found by the person's email address or shopper code. The
//! officer's own read is an access record too.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::access::{self, AccessView};
use super::disclosure::{self, DisclosureView};
use super::inventory::Category;
use crate::db::DbConnection;
use crate::db::schema::{shoppers, users};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::paging::{PageRequest, Paged};

/// One person's logs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonLogs {
    pub id: UserId,
    pub email: String,
    /// The shopper code, for a shopper.
    pub code: Option<String>,
    /// Who read their data, newest first.
    pub access: Paged<AccessView>,
    /// Who received it, newest first.
    pub disclosures: Paged<DisclosureView>,
}

/// The logs of the person whose email address or shopper code is `who` (either, any case).
pub fn of_person(
    conn: &mut DbConnection,
    officer: UserId,
    who: &str,
    page: PageRequest,
    now: NaiveDateTime,
) -> AppResult<PersonLogs> {
    let who = who.trim();
    if who.is_empty() || who.chars().count() > 254 {
        return Err(AppError::field(
            "person",
            "Type the person's email address or shopper code.",
        ));
    }
    let by_email: Option<(UserId, String)> = users::table
        .filter(users::email.eq(who.to_lowercase()))
        .select((users::id, users::email))
        .first(conn)
        .optional()?;
    let found = match by_email {
        Some(found) => Some(found),
        None => shoppers::table
            .inner_join(users::table.on(users::id.eq(shoppers::user_id)))
            .filter(shoppers::code.eq(who.to_uppercase()))
            .select((users::id, users::email))
            .first(conn)
            .optional()?,
    };
    let (id, email) = found
        .ok_or_else(|| AppError::not_found("Nobody has this email address or shopper code."))?;
    let code: Option<String> = shoppers::table
        .filter(shoppers::user_id.eq(id))
        .select(shoppers::code)
        .first(conn)
        .optional()?;
    let logs = PersonLogs {
        id,
        email,
        code,
        access: access::page_for(conn, id, page)?,
        disclosures: disclosure::page_for(conn, id, page)?,
    };
    if id != officer {
        access::record(
            conn,
            officer,
            id,
            &[Category::A],
            "the privacy officer read who viewed and received this person's data",
            now,
        )?;
    }
    Ok(logs)
}
