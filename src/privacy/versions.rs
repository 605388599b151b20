//! Versions of the privacy notice, as the policies promise: "we will use information in
//! accordance with the privacy policy under which the information was collected", and "we will
//! not collect additional categories … without informing you".
//!
//! Every account accepted the first version ([`super::consent::NOTICE_VERSION`]) on joining.
//! The privacy officer publishes a later version with what changed, in words, and the day it
//! takes effect (tomorrow at the earliest); everyone with an account is mailed the changes at
//! once, before that day. A version may add purposes (uses of data that need a yes, like sharing
//! or a new kind of mail): an added purpose applies only to people who accepted that version or
//! a later one, and is enforced where the data is used ([`covered`]: shares, the daily digest);
//! everyone else keeps the terms they accepted.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::consent::{NOTICE_VERSION, Purpose};
use crate::db::schema::{notice_acceptances, notice_versions, shoppers, users};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::UserId;
use crate::mail::Outgoing;
use crate::mail::store as outbox;
use crate::paging::{PageRequest, Paged};

/// A version to publish.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// Its name, e.g. `2027-02-01`: letters, digits, `.`, `-` and `_`.
    pub version: String,
    /// The day it takes effect (YYYY-MM-DD), tomorrow at the earliest: everyone is mailed first.
    pub effective_on: String,
    /// What changes, in words people understand (mailed to everyone).
    pub changes: String,
    /// Purposes it adds (`share_name_address`, `share_contact`, `job_offer_emails`,
    /// `daily_digest`): they apply only to people who accept this version.
    #[serde(default)]
    pub adds: Vec<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notice_versions)]
struct VersionRow {
    version: String,
    published_at: NaiveDateTime,
    effective_at: NaiveDateTime,
    changes: String,
    adds: String,
}

/// A published version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub published_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub effective_at: NaiveDateTime,
    pub changes: String,
    /// The purposes it adds.
    pub adds: Vec<String>,
    /// Those purposes in words.
    pub adds_words: Vec<String>,
}

impl From<VersionRow> for VersionView {
    fn from(r: VersionRow) -> Self {
        let adds: Vec<String> = r
            .adds
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        Self {
            adds_words: adds
                .iter()
                .filter_map(|a| Purpose::parse(a))
                .map(|p| p.words().to_string())
                .collect(),
            adds,
            version: r.version,
            published_at: r.published_at,
            effective_at: r.effective_at,
            changes: r.changes,
        }
    }
}

/// What publishing did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Published {
    #[serde(flatten)]
    pub version: VersionView,
    /// People mailed the changes.
    pub mailed: usize,
}

/// A version as one person sees it: whether they accepted it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyVersion {
    #[serde(flatten)]
    pub version: VersionView,
    pub accepted: bool,
}

/// The notice's versions for one person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyNotice {
    /// The version every account accepted on joining.
    pub first_version: String,
    /// Published versions, newest first (at most 20), each with whether you accepted it.
    pub versions: Vec<MyVersion>,
}

fn check(
    new: &NewVersion,
    now: NaiveDateTime,
) -> Result<(String, NaiveDateTime, String, Vec<Purpose>), AppError> {
    let mut errors = Vec::new();
    let version = new.version.trim();
    if version.is_empty()
        || version.len() > 40
        || !version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        errors.push(FieldError::new(
            "version",
            "Name the version with letters, digits, . - or _ (up to 40), like 2027-02-01.",
        ));
    } else if version == NOTICE_VERSION {
        errors.push(FieldError::new(
            "version",
            format!("{NOTICE_VERSION} is the first version, which everyone accepted: choose another name."),
        ));
    }
    let today = now.date();
    let effective = NaiveDate::parse_from_str(new.effective_on.trim(), "%Y-%m-%d").ok();
    match effective {
        None => errors.push(FieldError::new(
            "effective_on",
            "Type the day it takes effect as YYYY-MM-DD.",
        )),
        Some(day) if day <= today => errors.push(FieldError::new(
            "effective_on",
            "Choose a day after today: everyone must be told of the changes before they take effect.",
        )),
        Some(day) if day > today + chrono::Duration::days(366) => errors.push(FieldError::new(
            "effective_on",
            "Choose a day within a year.",
        )),
        Some(_) => {}
    }
    let changes = new.changes.trim();
    if !(10..=4000).contains(&changes.chars().count()) {
        errors.push(FieldError::new(
            "changes",
            "Say what changes, in words people understand (10 to 4000 characters).",
        ));
    }
    let mut adds = Vec::new();
    for (i, a) in new.adds.iter().enumerate() {
        match Purpose::parse(a.trim()) {
            Some(p) if !adds.contains(&p) => adds.push(p),
            Some(_) => errors.push(FieldError::new(format!("adds[{i}]"), "This purpose is named twice.")),
            None => errors.push(FieldError::new(
                format!("adds[{i}]"),
                "Name a purpose: share_name_address, share_contact, job_offer_emails or daily_digest.",
            )),
        }
    }
    match effective {
        Some(day) if errors.is_empty() => Ok((
            version.to_string(),
            day.and_hms_opt(0, 0, 0).unwrap_or(now),
            changes.to_string(),
            adds,
        )),
        _ => Err(AppError::validation(errors)),
    }
}

/// Publishes a version and mails everyone with an account the changes, before they take effect.
pub fn publish(
    conn: &mut DbConnection,
    by: UserId,
    new: &NewVersion,
    public_url: &str,
    now: NaiveDateTime,
) -> AppResult<Published> {
    let (version, effective_at, changes, adds) = check(new, now)?;
    write_transaction(conn, |conn| {
        let exists: i64 = notice_versions::table
            .find(&version)
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(AppError::conflict(
                "version_exists",
                "A version with this name is published already: choose another name.",
            ));
        }
        diesel::insert_into(notice_versions::table)
            .values((
                notice_versions::version.eq(&version),
                notice_versions::published_at.eq(now),
                notice_versions::effective_at.eq(effective_at),
                notice_versions::changes.eq(&changes),
                notice_versions::adds.eq(adds
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(",")),
                notice_versions::published_by.eq(by.0),
            ))
            .execute(conn)?;
        let people: Vec<String> = users::table
            .filter(users::erased_at.is_null())
            .select(users::email)
            .load(conn)?;
        let added = if adds.is_empty() {
            String::new()
        } else {
            format!(
                "\n\nIt adds new uses of your data: {}. They apply to you only if you accept this version; if you do not, we keep to the terms you accepted.",
                adds.iter()
                    .map(|p| p.words())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let url = public_url.trim_end_matches('/');
        for to in &people {
            outbox::enqueue(
                conn,
                &Outgoing {
                    to: to.clone(),
                    subject: format!(
                        "Our privacy notice changes on {}",
                        effective_at.format("%b %-d, %Y")
                    ),
                    body: format!(
                        "Hello,\n\nWe are changing our privacy notice (version {version}). The changes take effect on {}:\n\n{changes}{added}\n\nRead the notice: {url}/privacy-notice\nShoppers accept a version on their choices page: {url}/shopper/consents\n",
                        effective_at.format("%b %-d, %Y"),
                    ),
                },
                now,
            )?;
        }
        let row: VersionRow = notice_versions::table
            .find(&version)
            .select(VersionRow::as_select())
            .first(conn)?;
        Ok(Published {
            version: row.into(),
            mailed: people.len(),
        })
    })
}

/// The published versions, newest first.
pub fn list(conn: &mut DbConnection, page: PageRequest) -> AppResult<Paged<VersionView>> {
    let total: i64 = notice_versions::table.count().get_result(conn)?;
    let rows: Vec<VersionRow> = notice_versions::table
        .order(notice_versions::published_at.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(VersionRow::as_select())
        .load(conn)?;
    Ok(Paged::new(
        rows.into_iter().map(VersionView::from).collect(),
        page,
        total,
    ))
}

/// The versions for one person, with whether they accepted each.
pub fn mine(conn: &mut DbConnection, user: UserId) -> AppResult<MyNotice> {
    let rows: Vec<VersionRow> = notice_versions::table
        .order(notice_versions::published_at.desc())
        .limit(20)
        .select(VersionRow::as_select())
        .load(conn)?;
    let accepted: HashSet<String> = notice_acceptances::table
        .filter(notice_acceptances::user_id.eq(user.0))
        .select(notice_acceptances::version)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(MyNotice {
        first_version: NOTICE_VERSION.to_string(),
        versions: rows
            .into_iter()
            .map(|r| MyVersion {
                accepted: accepted.contains(&r.version),
                version: r.into(),
            })
            .collect(),
    })
}

/// Records that `user` accepts `version` (once; again changes nothing).
pub fn accept(
    conn: &mut DbConnection,
    user: UserId,
    version: &str,
    now: NaiveDateTime,
) -> AppResult<MyNotice> {
    let version = version.trim();
    if version.is_empty() {
        return Err(AppError::field(
            "version",
            "Choose the version of the notice you accept.",
        ));
    }
    write_transaction(conn, |conn| {
        let exists: i64 = notice_versions::table
            .find(version)
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(AppError::not_found(
                "No published version of the notice has this name.",
            ));
        }
        let already: i64 = notice_acceptances::table
            .filter(notice_acceptances::user_id.eq(user.0))
            .filter(notice_acceptances::version.eq(version))
            .count()
            .get_result(conn)?;
        if already == 0 {
            diesel::insert_into(notice_acceptances::table)
                .values((
                    notice_acceptances::user_id.eq(user.0),
                    notice_acceptances::version.eq(version),
                    notice_acceptances::accepted_at.eq(now),
                ))
                .execute(conn)?;
            // The profile names the newest version accepted (accepting an older one later
            // does not step it back).
            let newest: Option<String> = notice_acceptances::table
                .inner_join(notice_versions::table)
                .filter(notice_acceptances::user_id.eq(user.0))
                .order(notice_versions::published_at.desc())
                .select(notice_acceptances::version)
                .first(conn)
                .optional()?;
            if let Some(newest) = newest {
                diesel::update(shoppers::table.find(user.0))
                    .set(shoppers::privacy_notice_version.eq(newest))
                    .execute(conn)?;
            }
        }
        mine(conn, user)
    })
}

/// Of `people`, those whose accepted terms cover `purpose`: everyone, unless a published
/// version added it; then those who accepted that version or a later one.
pub fn covered(
    conn: &mut DbConnection,
    purpose: Purpose,
    people: Vec<UserId>,
) -> QueryResult<Vec<UserId>> {
    let versions: Vec<(String, NaiveDateTime, String)> = notice_versions::table
        .order(notice_versions::published_at.asc())
        .select((
            notice_versions::version,
            notice_versions::published_at,
            notice_versions::adds,
        ))
        .load(conn)?;
    let Some(first) = versions
        .iter()
        .position(|(_, _, adds)| adds.split(',').any(|a| a == purpose.as_str()))
    else {
        return Ok(people);
    };
    let enough: Vec<&str> = versions[first..]
        .iter()
        .map(|(v, _, _)| v.as_str())
        .collect();
    let mut accepted = HashSet::new();
    for chunk in people.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|u| u.0).collect();
        let found: Vec<i64> = notice_acceptances::table
            .filter(notice_acceptances::user_id.eq_any(&ids))
            .filter(notice_acceptances::version.eq_any(&enough))
            .select(notice_acceptances::user_id)
            .load(conn)?;
        accepted.extend(found);
    }
    Ok(people
        .into_iter()
        .filter(|u| accepted.contains(&u.0))
        .collect())
}
