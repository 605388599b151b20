//! The retention schedule: what has been kept as long as its category allows is deleted or
//! de-identified, daily in the server and by `incognito retention --dry-run|--apply`, with
//! counts per category. People are deleted as a deletion request would (see [`super::erase`]):
//! what pay or tax law needs stays.
//!
//! | category | kept |
//! | --- | --- |
//! | applicants never approved | 3 years after they applied |
//! | accounts that never applied (leads) | 1 year after sign-up |
//! | inactive shoppers | `INCOGNITO_RETAIN_INACTIVE_SHOPPER_DAYS` after their last sign-in, assignment or change |
//! | photos and recordings | `INCOGNITO_RETAIN_MEDIA_DAYS` after they were sent |
//! | records of who read a person's data | `INCOGNITO_RETAIN_ACCESS_LOG_DAYS` |
//! | lists made for friendly competitors | 30 days after the share |
//! | friendly competitors' contacts on a share | 1 year after the share |
//! | privacy request records, with an agent's signed authorisation | 24 months after receipt |
//! | authorised agents (their technical contact) | 24 months after they are revoked |

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::config::RetentionDays;
use crate::db::schema::{
    access_records, assignments, drp_agents, media, privacy_request_agents, privacy_requests,
    sessions, share_rows, shares, shoppers, users,
};
use crate::db::{DbConnection, DbPool, write_transaction};
use crate::error::AppResult;
use crate::ids::UserId;
use crate::storage::Storage;

pub const APPLICANT_DAYS: i64 = 3 * 365;
pub const LEAD_DAYS: i64 = 365;
pub const SHARE_LIST_DAYS: i64 = 30;
pub const SHARE_CONTACT_DAYS: i64 = 365;
pub const REQUEST_RECORD_DAYS: i64 = 730;

/// What a run found (dry run) or did (apply): counts per category, in words.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub applied: bool,
    pub counts: BTreeMap<&'static str, usize>,
}

impl Report {
    fn add(&mut self, category: &'static str, n: usize) {
        *self.counts.entry(category).or_default() += n;
    }
}

/// The people whose time has come: (applicants, leads, inactive shoppers).
fn expired_people(
    conn: &mut DbConnection,
    days: &RetentionDays,
    now: NaiveDateTime,
) -> QueryResult<(Vec<UserId>, Vec<UserId>, Vec<UserId>)> {
    let applicants: Vec<UserId> = shoppers::table
        .inner_join(users::table.on(users::id.eq(shoppers::user_id)))
        .filter(users::erased_at.is_null())
        .filter(shoppers::status.eq("applicant"))
        .filter(shoppers::created_at.lt(now - Duration::days(APPLICANT_DAYS)))
        .select(shoppers::user_id)
        .load(conn)?;
    let leads: Vec<UserId> = users::table
        .left_join(shoppers::table.on(shoppers::user_id.eq(users::id)))
        .filter(shoppers::user_id.is_null())
        .filter(users::erased_at.is_null())
        .filter(users::role.eq("shopper"))
        .filter(users::created_at.lt(now - Duration::days(LEAD_DAYS)))
        .select(users::id)
        .load(conn)?;
    // Inactive: the latest of the profile's change, a sign-in's refresh and an assignment's
    // move, older than the setting.
    let cutoff = now - Duration::days(i64::from(days.inactive_shopper));
    let candidates: Vec<(UserId, NaiveDateTime)> = shoppers::table
        .inner_join(users::table.on(users::id.eq(shoppers::user_id)))
        .filter(users::erased_at.is_null())
        .filter(shoppers::status.ne("applicant"))
        .filter(shoppers::updated_at.lt(cutoff))
        .select((shoppers::user_id, shoppers::updated_at))
        .load(conn)?;
    let mut inactive = Vec::new();
    for chunk in candidates.chunks(500) {
        let ids: Vec<UserId> = chunk.iter().map(|(id, _)| *id).collect();
        let mut latest: HashMap<UserId, NaiveDateTime> = chunk.iter().copied().collect();
        let refreshed: Vec<(UserId, NaiveDateTime)> = sessions::table
            .filter(sessions::user_id.eq_any(&ids))
            .select((sessions::user_id, sessions::last_refreshed_at))
            .load(conn)?;
        let moved: Vec<(i64, NaiveDateTime)> = assignments::table
            .filter(assignments::shopper_id.eq_any(ids.iter().map(|u| u.0)))
            .select((assignments::shopper_id, assignments::updated_at))
            .load(conn)?;
        for (id, at) in refreshed
            .into_iter()
            .chain(moved.into_iter().map(|(s, at)| (UserId(s), at)))
        {
            latest
                .entry(id)
                .and_modify(|l| *l = (*l).max(at))
                .or_insert(at);
        }
        inactive.extend(
            ids.into_iter()
                .filter(|id| latest.get(id).is_some_and(|at| *at < cutoff)),
        );
    }
    Ok((applicants, leads, inactive))
}

/// One run of the schedule at `now`: counts what has expired, and deletes it when `apply`.
/// Returns the report and the storage keys to delete once committed.
pub fn run_rows(
    conn: &mut DbConnection,
    days: &RetentionDays,
    now: NaiveDateTime,
    apply: bool,
) -> AppResult<(Report, Vec<String>)> {
    let mut report = Report {
        applied: apply,
        ..Report::default()
    };
    let mut objects = Vec::new();
    let (applicants, leads, inactive) = expired_people(conn, days, now)?;
    for (category, people) in [
        ("applicants never approved", applicants),
        ("accounts that never applied", leads),
        ("inactive shoppers", inactive),
    ] {
        report.add(category, people.len());
        if apply {
            for person in people {
                let erased = write_transaction(conn, |conn| {
                    super::erase::erase_rows(conn, person, super::erase::Why::Expired, now)
                })?;
                objects.extend(erased.objects);
            }
        }
    }
    // Files past their time; the reports stay.
    let media_cutoff = now - Duration::days(i64::from(days.media));
    type FileKeys = (i64, Option<String>, Option<String>, Option<String>);
    let old_files: Vec<FileKeys> = media::table
        .filter(media::created_at.lt(media_cutoff))
        .select((
            media::id,
            media::web_key,
            media::thumb_key,
            media::original_key,
        ))
        .load(conn)?;
    report.add("photos and recordings", old_files.len());
    if apply {
        for chunk in old_files.chunks(500) {
            let ids: Vec<i64> = chunk.iter().map(|f| f.0).collect();
            diesel::delete(media::table.filter(media::id.eq_any(&ids))).execute(conn)?;
            for (_, web, thumb, original) in chunk {
                objects.extend([web, thumb, original].into_iter().flatten().cloned());
            }
        }
    }
    let access_cutoff = now - Duration::days(i64::from(days.access_log));
    let old_reads = access_records::table.filter(access_records::accessed_at.lt(access_cutoff));
    report.add(
        "records of who read a person's data",
        if apply {
            diesel::delete(old_reads).execute(conn)?
        } else {
            usize::try_from(old_reads.count().get_result::<i64>(conn)?).unwrap_or(0)
        },
    );
    let old_shares: Vec<i64> = shares::table
        .filter(shares::created_at.lt(now - Duration::days(SHARE_LIST_DAYS)))
        .select(shares::id)
        .load(conn)?;
    let mut listed = 0;
    for chunk in old_shares.chunks(500) {
        let rows = share_rows::table.filter(share_rows::share_id.eq_any(chunk));
        listed += if apply {
            diesel::delete(rows).execute(conn)?
        } else {
            usize::try_from(rows.count().get_result::<i64>(conn)?).unwrap_or(0)
        };
    }
    report.add("lists made for friendly competitors", listed);
    let old_contacts = shares::table
        .filter(shares::created_at.lt(now - Duration::days(SHARE_CONTACT_DAYS)))
        .filter(shares::recipient_email.is_not_null());
    report.add(
        "friendly competitors' contacts",
        if apply {
            diesel::update(old_contacts)
                .set(shares::recipient_email.eq(None::<String>))
                .execute(conn)?
        } else {
            usize::try_from(old_contacts.count().get_result::<i64>(conn)?).unwrap_or(0)
        },
    );
    let record_cutoff = now - Duration::days(REQUEST_RECORD_DAYS);
    if apply {
        // The signed authorisations kept with them go too.
        let files: Vec<Option<String>> = privacy_request_agents::table
            .inner_join(privacy_requests::table)
            .filter(privacy_requests::received_at.lt(record_cutoff))
            .select(privacy_request_agents::authorisation_key)
            .load(conn)?;
        objects.extend(files.into_iter().flatten());
    }
    // Agents revoked 24 months ago, with their contact.
    let old_agents = drp_agents::table.filter(drp_agents::revoked_at.lt(record_cutoff));
    report.add(
        "authorised agents revoked long ago",
        if apply {
            diesel::delete(old_agents).execute(conn)?
        } else {
            usize::try_from(old_agents.count().get_result::<i64>(conn)?).unwrap_or(0)
        },
    );
    let old_requests =
        privacy_requests::table.filter(privacy_requests::received_at.lt(record_cutoff));
    report.add(
        "privacy request records",
        if apply {
            diesel::delete(old_requests).execute(conn)?
        } else {
            usize::try_from(old_requests.count().get_result::<i64>(conn)?).unwrap_or(0)
        },
    );
    Ok((report, objects))
}

/// [`run_rows`], then the expired objects deleted from storage.
pub async fn run(
    db: &DbPool,
    storage: &Storage,
    days: RetentionDays,
    now: NaiveDateTime,
    apply: bool,
) -> AppResult<Report> {
    let (report, objects) = db
        .run(move |conn| run_rows(conn, &days, now, apply))
        .await?;
    for key in &objects {
        if let Err(e) = storage.delete(key).await {
            tracing::warn!(key, error = %e, "an expired object was left for the sweep");
        }
    }
    Ok(report)
}
