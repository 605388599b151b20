//! Access records: every time staff read a person's personal data, who, whose, which
//! categories and why (the route). The person can list them (right to know).

use crate::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::inventory::Category;
use crate::db::DbConnection;
use crate::db::schema::{access_records, users};
use crate::paging::{PageRequest, Paged};

#[derive(Insertable)]
#[diesel(table_name = access_records)]
struct NewAccessRecord<'a> {
    staff_id: UserId,
    subject_id: UserId,
    categories: &'a str,
    purpose: &'a str,
    accessed_at: NaiveDateTime,
}

pub(super) fn category_list(categories: &[Category]) -> String {
    let mut letters: Vec<String> = categories.iter().map(|c| format!("{c:?}")).collect();
    letters.sort();
    letters.dedup();
    letters.join(",")
}

/// Writes that `staff_id` read `categories` of `subject_id`'s data, for `purpose`.
pub fn record(
    conn: &mut DbConnection,
    staff_id: UserId,
    subject_id: UserId,
    categories: &[Category],
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(access_records::table)
        .values(NewAccessRecord {
            staff_id,
            subject_id,
            categories: &category_list(categories),
            purpose,
            accessed_at: now,
        })
        .execute(conn)
        .map(|_| ())
}

/// One read of a person's data, as the person sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessView {
    /// The staff member's email address.
    pub staff: String,
    pub staff_role: String,
    /// CCPA category letters, e.g. `A,B,G`.
    pub categories: String,
    pub purpose: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub accessed_at: NaiveDateTime,
}

/// Who read `subject_id`'s data, newest first: all of it (for the data download).
pub fn list_for(conn: &mut DbConnection, subject_id: UserId) -> QueryResult<Vec<AccessView>> {
    records(conn, subject_id, None)
}

/// One page of who read `subject_id`'s data, newest first.
pub fn page_for(
    conn: &mut DbConnection,
    subject_id: UserId,
    page: PageRequest,
) -> QueryResult<Paged<AccessView>> {
    let total = access_records::table
        .filter(access_records::subject_id.eq(subject_id))
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
) -> QueryResult<Vec<AccessView>> {
    let mut query = access_records::table
        .inner_join(users::table.on(users::id.eq(access_records::staff_id)))
        .filter(access_records::subject_id.eq(subject_id))
        .order(access_records::id.desc())
        .into_boxed();
    if let Some(page) = page {
        query = query.offset(page.offset()).limit(page.limit());
    }
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = query
        .select((
            users::email,
            users::role,
            access_records::categories,
            access_records::purpose,
            access_records::accessed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(staff, staff_role, categories, purpose, accessed_at)| AccessView {
                staff,
                staff_role,
                categories,
                purpose,
                accessed_at,
            },
        )
        .collect())
}
