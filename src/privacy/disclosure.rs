//! Disclosures: every time a person's data leaves the service for another party, who received
//! which categories, why and when. The person can list them (right to know); the privacy
//! officer reads them for audits.

use crate::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::inventory::Category;
use crate::db::DbConnection;
use crate::db::schema::disclosures;
use crate::paging::{PageRequest, Paged};

#[derive(Insertable)]
#[diesel(table_name = disclosures)]
struct NewDisclosure<'a> {
    subject_id: UserId,
    recipient: &'a str,
    categories: &'a str,
    purpose: &'a str,
    disclosed_at: NaiveDateTime,
}

/// Writes that `categories` of `subject_id`'s data went to `recipient`, for `purpose`.
pub fn record(
    conn: &mut DbConnection,
    subject_id: UserId,
    recipient: &str,
    categories: &[Category],
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(disclosures::table)
        .values(NewDisclosure {
            subject_id,
            recipient,
            categories: &super::access::category_list(categories),
            purpose,
            disclosed_at: now,
        })
        .execute(conn)
        .map(|_| ())
}

/// One disclosure, as the person sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisclosureView {
    /// Who received the data, e.g. `geocoder nominatim.example.org`.
    pub recipient: String,
    /// CCPA category letters, e.g. `A,B,G`.
    pub categories: String,
    pub purpose: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub disclosed_at: NaiveDateTime,
}

/// Where `subject_id`'s data went, newest first: all of it (for the data download).
pub fn list_for(conn: &mut DbConnection, subject_id: UserId) -> QueryResult<Vec<DisclosureView>> {
    records(conn, subject_id, None)
}

/// One page of where `subject_id`'s data went, newest first.
pub fn page_for(
    conn: &mut DbConnection,
    subject_id: UserId,
    page: PageRequest,
) -> QueryResult<Paged<DisclosureView>> {
    let total = disclosures::table
        .filter(disclosures::subject_id.eq(subject_id))
        .count()
        .get_result(conn)?;
    Ok(Paged::new(
        records(conn, subject_id, Some(page))?,
        page,
        total,
    ))
}

fn records(
    conn: &mut DbConnection,
    subject_id: UserId,
    page: Option<PageRequest>,
) -> QueryResult<Vec<DisclosureView>> {
    let mut query = disclosures::table
        .filter(disclosures::subject_id.eq(subject_id))
        .order(disclosures::id.desc())
        .into_boxed();
    if let Some(page) = page {
        query = query.offset(page.offset()).limit(page.limit());
    }
    let rows: Vec<(String, String, String, NaiveDateTime)> = query
        .select((
            disclosures::recipient,
            disclosures::categories,
            disclosures::purpose,
            disclosures::disclosed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(recipient, categories, purpose, disclosed_at)| DisclosureView {
                recipient,
                categories,
                purpose,
                disclosed_at,
            },
        )
        .collect())
}
