//! A client's dispute of a released report: raised by one of the client's reviewers within the
//! project's dispute days, with a reason; answered by QA (upheld or dismissed, with why). Both
//! are events of the report's review, so its shopper reads them on their report. While a
//! dispute is open the shopper's pay for the report waits (pay reads `disputes`).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::service::{client_of, not_found, released_of};
use crate::auth::{CurrentUser, Role};
use crate::db::schema::{assignments, disputes, jobs, locations, projects, reports};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{AssignmentId, ClientId};
use crate::paging::{PageRequest, Paged};
use crate::reports::review;

/// Longest reason or answer, in characters.
pub const MAX_WORDS: usize = 2000;

/// Who answers disputes: QA and admins.
pub const ANSWERERS: &[Role] = &[Role::Qa, Role::Admin];

crate::ids::stored_enum! {
    /// QA's answer to a dispute.
    pub enum Outcome as "dispute outcome" {
        /// The client is right (the report is corrected, and the shopper's pay for it may be
        /// withheld).
        Upheld = "upheld",
        /// The report stands.
        Dismissed = "dismissed",
    }
}

/// A dispute as its client, QA and the shopper read it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = disputes)]
pub struct DisputeView {
    pub assignment_id: AssignmentId,
    pub reason: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub raised_at: NaiveDateTime,
    pub outcome: Option<Outcome>,
    pub answer: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub answered_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Option<DisputeView>> {
    disputes::table
        .find(id)
        .select(DisputeView::as_select())
        .first(conn)
        .optional()
}

fn words(field: &str, text: &str, what: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        Err(FieldError::new(field, format!("Say {what}.")))
    } else if text.chars().count() > MAX_WORDS {
        Err(FieldError::new(
            field,
            format!("Keep it under {MAX_WORDS} characters."),
        ))
    } else {
        Ok(text.to_string())
    }
}

/// Until when released report `id` may be disputed: its release and its project's days.
pub fn open_until(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Option<NaiveDateTime>> {
    let row: Option<(Option<NaiveDateTime>, i32)> = reports::table
        .inner_join(assignments::table.inner_join(jobs::table.inner_join(projects::table)))
        .filter(reports::assignment_id.eq(id))
        .select((reports::released_at, projects::dispute_days))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(released, days)| released.map(|r| r + Duration::days(i64::from(days)))))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    /// What is wrong with the report, in the client's words (QA and the shopper read it).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The client disputes its released report `id`, once, within the project's dispute days.
pub fn raise(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<DisputeView> {
    let client = client_of(user)?;
    write_transaction(conn, |conn| {
        released_of(conn, client, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(not_found)?;
        let reason = words("reason", reason, "what is wrong with the report")
            .map_err(|e| AppError::validation(vec![e]))?;
        if find(conn, id)?.is_some() {
            return Err(AppError::conflict(
                "disputed_already",
                "This report was disputed once already; QA's answer to it stands.",
            ));
        }
        let until = open_until(conn, id)?.ok_or_else(not_found)?;
        if now > until {
            return Err(AppError::conflict(
                "dispute_late",
                format!(
                    "The project allows disputes until {} UTC; that has passed.",
                    until.format("%b %-d, %Y %H:%M")
                ),
            ));
        }
        diesel::insert_into(disputes::table)
            .values((
                disputes::assignment_id.eq(id),
                disputes::client_id.eq(client),
                disputes::raised_by.eq(user.id),
                disputes::reason.eq(&reason),
                disputes::raised_at.eq(now),
            ))
            .execute(conn)?;
        review::add_event(conn, id, "disputed", None, Some(&reason), now)?;
        find(conn, id)?.ok_or_else(not_found)
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub outcome: Outcome,
    /// Why, in words the client and the shopper read.
    pub answer: String,
    /// Upheld only: the shopper is not paid for the report (their pending lines are withheld,
    /// with the answer as the reason).
    #[serde(default)]
    pub withhold_pay: bool,
}

/// QA answers the dispute of report `id`, once.
pub fn answer(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    request: &AnswerRequest,
    now: NaiveDateTime,
) -> AppResult<DisputeView> {
    user.require(ANSWERERS)?;
    let mut errors = Vec::new();
    let text = words("answer", &request.answer, "why")
        .map_err(|e| errors.push(e))
        .ok();
    if request.withhold_pay && request.outcome != Outcome::Upheld {
        errors.push(FieldError::new(
            "withhold_pay",
            "Pay is withheld only when the dispute is upheld.",
        ));
    }
    let no_dispute = || AppError::not_found("No dispute of a report has this id.");
    write_transaction(conn, |conn| {
        find(conn, id)?.ok_or_else(no_dispute)?;
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let text = text.unwrap_or_default();
        let n = diesel::update(
            disputes::table
                .find(id)
                .filter(disputes::answered_at.is_null()),
        )
        .set((
            disputes::outcome.eq(request.outcome),
            disputes::answer.eq(&text),
            disputes::answered_by.eq(user.id),
            disputes::answered_at.eq(now),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::conflict(
                "answered_already",
                "This dispute was answered already.",
            ));
        }
        let action = match request.outcome {
            Outcome::Upheld => "dispute_upheld",
            Outcome::Dismissed => "dispute_dismissed",
        };
        review::add_event(conn, id, action, Some(user.id), Some(&text), now)?;
        find(conn, id)?.ok_or_else(no_dispute)
    })
}

/// A dispute in QA's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisputeItem {
    #[serde(flatten)]
    pub dispute: DisputeView,
    pub client_id: ClientId,
    pub project: String,
    pub store: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisputeQuery {
    /// Answered ones too (default: only the open ones).
    pub all: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Disputes, oldest first; the open ones unless `all`.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    all: bool,
    page: PageRequest,
) -> AppResult<Paged<DisputeItem>> {
    user.require(ANSWERERS)?;
    let base = || {
        let q = disputes::table
            .inner_join(assignments::table.on(assignments::id.eq(disputes::assignment_id)))
            .inner_join(jobs::table.on(jobs::id.eq(assignments::job_id)))
            .inner_join(projects::table.on(projects::id.eq(jobs::project_id)))
            .inner_join(locations::table.on(locations::id.eq(jobs::location_id)))
            .into_boxed();
        if all {
            q
        } else {
            q.filter(disputes::answered_at.is_null())
        }
    };
    let total = base().count().get_result(conn)?;
    let rows: Vec<(DisputeView, ClientId, String, String)> = base()
        .order((disputes::raised_at, disputes::assignment_id))
        .offset(page.offset())
        .limit(page.limit())
        .select((
            DisputeView::as_select(),
            disputes::client_id,
            projects::name,
            locations::code,
        ))
        .load(conn)?;
    Ok(Paged::new(
        rows.into_iter()
            .map(|(dispute, client_id, project, store)| DisputeItem {
                dispute,
                client_id,
                project,
                store,
            })
            .collect(),
        page,
        total,
    ))
}
