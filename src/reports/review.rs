//! A handed-in report's place with QA, as the report itself keeps it: its review state, the
//! events of its review (each outcome with its reason) and every answer QA changed (before,
//! after, why). Its shopper reads all of it with the report; QA's decisions (`qa/`) write it.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::store::ReportStatus;
use crate::auth::{CurrentUser, Role};
use crate::db::DbConnection;
use crate::db::schema::{report_edits, reports, review_events};
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, UserId};

/// Most events and edits a report view lists.
const HISTORY: i64 = 200;

crate::ids::stored_enum! {
    /// Where a handed-in report stands with QA.
    pub enum Review as "report review" {
        /// Waiting for a reviewer.
        Queued = "queued",
        /// Put aside by a reviewer, with a reason; still in the queue.
        Held = "held",
        /// Sent back to the shopper to fix by a deadline; a draft again until resubmitted.
        Revision = "revision",
        Approved = "approved",
        Rejected = "rejected",
        /// The shopper asked once for another look; a different reviewer decides.
        Appealed = "appealed",
        /// The client sees it; locked.
        Released = "released",
    }
}

impl Review {
    /// The states of the queue.
    pub const WAITING: [Review; 3] = [Review::Queued, Review::Held, Review::Appealed];

    /// The state in words, for the shopper and QA.
    pub fn words(self) -> &'static str {
        match self {
            Review::Queued => "waiting for review",
            Review::Held => "on hold",
            Review::Revision => "sent back for a revision",
            Review::Approved => "approved",
            Review::Rejected => "rejected",
            Review::Appealed => "appealed",
            Review::Released => "released to the client",
        }
    }
}

/// A report's review, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReviewRow {
    pub assignment_id: AssignmentId,
    pub status: ReportStatus,
    pub review: Option<Review>,
    pub queued_at: Option<NaiveDateTime>,
    pub claimed_by: Option<UserId>,
    pub claimed_until: Option<NaiveDateTime>,
    pub decided_by: Option<UserId>,
    pub revision_due: Option<NaiveDateTime>,
    pub revision_comments: Option<String>,
    pub appeal: Option<String>,
    pub released_at: Option<NaiveDateTime>,
    pub answers: String,
}

pub fn find(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Option<ReviewRow>> {
    reports::table
        .find(id)
        .select(ReviewRow::as_select())
        .first(conn)
        .optional()
}

/// Back into the queue at `now`: a report handed in (again), `to` queued; or a rejection
/// appealed with the shopper's `appeal`, `to` appealed.
pub fn enqueue(
    conn: &mut DbConnection,
    id: AssignmentId,
    from: Option<Review>,
    to: Review,
    appeal: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = reports::table.filter(reports::assignment_id.eq(id));
    let n = match (from, appeal) {
        (None, _) => diesel::update(target.filter(reports::review.is_null()))
            .set((reports::review.eq(to), reports::queued_at.eq(now)))
            .execute(conn)?,
        (Some(from), None) => diesel::update(target.filter(reports::review.eq(from)))
            .set((reports::review.eq(to), reports::queued_at.eq(now)))
            .execute(conn)?,
        (Some(from), Some(text)) => diesel::update(
            target
                .filter(reports::review.eq(from))
                .filter(reports::appeal.is_null()),
        )
        .set((
            reports::review.eq(to),
            reports::queued_at.eq(now),
            reports::appeal.eq(text),
        ))
        .execute(conn)?,
    };
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub action: String,
    pub actor_id: Option<UserId>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn add_event(
    conn: &mut DbConnection,
    id: AssignmentId,
    action: &str,
    actor: Option<UserId>,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(review_events::table)
        .values((
            review_events::assignment_id.eq(id),
            review_events::action.eq(action),
            review_events::actor_id.eq(actor),
            review_events::reason.eq(reason),
            review_events::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The report's review events, oldest first (at most `limit`).
pub fn events_of(
    conn: &mut DbConnection,
    id: AssignmentId,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    review_events::table
        .filter(review_events::assignment_id.eq(id))
        .order(review_events::id.asc())
        .limit(limit)
        .select((
            review_events::action,
            review_events::actor_id,
            review_events::reason,
            review_events::created_at,
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct EditRow {
    pub question: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: String,
    pub editor_id: Option<UserId>,
    pub created_at: NaiveDateTime,
}

/// QA's edits of the report, oldest first (at most `limit`).
pub fn edits_of(
    conn: &mut DbConnection,
    id: AssignmentId,
    limit: i64,
) -> QueryResult<Vec<EditRow>> {
    report_edits::table
        .filter(report_edits::assignment_id.eq(id))
        .order(report_edits::id.asc())
        .limit(limit)
        .select((
            report_edits::question,
            report_edits::before,
            report_edits::after,
            report_edits::reason,
            report_edits::editor_id,
            report_edits::created_at,
        ))
        .load(conn)
}

/// A move refused in the report's state: 409 naming it.
pub fn illegal(review: Review, action: &str) -> AppError {
    AppError {
        state: Some(review.as_str()),
        ..AppError::conflict(
            "illegal_transition",
            format!("The report is {}: it cannot {action} now.", review.words()),
        )
    }
}

/// The report changed under a decision.
pub fn changed_meanwhile() -> AppError {
    AppError::conflict(
        "changed_meanwhile",
        "The report changed while you were deciding: open it again to see where it stands.",
    )
}

/// A report never handed in is not QA's to see.
pub fn not_in_review() -> AppError {
    AppError::not_found("No handed-in report has this id.")
}

/// One event of a report's review, as its shopper and QA read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewEvent {
    /// `handed_in`, `claimed`, `approved`, `revision_requested`, `resubmitted`, `rejected`,
    /// `held`, `appealed`, `appeal_upheld`, `appeal_refused`, `released`, `approved_by_itself`.
    pub action: String,
    pub reason: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub at: NaiveDateTime,
}

/// One answer QA changed, as its shopper reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerEdit {
    pub question: String,
    /// The answer before and after (JSON values; null for none).
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    pub reason: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub at: NaiveDateTime,
}

/// A rating QA gave with an outcome of the report: its score and what it cites.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeRating {
    /// 1–10.
    pub score: i32,
    /// `excellent_report`, `rejected_report`, or none.
    pub citation: Option<String>,
    pub note: Option<String>,
}

/// The ratings given with the report's outcomes, oldest first.
pub fn ratings_of(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Vec<OutcomeRating>> {
    use crate::db::schema::ratings;
    let rows: Vec<(i32, Option<String>, Option<String>)> = ratings::table
        .filter(ratings::assignment_id.eq(id))
        .order(ratings::id.asc())
        .limit(HISTORY)
        .select((ratings::score, ratings::citation, ratings::note))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(score, citation, note)| OutcomeRating {
            score,
            citation,
            note,
        })
        .collect())
}

/// Where a report stands with QA: shown to its shopper and to staff.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub state: Review,
    /// The state in words.
    pub words: &'static str,
    /// A revision: by when the shopper hands it in again, and QA's comments by question.
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub revision_due: Option<NaiveDateTime>,
    pub comments: BTreeMap<String, String>,
    /// Whether the shopper may still appeal (rejected, not appealed before).
    pub may_appeal: bool,
    pub appeal: Option<String>,
    pub events: Vec<ReviewEvent>,
    pub edits: Vec<AnswerEdit>,
    /// The ratings QA gave with the outcomes (an excellent report, a rejection), and why.
    pub ratings: Vec<OutcomeRating>,
    /// The report's version as released: 1, and one more for each correction after release
    /// (each an event `corrected` with its reason); 0 before release.
    pub version: i32,
    /// Staff only: who holds the report and until when (the shopper's answer leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Claim {
    /// Whether it is the reader's own claim.
    pub yours: bool,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub until: NaiveDateTime,
}

/// The review of report `id` for `reader` (None before it was first handed in).
pub fn view(
    conn: &mut DbConnection,
    reader: &CurrentUser,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    let Some(row) = find(conn, id)? else {
        return Ok(None);
    };
    let Some(state) = row.review else {
        return Ok(None);
    };
    let comments: BTreeMap<String, String> = row
        .revision_comments
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let events: Vec<ReviewEvent> = events_of(conn, id, HISTORY)?
        .into_iter()
        .map(|e| ReviewEvent {
            action: e.action,
            reason: e.reason,
            at: e.created_at,
        })
        .collect();
    let json = |text: Option<String>| {
        text.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let edits = edits_of(conn, id, HISTORY)?
        .into_iter()
        .map(|e| AnswerEdit {
            question: e.question,
            before: json(e.before),
            after: json(e.after),
            reason: e.reason,
            at: e.created_at,
        })
        .collect();
    let claim = match (reader.role, row.claimed_by, row.claimed_until) {
        (Role::Shopper, ..) => None,
        (_, Some(who), Some(until)) if until > now => Some(Claim {
            yours: who == reader.id,
            until,
        }),
        _ => None,
    };
    let ratings = ratings_of(conn, id)?;
    let version = if state == Review::Released {
        1 + events.iter().filter(|e| e.action == "corrected").count() as i32
    } else {
        0
    };
    Ok(Some(ReviewView {
        state,
        words: state.words(),
        revision_due: row.revision_due.filter(|_| state == Review::Revision),
        comments: if state == Review::Revision {
            comments
        } else {
            BTreeMap::new()
        },
        may_appeal: state == Review::Rejected && row.appeal.is_none(),
        appeal: row.appeal,
        events,
        edits,
        ratings,
        version,
        claim,
    }))
}

/// When report `id` is sent back for a revision: by when it is due (the shopper may change it
/// and its files until then).
pub fn revision_due(conn: &mut DbConnection, id: AssignmentId) -> AppResult<Option<NaiveDateTime>> {
    Ok(find(conn, id)?
        .filter(|row| row.review == Some(Review::Revision))
        .map(|row| row.revision_due.unwrap_or(NaiveDateTime::MIN)))
}

/// Puts a report just handed in (or handed in again after a revision) in the queue. Called by
/// the report's submit, in its transaction.
pub fn handed_in(
    conn: &mut DbConnection,
    id: AssignmentId,
    actor: UserId,
    now: NaiveDateTime,
) -> AppResult<()> {
    let row = find(conn, id)?.ok_or_else(not_in_review)?;
    let (from, action) = match row.review {
        None => (None, "handed_in"),
        Some(Review::Revision) => (Some(Review::Revision), "resubmitted"),
        Some(other) => return Err(illegal(other, "be handed in")),
    };
    if !enqueue(conn, id, from, Review::Queued, None, now)? {
        return Err(changed_meanwhile());
    }
    add_event(conn, id, action, Some(actor), None, now)?;
    Ok(())
}
