//! QA's review of handed-in reports: the queue (oldest first, with each report's proof-of-visit
//! flags and its time waiting), a claim so that two reviewers do not work on one report, and
//! the outcomes: approve (released at once or by hand, as the project says), request a
//! revision (a reason, comments per question, a deadline), reject (a reason; the shopper may
//! appeal once, and a different reviewer decides), hold, and edits of an answer, each kept with
//! who, when, before, after and why, and shown to the shopper. A move the report's state does
//! not allow is 409 naming the state.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::store;
use crate::assignments::store as assignments;
use crate::auth::{CurrentUser, Role};
use crate::clients::store as clients;
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{AssignmentId, ClientId, ProjectId, ShopperId, UserId};
use crate::paging::{PageRequest, Paged};
use crate::reports::flags::Flag;
use crate::reports::model::Answers;
use crate::reports::review::{
    self, Review, ReviewRow, ReviewView, changed_meanwhile, illegal, not_in_review,
};

/// How long opening a report holds it for its reviewer.
pub const CLAIM_MINUTES: i64 = 30;
/// Longest reason, comment or appeal, in characters.
pub const MAX_WORDS: usize = 2000;

/// Who reviews: QA and admins.
pub const REVIEWERS: &[Role] = &[Role::Qa, Role::Admin];

/// The report and where it stands; a report never handed in is not QA's to see.
fn load(conn: &mut DbConnection, id: AssignmentId) -> AppResult<(ReviewRow, Review)> {
    let row = review::find(conn, id)?.ok_or_else(not_in_review)?;
    let review = row.review.ok_or_else(not_in_review)?;
    Ok((row, review))
}

/// Another reviewer's live claim on the report: refused.
fn check_claim(row: &ReviewRow, user: &CurrentUser, now: NaiveDateTime) -> AppResult<()> {
    match (row.claimed_by, row.claimed_until) {
        (Some(who), Some(until)) if who != user.id && until > now => Err(AppError::conflict(
            "claimed",
            format!(
                "Another reviewer opened this report; it is theirs until {} UTC.",
                until.format("%H:%M")
            ),
        )),
        _ => Ok(()),
    }
}

/// An appeal is decided by a reviewer other than the one who rejected the report.
fn check_second_reviewer(row: &ReviewRow, review: Review, user: &CurrentUser) -> AppResult<()> {
    if review == Review::Appealed && row.decided_by == Some(user.id) {
        return Err(AppError::conflict(
            "same_reviewer",
            "You rejected this report: a different reviewer decides its appeal.",
        ));
    }
    Ok(())
}

/// A reason in words: required, at most `MAX_WORDS` characters.
fn words_of(field: &str, text: Option<&str>, what: &str) -> Result<String, FieldError> {
    let text = text.map(str::trim).unwrap_or_default();
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

/// A reviewer's decision: why (required to send back, reject or hold), comments per question
/// (a revision), and the hours the shopper has (a revision; the project's when left out).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    #[serde(default)]
    pub reason: Option<String>,
    /// A revision: a comment for each question to fix, by the question's name.
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
    /// A revision: hours the shopper has to hand it in again (1–168).
    #[serde(default)]
    pub hours: Option<i64>,
    /// Approve or reject: the shopper's rating for this report, 1–10 (a rejection counts as
    /// 1 unless given; an approval rates only when given, or when excellent).
    #[serde(default)]
    pub rating: Option<i32>,
    /// Approve: an excellent report (a rating citing `excellent_report`, 10 unless given).
    #[serde(default)]
    pub excellent: bool,
    /// Approve: the reimbursement QA approves, in cents, when not the receipt amount the
    /// shopper entered (the job's cap still applies).
    #[serde(default)]
    pub reimbursement_cents: Option<i64>,
}

/// The decision's rating, checked: 1–10.
fn rating_of(decision: &Decision) -> AppResult<Option<i32>> {
    match decision.rating {
        Some(r) if !(1..=10).contains(&r) => Err(AppError::field("rating", "must be 1 to 10")),
        other => Ok(other),
    }
}

/// Rates the report's shopper for an outcome of it.
fn rate_for(
    conn: &mut DbConnection,
    id: AssignmentId,
    user: &CurrentUser,
    score: i32,
    citation: Option<&str>,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let assignment = assignments::find(conn, id)?.ok_or_else(not_in_review)?;
    store::rate(
        conn,
        &store::OutcomeRating {
            shopper: assignment.shopper_id,
            assignment: id,
            score,
            citation,
            note,
            by: user.id,
            on: now.date(),
        },
    )?;
    Ok(())
}

/// Claims report `id` for the reviewer for `CLAIM_MINUTES` (opening it does this).
pub fn claim(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    write_transaction(conn, |conn| {
        let (row, review) = load(conn, id)?;
        if !Review::WAITING.contains(&review) {
            return Err(illegal(review, "be claimed"));
        }
        check_second_reviewer(&row, review, user)?;
        check_claim(&row, user, now)?;
        let until = now + Duration::minutes(CLAIM_MINUTES);
        if !store::claim(conn, id, user.id, until, now)? {
            return Err(review::find(conn, id)?
                .and_then(|row| check_claim(&row, user, now).err())
                .unwrap_or_else(changed_meanwhile));
        }
        review::view(conn, user, id, now)
    })
}

/// The questionnaire version report `id` is on.
pub fn questionnaire_of(
    conn: &mut DbConnection,
    id: AssignmentId,
) -> AppResult<crate::reports::Questionnaire> {
    let report = crate::reports::store::find_report(conn, id)?.ok_or_else(not_in_review)?;
    let version = crate::reports::store::find_questionnaire(conn, report.questionnaire_id)?
        .ok_or_else(not_in_review)?;
    crate::reports::service::document(&version)
}

/// The project of report `id`: whether it releases approved reports at once, and the hours a
/// revision takes.
fn project_of(
    conn: &mut DbConnection,
    id: AssignmentId,
) -> AppResult<crate::clients::model::ProjectRow> {
    let assignment = assignments::find(conn, id)?.ok_or_else(not_in_review)?;
    let job = clients::find_job(conn, assignment.job_id)?;
    Ok(clients::find_project(conn, job.project_id)?)
}

/// Approves report `id`: released to the client at once when its project says so; an
/// excellent report, or a rating given, rates its shopper.
pub fn approve(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    decision: &Decision,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    let rating = rating_of(decision)?;
    write_transaction(conn, |conn| {
        let (row, review) = load(conn, id)?;
        if !Review::WAITING.contains(&review) {
            return Err(illegal(review, "be approved"));
        }
        check_second_reviewer(&row, review, user)?;
        check_claim(&row, user, now)?;
        approve_now(conn, id, review, Some(user.id), now, "approved")?;
        if review == Review::Appealed {
            // The rejection is overturned: so is its rating.
            store::withdraw_ratings(conn, id, "rejected_report")?;
        }
        if decision.excellent {
            let note = format!("An excellent report (report {id})");
            rate_for(
                conn,
                id,
                user,
                rating.unwrap_or(10),
                Some("excellent_report"),
                &note,
                now,
            )?;
        } else if let Some(score) = rating {
            rate_for(conn, id, user, score, None, &format!("Report {id}"), now)?;
        }
        review::view(conn, user, id, now)
    })
}

/// Approves (and releases, where the project says so) a report in state `from`.
fn approve_now(
    conn: &mut DbConnection,
    id: AssignmentId,
    from: Review,
    by: Option<UserId>,
    now: NaiveDateTime,
    action: &str,
) -> AppResult<()> {
    let release = project_of(conn, id)?.release_on_approval;
    let (to, released) = if release {
        (Review::Released, Some(now))
    } else {
        (Review::Approved, None)
    };
    if !store::decide(conn, id, from, to, by, released)? {
        return Err(changed_meanwhile());
    }
    let action = if from == Review::Appealed {
        "appeal_upheld"
    } else {
        action
    };
    review::add_event(conn, id, action, by, None, now)?;
    if release {
        review::add_event(conn, id, "released", by, None, now)?;
    }
    Ok(())
}

/// Sends report `id` back to its shopper, with a reason, comments per question and a
/// deadline (the project's hours unless the decision says).
pub fn revise(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    decision: &Decision,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    write_transaction(conn, |conn| {
        let (row, review) = load(conn, id)?;
        if !matches!(review, Review::Queued | Review::Held) {
            return Err(illegal(review, "be sent back for a revision"));
        }
        check_claim(&row, user, now)?;
        let project = project_of(conn, id)?;
        let questionnaire = questionnaire_of(conn, id)?;
        let mut errors = Vec::new();
        let reason = words_of(
            "reason",
            decision.reason.as_deref(),
            "what the shopper should fix",
        )
        .map_err(|e| errors.push(e))
        .ok();
        for (name, comment) in &decision.comments {
            let field = format!("comments.{name}");
            if questionnaire.question(name).is_none() {
                errors.push(FieldError::new(
                    &field,
                    format!("The report has no question named “{name}”."),
                ));
            } else if let Err(e) = words_of(&field, Some(comment), "what to fix in this answer") {
                errors.push(e);
            }
        }
        let hours = decision
            .hours
            .unwrap_or_else(|| i64::from(project.revision_hours));
        if !(1..=168).contains(&hours) {
            errors.push(FieldError::new("hours", "must be 1 to 168 hours"));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let comments: BTreeMap<&String, String> = decision
            .comments
            .iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect();
        let text = serde_json::to_string(&comments)
            .map_err(|e| AppError::internal(anyhow::anyhow!("comments not written: {e}")))?;
        if !store::send_back(conn, id, review, now + Duration::hours(hours), &text)? {
            return Err(changed_meanwhile());
        }
        review::add_event(
            conn,
            id,
            "revision_requested",
            Some(user.id),
            reason.as_deref(),
            now,
        )?;
        review::view(conn, user, id, now)
    })
}

/// Rejects report `id`, with a reason; a rejection after an appeal is final.
pub fn reject(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    decision: &Decision,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    let reason = words_of("reason", decision.reason.as_deref(), "why it is rejected")
        .map_err(|e| AppError::validation(vec![e]))?;
    let rating = rating_of(decision)?;
    write_transaction(conn, |conn| {
        let (row, review) = load(conn, id)?;
        // A revision not handed in again by its deadline may be rejected too (else it would
        // wait for ever).
        let revision_missed =
            review == Review::Revision && row.revision_due.is_some_and(|due| due < now);
        if !Review::WAITING.contains(&review) && !revision_missed {
            return Err(illegal(review, "be rejected"));
        }
        check_second_reviewer(&row, review, user)?;
        check_claim(&row, user, now)?;
        if !store::decide(conn, id, review, Review::Rejected, Some(user.id), None)? {
            return Err(changed_meanwhile());
        }
        if revision_missed {
            // The draft it had become is closed: what was handed in before stands.
            store::close_draft(conn, id)?;
        }
        let action = if review == Review::Appealed {
            "appeal_refused"
        } else {
            "rejected"
        };
        // The rejection rates the shopper (once: an appeal refused keeps the first).
        if review != Review::Appealed {
            let note = format!("Report {id} rejected: {reason}");
            rate_for(
                conn,
                id,
                user,
                rating.unwrap_or(1),
                Some("rejected_report"),
                &note,
                now,
            )?;
        }
        review::add_event(conn, id, action, Some(user.id), Some(&reason), now)?;
        review::view(conn, user, id, now)
    })
}

/// Puts report `id` on hold, with a reason; it stays in the queue.
pub fn hold(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    decision: &Decision,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    let reason = words_of("reason", decision.reason.as_deref(), "why it waits")
        .map_err(|e| AppError::validation(vec![e]))?;
    write_transaction(conn, |conn| {
        let (row, review) = load(conn, id)?;
        if review != Review::Queued {
            return Err(illegal(review, "be put on hold"));
        }
        check_claim(&row, user, now)?;
        if !store::decide(conn, id, review, Review::Held, None, None)? {
            return Err(changed_meanwhile());
        }
        review::add_event(conn, id, "held", Some(user.id), Some(&reason), now)?;
        review::view(conn, user, id, now)
    })
}

/// Releases approved report `id` to the client (a project that releases by hand).
pub fn release(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    write_transaction(conn, |conn| {
        let (_, review) = load(conn, id)?;
        if review != Review::Approved {
            return Err(illegal(review, "be released"));
        }
        if !store::decide(conn, id, review, Review::Released, None, Some(now))? {
            return Err(changed_meanwhile());
        }
        review::add_event(conn, id, "released", Some(user.id), None, now)?;
        review::view(conn, user, id, now)
    })
}

/// The shopper's one appeal of a rejection, in their words: back to the queue, for a
/// different reviewer.
pub fn appeal(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    text: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(&[Role::Shopper])?;
    write_transaction(conn, |conn| {
        // Whose it is before what was sent: another shopper's report is not theirs to know of.
        let assignment = assignments::find(conn, id)?
            .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
        if assignment.shopper_id != ShopperId::from(user.id) {
            return Err(AppError::not_found("No assignment has this id."));
        }
        let text = words_of("text", text, "why the report should be looked at again")
            .map_err(|e| AppError::validation(vec![e]))?;
        let (row, review) = load(conn, id)?;
        if review != Review::Rejected {
            return Err(illegal(review, "be appealed"));
        }
        if row.appeal.is_some() {
            return Err(AppError {
                state: Some(review.as_str()),
                ..AppError::conflict(
                    "appealed_already",
                    "You appealed this report once already; the second reviewer's decision stands.",
                )
            });
        }
        if !review::enqueue(conn, id, Some(review), Review::Appealed, Some(&text), now)? {
            return Err(changed_meanwhile());
        }
        review::add_event(conn, id, "appealed", Some(user.id), Some(&text), now)?;
        review::view(conn, user, id, now)
    })
}

/// A change QA makes to one answer: the question, the new answer (as the report API takes it;
/// null clears it) and why.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    pub question: String,
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    pub reason: Option<String>,
}

/// Changes one answer of report `id`, kept with who, when, before, after and why (shown to the
/// shopper). Photos and recordings are not edited. A released report's review is locked; a
/// change to it is a correction: a new version of the report, with its reason.
pub fn edit(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    request: &EditRequest,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    let reason = words_of(
        "reason",
        request.reason.as_deref(),
        "why the answer changes",
    )
    .map_err(|e| AppError::validation(vec![e]))?;
    write_transaction(conn, |conn| {
        let (row, review) = load(conn, id)?;
        if !matches!(
            review,
            Review::Queued | Review::Held | Review::Appealed | Review::Approved | Review::Released
        ) {
            return Err(illegal(review, "be edited"));
        }
        check_claim(&row, user, now)?;
        let q = questionnaire_of(conn, id)?;
        let question = q.question(&request.question).ok_or_else(|| {
            AppError::field(
                "question",
                format!("The report has no question named “{}”.", request.question),
            )
        })?;
        if question.kind.is_media() {
            return Err(AppError::field(
                "question",
                "Photos and recordings are not edited: send the report back for a revision.",
            ));
        }
        let answers: Answers = serde_json::from_str(&row.answers)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report {id} unreadable: {e}")))?;
        let before = answers.0.get(&request.question).cloned();
        // The whole report read again with the one answer changed: the same rules as the
        // shopper's save, so an edit cannot write what a shopper could not.
        let mut sent: serde_json::Map<String, serde_json::Value> = answers
            .0
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
            .collect();
        sent.insert(request.question.clone(), request.answer.clone());
        let read = q.read_answers(&sent).map_err(|errors| {
            AppError::validation(
                errors
                    .into_iter()
                    .map(|e| FieldError::new("answer", e.message))
                    .collect(),
            )
        })?;
        let after = read.0.get(&request.question).cloned();
        if before == after {
            return Err(AppError::field(
                "answer",
                "This is the answer the report has already.",
            ));
        }
        let text = serde_json::to_string(&read)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report not written: {e}")))?;
        store::set_answers(conn, id, &text)?;
        let as_text = |a: &Option<crate::reports::Answer>| {
            a.as_ref().and_then(|a| serde_json::to_string(a).ok())
        };
        let (before_text, after_text) = (as_text(&before), as_text(&after));
        store::add_edit(
            conn,
            id,
            &store::NewEdit {
                question: &request.question,
                before: before_text.as_deref(),
                after: after_text.as_deref(),
                reason: &reason,
                editor: user.id,
            },
            now,
        )?;
        if review == Review::Released {
            // After release, a correction: a new version of the report the client sees, with
            // its reason.
            review::add_event(conn, id, "corrected", Some(user.id), Some(&reason), now)?;
        }
        review::view(conn, user, id, now)
    })
}

/// What replaces a redacted phrase.
pub const REDACTED: &str = "[redacted]";

/// `text` with every occurrence of `phrase` (letters compared regardless of case) replaced by
/// [`REDACTED`]; None when it does not occur.
pub fn redacted(text: &str, phrase: &str) -> Option<String> {
    let folded = |s: &str| -> Vec<char> { s.chars().flat_map(char::to_lowercase).collect() };
    let wanted = folded(phrase);
    if wanted.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let mut rest = text;
    'scan: while !rest.is_empty() {
        // Does `rest` start with the phrase? Walk its characters until the phrase is used up.
        let mut got: Vec<char> = Vec::with_capacity(wanted.len());
        for (i, c) in rest.char_indices() {
            got.extend(c.to_lowercase());
            if got.len() >= wanted.len() {
                if got == wanted {
                    out.push_str(REDACTED);
                    found = true;
                    rest = &rest[i + c.len_utf8()..];
                    continue 'scan;
                }
                break;
            }
            if !wanted.starts_with(&got) {
                break;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    found.then_some(out)
}

/// A phrase to remove from a text answer (one that names the shopper, say).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactRequest {
    pub question: String,
    /// The words to remove, as they appear (letters in any case); every occurrence goes.
    pub phrase: String,
    /// Why, if not the default ("A phrase that could identify you was removed before the
    /// client saw it.").
    #[serde(default)]
    pub reason: Option<String>,
}

/// Removes a phrase from a text answer of report `id`: an edit like any other (kept with
/// before, after and why, shown to the shopper; after release a correction).
pub fn redact(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    request: &RedactRequest,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    user.require(REVIEWERS)?;
    let phrase = request.phrase.trim();
    if phrase.is_empty() || phrase.chars().count() > 200 {
        return Err(AppError::field(
            "phrase",
            "Type the words to remove (at most 200 characters).",
        ));
    }
    write_transaction(conn, |conn| {
        let (row, _) = load(conn, id)?;
        let q = questionnaire_of(conn, id)?;
        let question = q.question(&request.question).ok_or_else(|| {
            AppError::field(
                "question",
                format!("The report has no question named “{}”.", request.question),
            )
        })?;
        if question.kind != crate::reports::QuestionKind::Text {
            return Err(AppError::field(
                "question",
                "Only a written answer has phrases to remove.",
            ));
        }
        let answers: Answers = serde_json::from_str(&row.answers)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report {id} unreadable: {e}")))?;
        let text = match answers.0.get(&request.question) {
            Some(crate::reports::Answer::Choice(t)) => t.clone(),
            _ => String::new(),
        };
        let new = redacted(&text, phrase).ok_or_else(|| {
            AppError::field(
                "phrase",
                format!("This answer does not contain “{phrase}”."),
            )
        })?;
        let reason = request
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("A phrase that could identify you was removed before the client saw it.")
            .to_string();
        edit(
            conn,
            user,
            id,
            &EditRequest {
                question: request.question.clone(),
                answer: serde_json::Value::String(new),
                reason: Some(reason),
            },
            now,
        )
    })
}

/// The queue's filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub client_id: Option<ClientId>,
    pub project_id: Option<ProjectId>,
    /// Only reports with this proof-of-visit flag (`duplicate_receipt`, …).
    pub flag: Option<String>,
    /// The page, from 1.
    pub page: Option<i64>,
    /// Reports a page (1–100; 50 when left out).
    pub per_page: Option<i64>,
}

/// A report in QA's queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub assignment_id: AssignmentId,
    pub state: Review,
    pub client_id: ClientId,
    pub project_id: ProjectId,
    pub project: String,
    pub store: String,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub queued_at: Option<NaiveDateTime>,
    /// Minutes it has waited.
    pub waiting_minutes: i64,
    /// Waiting longer than its project allows.
    pub overdue: bool,
    /// An appeal: a different reviewer from the one who rejected it decides.
    pub appeal: bool,
    /// Who has it open: `you`, `another reviewer`, or nobody.
    pub claimed: Option<&'static str>,
    pub flags: Vec<Flag>,
}

/// One page of the queue, oldest first.
pub fn queue(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &QueueQuery,
    page: PageRequest,
    now: NaiveDateTime,
) -> AppResult<Paged<QueueItem>> {
    user.require(REVIEWERS)?;
    let rows = store::queue(conn, filter.client_id, filter.project_id)?;
    let mut items = Vec::new();
    let mut total = 0i64;
    for row in rows {
        // Flags are read for a report on the page, or for every report when filtering by one.
        let on_page = total >= page.offset() && total < page.offset() + page.limit();
        let flags = if filter.flag.is_some() || on_page {
            crate::media::proof::flags_of(conn, row.assignment_id)?
        } else {
            Vec::new()
        };
        if let Some(code) = filter.flag.as_deref()
            && !flags.iter().any(|f| f.code == code)
        {
            continue;
        }
        let on_page = total >= page.offset() && total < page.offset() + page.limit();
        total += 1;
        if !on_page {
            continue;
        }
        let waited = row.queued_at.map_or(0, |q| (now - q).num_minutes().max(0));
        let claimed = match (row.claimed_by, row.claimed_until) {
            (Some(who), Some(until)) if until > now => Some(if who == user.id {
                "you"
            } else {
                "another reviewer"
            }),
            _ => None,
        };
        items.push(QueueItem {
            assignment_id: row.assignment_id,
            state: row.review.unwrap_or(Review::Queued),
            client_id: row.client_id,
            project_id: row.project_id,
            project: row.project_name,
            store: row.location_code,
            queued_at: row.queued_at,
            waiting_minutes: waited,
            overdue: waited >= i64::from(row.review_limit_hours) * 60,
            appeal: row.appeal.is_some(),
            claimed,
            flags,
        });
    }
    Ok(Paged::new(items, page, total))
}

/// Approves, by themselves, the reports that waited longer than their project allows where
/// the project says so (the background work calls this); `then` runs in each approval's
/// transaction (pay earns its lines there). How many were approved.
pub fn approve_overdue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    then: impl Fn(&mut DbConnection, AssignmentId) -> AppResult<()>,
) -> AppResult<usize> {
    let due = store::overdue_to_approve(conn, now)?;
    let mut done = 0;
    for (id, from, _) in due {
        let outcome = write_transaction(conn, |conn| {
            approve_now(conn, id, from, None, now, "approved_by_itself")?;
            then(conn, id)
        });
        match outcome {
            Ok(()) => done += 1,
            // A reviewer decided meanwhile: theirs stands.
            Err(e) if e.status == actix_web::http::StatusCode::CONFLICT => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_is_redacted_wherever_it_stands_in_any_case() {
        assert_eq!(
            redacted("Hi, I'm Ana Quill; ANA QUILL again.", "ana quill").as_deref(),
            Some("Hi, I'm [redacted]; [redacted] again.")
        );
        assert_eq!(
            redacted("Zoë Ångström was here", "zoë ångström").as_deref(),
            Some("[redacted] was here")
        );
        assert_eq!(redacted("Nothing here", "Ana"), None);
        assert_eq!(
            redacted("An", "Ana"),
            None,
            "a phrase cut short is no match"
        );
        assert_eq!(
            redacted("aana", "ana").as_deref(),
            Some("a[redacted]"),
            "a false start is passed over"
        );
        assert_eq!(redacted("x", "  ".trim()), None);
    }
}
