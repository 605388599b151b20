//! Decisions about questionnaires (versions, publishing) and reports (who may read and write
//! one, saving a draft whole or not at all, the deadline, handing it in).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Answer, Answers, QuestionKind, Questionnaire, QuestionnaireDoc, Score};
use super::store::{
    self, QuestionnaireRow, QuestionnaireStatus, ReportRow, ReportStatus, ReportValues,
};
use crate::assignments::model::State;
use crate::assignments::store as assignments;
use crate::auth::{CurrentUser, Role};
use crate::clients::store as clients;
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{AssignmentId, ProjectId, QuestionnaireId, ShopperId};
use crate::money::Money;
use crate::paging::{PageRequest, Paged};
use crate::privacy::access;
use crate::privacy::inventory::Category;

/// A questionnaire version, with its document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionnaireView {
    pub id: QuestionnaireId,
    pub project_id: ProjectId,
    pub version: i32,
    pub status: QuestionnaireStatus,
    pub document: QuestionnaireDoc,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub published_at: Option<NaiveDateTime>,
}

/// A version as a project's list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionnaireSummary {
    pub id: QuestionnaireId,
    pub version: i32,
    pub status: QuestionnaireStatus,
    pub title: String,
    pub questions: usize,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub published_at: Option<NaiveDateTime>,
}

/// A stored document, read back; a document that no longer reads is a server fault.
pub fn document(row: &QuestionnaireRow) -> AppResult<Questionnaire> {
    let doc: QuestionnaireDoc = serde_json::from_str(&row.document).map_err(|e| {
        AppError::internal(anyhow::anyhow!("questionnaire {} unreadable: {e}", row.id))
    })?;
    Questionnaire::check(doc).map_err(|e| {
        AppError::internal(anyhow::anyhow!(
            "questionnaire {} no longer checks: {e:?}",
            row.id
        ))
    })
}

fn view_of(row: QuestionnaireRow) -> AppResult<QuestionnaireView> {
    let q = document(&row)?;
    Ok(QuestionnaireView {
        id: row.id,
        project_id: row.project_id,
        version: row.version,
        status: row.status,
        document: q.doc,
        created_at: row.created_at,
        published_at: row.published_at,
    })
}

/// A new draft version of the project's questionnaire (a published one never changes).
pub fn create_questionnaire(
    conn: &mut DbConnection,
    user: &CurrentUser,
    project_id: ProjectId,
    doc: QuestionnaireDoc,
    now: NaiveDateTime,
) -> AppResult<QuestionnaireView> {
    use diesel::OptionalExtension;
    let checked = Questionnaire::check(doc).map_err(AppError::validation)?;
    let text = serde_json::to_string(&checked.doc)
        .map_err(|e| AppError::internal(anyhow::anyhow!("questionnaire not written: {e}")))?;
    write_transaction(conn, |conn| {
        clients::find_project(conn, project_id)
            .optional()?
            .ok_or_else(|| AppError::not_found("No project has this id."))?;
        let version = store::last_version(conn, project_id)? + 1;
        let id = store::insert_questionnaire(conn, project_id, version, &text, user.id, now)?;
        questionnaire(conn, id)
    })
}

pub fn questionnaire(conn: &mut DbConnection, id: QuestionnaireId) -> AppResult<QuestionnaireView> {
    let row = store::find_questionnaire(conn, id)?
        .ok_or_else(|| AppError::not_found("No questionnaire has this id."))?;
    view_of(row)
}

/// One page of the project's versions, newest first.
pub fn questionnaires(
    conn: &mut DbConnection,
    project_id: ProjectId,
    page: PageRequest,
) -> AppResult<Paged<QuestionnaireSummary>> {
    use diesel::OptionalExtension;
    clients::find_project(conn, project_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No project has this id."))?;
    let list = store::questionnaires_of(conn, project_id, page)?;
    let items = list
        .items
        .iter()
        .map(|row| {
            let q = document(row)?;
            Ok(QuestionnaireSummary {
                id: row.id,
                version: row.version,
                status: row.status,
                title: q.doc.title.clone(),
                questions: q.questions().count(),
                created_at: row.created_at,
                published_at: row.published_at,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paged::new(items, page, list.total))
}

/// Changes draft `id` in place by `edit` (the builder page's steps: add, change, move or remove
/// a question), checked whole afterwards; a published version never changes (409).
pub fn edit_draft(
    conn: &mut DbConnection,
    id: QuestionnaireId,
    edit: impl FnOnce(&mut QuestionnaireDoc) -> AppResult<()>,
) -> AppResult<QuestionnaireView> {
    write_transaction(conn, |conn| {
        let row = store::find_questionnaire(conn, id)?
            .ok_or_else(|| AppError::not_found("No questionnaire has this id."))?;
        let published = || {
            AppError::conflict(
                "already_published",
                format!(
                    "Version {} is published and never changes: start a new draft from it.",
                    row.version
                ),
            )
        };
        if row.status != QuestionnaireStatus::Draft {
            return Err(published());
        }
        let mut doc = document(&row)?.doc;
        edit(&mut doc)?;
        let checked = Questionnaire::check(doc).map_err(AppError::validation)?;
        let text = serde_json::to_string(&checked.doc)
            .map_err(|e| AppError::internal(anyhow::anyhow!("questionnaire not written: {e}")))?;
        if !store::update_draft(conn, id, &text)? {
            return Err(published());
        }
        questionnaire(conn, id)
    })
}

/// Publishes a draft: new reports start on it; reports started before keep their version.
pub fn publish(
    conn: &mut DbConnection,
    id: QuestionnaireId,
    now: NaiveDateTime,
) -> AppResult<QuestionnaireView> {
    write_transaction(conn, |conn| {
        let row = store::find_questionnaire(conn, id)?
            .ok_or_else(|| AppError::not_found("No questionnaire has this id."))?;
        if !store::publish(conn, id, now)? {
            return Err(AppError::conflict(
                "already_published",
                format!(
                    "Version {} is published already and never changes: send the edited document as a new version.",
                    row.version
                ),
            ));
        }
        questionnaire(conn, id)
    })
}

/// A report as its shopper (or staff) reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub assignment_id: AssignmentId,
    /// The version the report was started on (it keeps it when a new one is published).
    pub questionnaire: QuestionnaireView,
    pub status: ReportStatus,
    /// The answers by question name.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Answer>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub visit_started_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub visit_ended_at: Option<NaiveDateTime>,
    /// The amount on the receipt, to be reimbursed up to the job's cap.
    pub receipt_cents: Option<Money>,
    /// The questions asked, given the answers (conditions decide), in order.
    pub asked: Vec<String>,
    /// The required questions asked and not answered, and the visit's times when missing:
    /// what stands between the report and handing it in.
    pub missing: Vec<Missing>,
    pub score: Score,
    /// The last day the report may be handed in (the window's end plus the project's grace
    /// days), unless staff reopened it.
    pub deadline: NaiveDate,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub reopened_until: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub submitted_at: Option<NaiveDateTime>,
    /// Proof of visit, for staff only: what QA should look at twice, in words (none rejects
    /// the report by itself). Left out of the shopper's answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<super::flags::Flag>>,
    /// Where the report stands with QA once handed in: outcomes with their reasons, QA's
    /// comments on a revision, and every answer QA changed (before, after, why).
    pub review: Option<super::review::ReviewView>,
}

/// Something a report still needs: a question (`name`) or a field of the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Missing {
    pub name: String,
    pub label: String,
}

/// `PUT /assignments/{id}/report`: the report's editable parts, whole (what is left out is
/// cleared).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// Answers by question name; `null` leaves a question unanswered.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// When the shopper went in and came out, RFC 3339 with an offset.
    pub visit_started_at: Option<DateTime<Utc>>,
    pub visit_ended_at: Option<DateTime<Utc>>,
    /// The amount on the receipt, in cents.
    pub receipt_cents: Option<i64>,
}

/// The assignment, its job and project, and whether `user` may read (`write` false) or
/// write its report: its shopper, or staff to read.
fn reachable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    write: bool,
) -> AppResult<(
    crate::assignments::model::AssignmentRow,
    crate::clients::model::JobRow,
    crate::clients::model::ProjectRow,
)> {
    let row = assignments::find(conn, id)?
        .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    match user.role {
        Role::Shopper if row.shopper_id == ShopperId::from(user.id) => {}
        // Another shopper's assignment is not theirs to know of.
        Role::Shopper => return Err(AppError::not_found("No assignment has this id.")),
        Role::Scheduler | Role::Qa | Role::Admin if !write => {}
        _ => {
            return Err(AppError::forbidden(
                "forbidden",
                "Only the assignment's shopper writes its report.",
            ));
        }
    }
    let job = clients::find_job(conn, row.job_id)?;
    let project = clients::find_project(conn, job.project_id)?;
    Ok((row, job, project))
}

fn deadline(
    job: &crate::clients::model::JobRow,
    project: &crate::clients::model::ProjectRow,
) -> NaiveDate {
    job.window_end + Duration::days(i64::from(project.report_grace_days))
}

/// The version a report reads: its own, or for a report not started, the project's current.
pub fn version_for(
    conn: &mut DbConnection,
    report: Option<&ReportRow>,
    project_id: ProjectId,
) -> AppResult<QuestionnaireRow> {
    let row = match report {
        Some(r) => store::find_questionnaire(conn, r.questionnaire_id)?,
        None => store::current_questionnaire(conn, project_id)?,
    };
    row.ok_or_else(|| {
        AppError::conflict(
            "no_questionnaire",
            "This project has no questionnaire yet, so its report cannot be filled in. The scheduling staff have been asked to publish one; try again later.",
        )
    })
}

fn report_view(
    conn: &mut DbConnection,
    id: AssignmentId,
    row: QuestionnaireRow,
    report: Option<ReportRow>,
    deadline: NaiveDate,
) -> AppResult<ReportView> {
    let q = document(&row)?;
    let answers: Answers = match &report {
        Some(r) => serde_json::from_str(&r.answers)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report {id} unreadable: {e}")))?,
        None => Answers::default(),
    };
    // A media question's answer is the files uploaded for it, whatever was saved.
    let answers = q.with_files(answers, &store::files_of(conn, id)?);
    let asked = q.asked(&answers);
    let mut missing: Vec<Missing> = Vec::new();
    let started = report.as_ref().and_then(|r| r.visit_started_at);
    let ended = report.as_ref().and_then(|r| r.visit_ended_at);
    if started.is_none() {
        missing.push(Missing {
            name: "visit_started_at".into(),
            label: "When you went in".into(),
        });
    }
    if ended.is_none() {
        missing.push(Missing {
            name: "visit_ended_at".into(),
            label: "When you came out".into(),
        });
    }
    missing.extend(q.missing(&answers).into_iter().map(|question| Missing {
        name: question.name.clone(),
        label: question.label.clone(),
    }));
    let score = q.score(&answers);
    let asked_in_order = q
        .questions()
        .filter(|question| asked.contains(&question.name))
        .map(|question| question.name.clone())
        .collect();
    Ok(ReportView {
        assignment_id: id,
        questionnaire: view_of(row)?,
        status: report.as_ref().map_or(ReportStatus::Draft, |r| r.status),
        answers: answers.0,
        visit_started_at: started,
        visit_ended_at: ended,
        receipt_cents: report
            .as_ref()
            .and_then(|r| r.receipt_cents)
            .map(Money::from_cents),
        asked: asked_in_order,
        missing,
        score,
        deadline,
        reopened_until: report.as_ref().and_then(|r| r.reopened_until),
        submitted_at: report.as_ref().and_then(|r| r.submitted_at),
        flags: None,
        review: None,
    })
}

/// Whether `user` may write the report of assignment `id` (its shopper): checked before the
/// body is parsed, so that another's assignment is 404 whatever the body.
pub fn check_writer(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
) -> AppResult<()> {
    reachable(conn, user, id, true).map(|_| ())
}

/// The report of an assignment: its shopper's, or staff's to read (an access record says so).
pub fn report(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<ReportView> {
    let (row, job, project) = reachable(conn, user, id, false)?;
    let report = store::find_report(conn, id)?;
    let version = version_for(conn, report.as_ref(), project.id)?;
    if user.role != Role::Shopper {
        access::record(
            conn,
            user.id,
            row.shopper_id.into(),
            &[Category::I, Category::D],
            "GET /api/v1/assignments/{id}/report (a shopper's report)",
            now,
        )?;
    }
    let mut view = report_view(conn, id, version, report, deadline(&job, &project))?;
    view.review = super::review::view(conn, user, id, now)?;
    Ok(view)
}

/// Whether a file may be added to the report of assignment `id` now: before its deadline (or
/// reopened), and, when it names the question it answers, a media question of the report's
/// version that takes this kind of file (a photo for a receipt or photo question, a recording
/// for an audio one). The sender is checked apart (`media::service::check_sender`).
pub fn check_file(
    conn: &mut DbConnection,
    id: AssignmentId,
    question: Option<&str>,
    is_image: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    let row = assignments::find(conn, id)?
        .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    let job = clients::find_job(conn, row.job_id)?;
    let project = clients::find_project(conn, job.project_id)?;
    let report = store::find_report(conn, id)?;
    open_for_writing(conn, id, report.as_ref(), deadline(&job, &project), now)?;
    let Some(name) = question else {
        return Ok(());
    };
    let version = version_for(conn, report.as_ref(), project.id)?;
    let q = document(&version)?;
    let question = q
        .question(name)
        .filter(|question| question.kind.is_media())
        .ok_or_else(|| {
            AppError::field(
                "question",
                format!("this report has no photo or recording question called “{name}”"),
            )
        })?;
    if let Some(max) = question.files.as_ref().map(|f| f.max) {
        let sent = store::files_of(conn, id)?
            .iter()
            .filter(|(q, _)| q.as_deref() == Some(name))
            .count();
        if sent >= usize::try_from(max).unwrap_or(usize::MAX) {
            return Err(AppError::conflict(
                "too_many_files",
                format!(
                    "“{}” takes at most {max} file{}; remove one before sending another.",
                    question.label,
                    if max == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    match (question.kind, is_image) {
        (QuestionKind::Audio, true) => Err(AppError::field(
            "question",
            "this question takes a recording, and this file is a photo",
        )),
        (QuestionKind::Receipt | QuestionKind::Photo, false) => Err(AppError::field(
            "question",
            "this question takes a photo, and this file is a recording",
        )),
        _ => Ok(()),
    }
}

/// Whether the report may still be written: before its deadline, or reopened by staff.
/// Whether the report may be written now: a report sent back by QA until its revision is due,
/// any other before its deadline (or reopened).
fn open_for_writing(
    conn: &mut DbConnection,
    id: AssignmentId,
    report: Option<&ReportRow>,
    deadline: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<()> {
    match super::review::revision_due(conn, id)? {
        Some(due) if now > due => Err(AppError::conflict(
            "revision_late",
            format!(
                "The revision was due at {} UTC. Ask QA to look at it again; your answers are kept.",
                due.format("%Y-%m-%d %H:%M")
            ),
        )),
        Some(_) => Ok(()),
        None => writable(report, deadline, now),
    }
}

fn writable(report: Option<&ReportRow>, deadline: NaiveDate, now: NaiveDateTime) -> AppResult<()> {
    let reopened = report
        .and_then(|r| r.reopened_until)
        .is_some_and(|until| until > now);
    if now.date() > deadline && !reopened {
        return Err(AppError::conflict(
            "report_late",
            format!(
                "The last day for this report was {deadline}. Ask the scheduling staff to reopen it; your answers are kept."
            ),
        ));
    }
    Ok(())
}

/// The visit's times and the receipt, checked in the shopper's words.
fn visit_errors(
    input: &ReportInput,
    job: &crate::clients::model::JobRow,
    max: Money,
    now: NaiveDateTime,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    // A day of slack either side of the window, for time zones; never in the future.
    let earliest = job.window_start.and_hms_opt(0, 0, 0).unwrap_or(now) - Duration::days(1);
    let window_over = job.window_end.and_hms_opt(0, 0, 0).unwrap_or(now) + Duration::days(2);
    let latest = (now + Duration::minutes(10)).min(window_over);
    let start = input.visit_started_at.map(|t| t.naive_utc());
    let end = input.visit_ended_at.map(|t| t.naive_utc());
    for (field, time, words) in [
        ("visit_started_at", start, "went in"),
        ("visit_ended_at", end, "came out"),
    ] {
        if let Some(t) = time
            && (t < earliest || t > latest)
        {
            errors.push(FieldError::new(
                field,
                format!(
                    "The time you {words} must be within the job's window ({} to {}) and not in the future.",
                    job.window_start, job.window_end
                ),
            ));
        }
    }
    if let (Some(s), Some(e)) = (start, end)
        && errors.is_empty()
    {
        if e <= s {
            errors.push(FieldError::new(
                "visit_ended_at",
                "The time you came out must be after the time you went in.",
            ));
        } else if e - s > Duration::hours(12) {
            errors.push(FieldError::new(
                "visit_ended_at",
                "A visit of more than 12 hours is not likely: check both times.",
            ));
        }
    }
    if let Some(cents) = input.receipt_cents
        && !(0..=max.cents()).contains(&cents)
    {
        errors.push(FieldError::new(
            "receipt_cents",
            format!("Type the amount on the receipt, up to {max}."),
        ));
    }
    errors
}

/// Saves the report as a draft: whole, or nothing when anything is wrong (every problem
/// named at once). The first save fixes the questionnaire version.
pub fn save(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    input: &ReportInput,
    max: Money,
    now: NaiveDateTime,
) -> AppResult<ReportView> {
    write_transaction(conn, |conn| {
        let (row, job, project) = reachable(conn, user, id, true)?;
        let state = row.state();
        let sent_back = super::review::revision_due(conn, id)?.is_some();
        let open = matches!(state, State::Accepted | State::Visited)
            || (state == State::Submitted && sent_back);
        if !open {
            return Err(AppError::conflict(
                "report_closed",
                match state {
                    State::Submitted => "This report was handed in already.".to_string(),
                    other => format!(
                        "The assignment is {}: there is no report to fill in.",
                        other.words()
                    ),
                },
            ));
        }
        let report = store::find_report(conn, id)?;
        let due = deadline(&job, &project);
        open_for_writing(conn, id, report.as_ref(), due, now)?;
        let version = version_for(conn, report.as_ref(), project.id)?;
        let q = document(&version)?;
        let mut errors = visit_errors(input, &job, max, now);
        let answers = match q.read_answers(&input.answers) {
            Ok(a) => q.with_files(a, &store::files_of(conn, id)?),
            Err(e) => {
                errors.extend(e);
                Answers::default()
            }
        };
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let text = serde_json::to_string(&answers)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report not written: {e}")))?;
        let values = ReportValues {
            answers: &text,
            visit_started_at: input.visit_started_at.map(|t| t.naive_utc()),
            visit_ended_at: input.visit_ended_at.map(|t| t.naive_utc()),
            receipt_cents: input.receipt_cents,
        };
        match &report {
            None => store::insert_report(conn, id, version.id, &values, now)?,
            Some(_) => {
                if !store::update_report(conn, id, &values, now)? {
                    return Err(AppError::conflict(
                        "report_closed",
                        "This report was handed in already.",
                    ));
                }
            }
        }
        let saved = store::find_report(conn, id)?;
        let mut view = report_view(conn, id, version, saved, due)?;
        view.review = super::review::view(conn, user, id, now)?;
        Ok(view)
    })
}

/// Hands the report in: complete (every required answer asked, the visit's times), before
/// its deadline or reopened; the assignment moves `visited → submitted`, and answers to
/// questions not asked are dropped.
pub fn submit(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<ReportView> {
    write_transaction(conn, |conn| {
        let (row, job, project) = reachable(conn, user, id, true)?;
        let state = row.state();
        let sent_back = super::review::revision_due(conn, id)?.is_some();
        match state {
            State::Visited => {}
            // Sent back by QA: handed in again, into the queue.
            State::Submitted if sent_back => {}
            State::Accepted => {
                return Err(AppError::conflict(
                    "not_visited",
                    "Say that you made the visit first (“I made the visit”), then hand the report in.",
                ));
            }
            State::Submitted => {
                return Err(AppError::conflict(
                    "report_closed",
                    "This report was handed in already.",
                ));
            }
            other => return Err(AppError::illegal_transition(other.as_str(), "submit")),
        }
        let report = store::find_report(conn, id)?;
        let due = deadline(&job, &project);
        open_for_writing(conn, id, report.as_ref(), due, now)?;
        let version = version_for(conn, report.as_ref(), project.id)?;
        let view = report_view(conn, id, version.clone(), report.clone(), due)?;
        let Some(report) = report.filter(|_| view.missing.is_empty()) else {
            let missing: Vec<FieldError> = if view.missing.is_empty() {
                vec![FieldError::new("answers", "Nothing is answered yet.")]
            } else {
                view.missing
                    .iter()
                    .map(|m| {
                        FieldError::new(
                            m.name.clone(),
                            format!("“{}” is not answered yet.", m.label),
                        )
                    })
                    .collect()
            };
            return Err(AppError::validation(missing));
        };
        let q = document(&version)?;
        let answers: Answers = serde_json::from_str(&report.answers)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report {id} unreadable: {e}")))?;
        let answers = q.with_files(answers, &store::files_of(conn, id)?);
        let kept = serde_json::to_string(&q.only_asked(&answers))
            .map_err(|e| AppError::internal(anyhow::anyhow!("report not written: {e}")))?;
        let values = ReportValues {
            answers: &kept,
            visit_started_at: report.visit_started_at,
            visit_ended_at: report.visit_ended_at,
            receipt_cents: report.receipt_cents,
        };
        if !store::update_report(conn, id, &values, now)? || !store::submit(conn, id, now)? {
            return Err(AppError::conflict(
                "report_closed",
                "This report was handed in already.",
            ));
        }
        if state == State::Visited {
            if !assignments::set_state(conn, id, State::Visited, State::Submitted, None, now)? {
                return Err(crate::assignments::service::changed_meanwhile());
            }
            assignments::add_event(
                conn,
                id,
                State::Submitted,
                Some(user.id),
                Some("report handed in"),
                now,
            )?;
        }
        super::review::handed_in(conn, id, user.id, now)?;
        let saved = store::find_report(conn, id)?;
        let mut view = report_view(conn, id, version, saved, due)?;
        view.review = super::review::view(conn, user, id, now)?;
        Ok(view)
    })
}

/// Staff let a late report be handed in for `days` more days (1–14).
pub fn reopen(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    days: i64,
    now: NaiveDateTime,
) -> AppResult<ReportView> {
    if !(1..=14).contains(&days) {
        return Err(AppError::field("days", "must be 1 to 14"));
    }
    write_transaction(conn, |conn| {
        let (row, job, project) = reachable(conn, user, id, false)?;
        // An accepted assignment whose visit was never reported is taken back after its
        // window (see assignments::deadlines); only a visited one waits for its report.
        if row.state() != State::Visited {
            return Err(AppError::conflict(
                "report_closed",
                "Only the report of a visit made and not yet handed in can be reopened.",
            ));
        }
        let until = now + Duration::days(days);
        let report = store::find_report(conn, id)?;
        let version = version_for(conn, report.as_ref(), project.id)?;
        if report.is_none() {
            let empty = ReportValues {
                answers: "{}",
                visit_started_at: None,
                visit_ended_at: None,
                receipt_cents: None,
            };
            store::insert_report(conn, id, version.id, &empty, now)?;
        }
        store::reopen(conn, id, until)?;
        assignments::add_event(
            conn,
            id,
            row.state(),
            Some(user.id),
            Some(&format!("report reopened for {days} days")),
            now,
        )?;
        let saved = store::find_report(conn, id)?;
        report_view(conn, id, version, saved, deadline(&job, &project))
    })
}
