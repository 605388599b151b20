//! QA's pages: the queue (oldest first, filtered by client, project and flag, each report with
//! its flags, how long it has waited and who has it open), and a report's review page, which
//! claims the report for its reviewer when opened and offers every outcome: approve, send back
//! for a revision (a reason, comments per question, hours), reject, hold, release, and an edit
//! of one answer with its reason. QA and admins.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, Pager, StaffFrame as Frame};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::ids::{AssignmentId, ClientId, ProjectId};
use crate::money::Money;
use crate::paging::PageRequest;
use crate::qa::service::{self, Decision, EditRequest, QueueQuery, REVIEWERS};
use crate::reports::QuestionKind;
use crate::reports::review::Review;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/qa/queue", queue_page)
        .get("/qa/reports/{id}", report_page)
        .post("/qa/reports/{id}/decide", decide)
        .post("/qa/reports/{id}/edit", edit)
        .post("/qa/reports/{id}/redact", redact)
        .get("/qa/media/{id}", show_file);
}

/// Reports a queue page lists.
const PER_PAGE: i64 = 30;

/// The flags the queue filters by, in words.
const FLAGS: [(&str, &str); 7] = [
    ("receipt_outside_window", "Receipt outside the window"),
    (
        "receipt_far_from_visit",
        "Receipt far from the visit's time",
    ),
    ("photo_far_from_store", "Photo far from the store"),
    ("duplicate_receipt", "Same receipt elsewhere"),
    ("similar_receipt", "Receipt like another"),
    ("short_recording", "Recording shorter than the visit"),
    ("receipt_over_cap", "Receipt over the cap"),
];

struct QueueRow {
    id: AssignmentId,
    project: String,
    store: String,
    state: &'static str,
    waited: String,
    overdue: bool,
    appeal: bool,
    claimed: Option<&'static str>,
    flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "qa_queue.html")]
struct QueuePage {
    f: Frame,
    rows: Vec<QueueRow>,
    pager: Pager,
    flag_options: Vec<(String, String)>,
    project_options: Vec<(String, String)>,
    client_options: Vec<(String, String)>,
    form: FormState,
}

#[derive(Debug, Default, Deserialize)]
struct QueueParams {
    client_id: Option<String>,
    project_id: Option<String>,
    flag: Option<String>,
    page: Option<i64>,
}

/// Minutes as words: `45 min`, `3 h 10 min`, `2 days 4 h`.
fn waited(minutes: i64) -> String {
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} days {} h", m / (24 * 60), (m / 60) % 24),
    }
}

async fn queue_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<QueueParams>,
) -> PageResult {
    let user = page_user_in(&req, &state, REVIEWERS).await?;
    let params = query.into_inner();
    // A filter that does not read is left out, and said.
    let id_of = |v: &Option<String>| {
        v.as_deref()
            .filter(|t| !t.is_empty())
            .map(str::parse::<i64>)
    };
    let filter = QueueQuery {
        client_id: id_of(&params.client_id)
            .and_then(Result::ok)
            .map(ClientId::from),
        project_id: id_of(&params.project_id)
            .and_then(Result::ok)
            .map(ProjectId::from),
        flag: params
            .flag
            .clone()
            .filter(|f| FLAGS.iter().any(|(code, _)| code == f)),
        page: None,
        per_page: None,
    };
    let page = PageRequest::lenient(params.page, PER_PAGE);
    let now = state.clock.naive();
    let (who, f) = (user.clone(), filter.clone());
    let (list, projects, clients) = state
        .db
        .run(move |conn| {
            let list = service::queue(conn, &who, &f, page, now)?;
            let projects = crate::qa::store::queue_projects(conn)?;
            let clients = crate::qa::store::queue_clients(conn)?;
            Ok((list, projects, clients))
        })
        .await?;
    let href = format!(
        "/qa/queue?client_id={}&project_id={}&flag={}&",
        filter.client_id.map_or(String::new(), |c| c.to_string()),
        filter.project_id.map_or(String::new(), |p| p.to_string()),
        filter.flag.clone().unwrap_or_default()
    );
    let rows = list
        .items
        .iter()
        .map(|item| QueueRow {
            id: item.assignment_id,
            project: item.project.clone(),
            store: item.store.clone(),
            state: item.state.words(),
            waited: waited(item.waiting_minutes),
            overdue: item.overdue,
            appeal: item.appeal,
            claimed: item.claimed,
            flags: item.flags.iter().map(|f| f.words.clone()).collect(),
        })
        .collect();
    let csrf = csrf(&req, &state);
    let mut values = HashMap::new();
    if let Some(c) = filter.client_id {
        values.insert("client_id".to_string(), c.to_string());
    }
    if let Some(p) = filter.project_id {
        values.insert("project_id".to_string(), p.to_string());
    }
    if let Some(f) = &filter.flag {
        values.insert("flag".to_string(), f.clone());
    }
    let page = QueuePage {
        f: Frame::new(&state, &user, csrf.token.clone(), form::notice(&req)),
        pager: Pager::of(&list, href, "reports"),
        rows,
        flag_options: FLAGS
            .iter()
            .map(|(c, w)| ((*c).to_string(), (*w).to_string()))
            .collect(),
        project_options: projects
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        client_options: clients
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        form: FormState::filled(values),
    };
    super::form_page_shown(&req, &page, false, csrf)
}

/// One answer as the review page shows it.
struct ShownAnswer {
    label: String,
    answer: String,
    /// The revision comment's input: `comment.<question>`.
    comment_field: String,
}

struct ShownSection {
    title: String,
    earned: i64,
    possible: i64,
    answers: Vec<ShownAnswer>,
}

struct ShownFile {
    id: i64,
    photo: bool,
    words: String,
}

#[derive(Template)]
#[template(path = "qa_report.html")]
struct ReviewPage {
    f: Frame,
    id: AssignmentId,
    title: String,
    state: Review,
    words: &'static str,
    /// Whether this reviewer may decide now (it is theirs, or nobody's).
    mine: bool,
    /// Sent back, and not handed in again by its deadline: QA may reject it.
    revision_missed: bool,
    /// Another reviewer's claim, in words.
    held_by_other: Option<String>,
    visit: String,
    receipt: String,
    has_receipt: bool,
    earned: i64,
    possible: i64,
    sections: Vec<ShownSection>,
    files: Vec<ShownFile>,
    flags: Vec<String>,
    appeal: Option<String>,
    edits: Vec<(String, String, String, String)>,
    events: Vec<(String, String, String)>,
    /// The questions QA may edit: (name, words).
    editable: Vec<(String, String)>,
    /// The written answers given, whose phrases may be removed.
    written: Vec<(String, String)>,
    form: FormState,
}

impl ReviewPage {
    fn waiting(&self) -> bool {
        Review::WAITING.contains(&self.state)
    }

    fn may_revise(&self) -> bool {
        matches!(self.state, Review::Queued | Review::Held)
    }

    fn may_edit(&self) -> bool {
        matches!(
            self.state,
            Review::Queued | Review::Held | Review::Appealed | Review::Approved | Review::Released
        )
    }
}

fn stored_answer_words(value: Option<&crate::reports::Answer>) -> String {
    use crate::reports::Answer;
    match value {
        None => "—".into(),
        Some(Answer::Number(n)) if n.fract() == 0.0 => format!("{}", *n as i64),
        Some(Answer::Number(n)) => n.to_string(),
        Some(Answer::Choice(v)) if v == "n/a" => "Does not apply".into(),
        Some(Answer::Choice(v)) => v.clone(),
        Some(Answer::Choices(vs)) if vs.is_empty() => "—".into(),
        Some(Answer::Choices(vs)) => vs.join(", "),
    }
}

async fn render_report(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    id: AssignmentId,
    claim: bool,
    form: FormState,
) -> PageResult {
    let now = state.clock.naive();
    let who = user.clone();
    let (view, flags, files, claimed) = state
        .db
        .run(move |conn| {
            // Opening a waiting report claims it for this reviewer, unless another has it.
            let claimed = if claim {
                match service::claim(conn, &who, id, now) {
                    Ok(_) => None,
                    Err(e) if e.code == "claimed" => Some(e.detail),
                    // Not waiting for review (decided, sent back, released): only read.
                    Err(e) if e.status == StatusCode::CONFLICT => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            let view = crate::reports::service::report(conn, &who, id, now)?;
            if view.review.is_none() {
                return Err(AppError::not_found("No handed-in report has this id."));
            }
            let flags = crate::media::proof::flags_of(conn, id)?;
            let files = crate::media::store::of_assignment(conn, id)?;
            Ok((view, flags, files, claimed))
        })
        .await?;
    let review = view
        .review
        .clone()
        .ok_or_else(|| AppError::not_found("No handed-in report has this id."))?;
    let zone = state.settings.time_zone;
    let when = |at: chrono::NaiveDateTime| crate::zones::shown(at, zone);
    let doc = &view.questionnaire.document;
    let label = |name: &str| {
        doc.sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|q| q.name == name)
            .map_or_else(|| name.to_string(), |q| q.label.clone())
    };
    let answers: BTreeMap<&str, &crate::reports::Answer> =
        view.answers.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let sections: Vec<ShownSection> = doc
        .sections
        .iter()
        .zip(view.score.sections.iter())
        .map(|(s, score)| ShownSection {
            title: s.title.clone(),
            earned: score.earned,
            possible: score.possible,
            answers: s
                .questions
                .iter()
                .filter(|q| view.asked.contains(&q.name))
                .map(|q| ShownAnswer {
                    label: q.label.clone(),
                    answer: if q.kind.is_media() {
                        let n = answers.get(q.name.as_str()).map_or(0, |a| match a {
                            crate::reports::Answer::Choices(v) => v.len(),
                            _ => 0,
                        });
                        format!("{n} file{}", if n == 1 { "" } else { "s" })
                    } else {
                        stored_answer_words(answers.get(q.name.as_str()).copied())
                    },
                    comment_field: format!("comment.{}", q.name),
                })
                .collect(),
        })
        .collect();
    let editable = doc
        .sections
        .iter()
        .flat_map(|s| s.questions.iter())
        .filter(|q| !q.kind.is_media() && view.asked.contains(&q.name))
        .map(|q| (q.name.clone(), q.label.clone()))
        .collect();
    let written = doc
        .sections
        .iter()
        .flat_map(|s| s.questions.iter())
        .filter(|q| q.kind == QuestionKind::Text && view.asked.contains(&q.name))
        .map(|q| (q.name.clone(), q.label.clone()))
        .collect();
    let mine = review.claim.as_ref().is_none_or(|c| c.yours);
    let held_by_other = claimed.or_else(|| {
        review.claim.as_ref().filter(|c| !c.yours).map(|c| {
            format!(
                "Another reviewer opened this report; it is theirs until {}.",
                when(c.until)
            )
        })
    });
    let csrf = csrf(req, state);
    let refused = form.failed();
    let page = ReviewPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        id,
        title: doc.title.clone(),
        state: review.state,
        words: review.state.words(),
        mine,
        revision_missed: review.revision_due.is_some_and(|due| due < now),
        held_by_other,
        visit: match (view.visit_started_at, view.visit_ended_at) {
            (Some(a), Some(b)) => format!(
                "{} to {}",
                when(a),
                b.and_utc().with_timezone(&zone).format("%H:%M")
            ),
            _ => "not given".into(),
        },
        has_receipt: view.receipt_cents.is_some(),
        receipt: view
            .receipt_cents
            .map_or_else(|| "none".to_string(), |m| m.to_string()),
        earned: view.score.earned,
        possible: view.score.possible,
        sections,
        files: files
            .iter()
            .enumerate()
            .map(|(i, f)| ShownFile {
                id: f.id,
                photo: f.web_key.is_some(),
                words: match (f.web_key.is_some(), &f.question) {
                    (true, Some(q)) => format!("Photo {} ({})", i + 1, label(q)),
                    (true, None) => format!("Photo {}", i + 1),
                    (false, Some(q)) => format!("Recording {} ({})", i + 1, label(q)),
                    (false, None) => format!("Recording {}", i + 1),
                },
            })
            .collect(),
        flags: flags.into_iter().map(|f| f.words).collect(),
        appeal: review.appeal.clone(),
        edits: review
            .edits
            .iter()
            .map(|e| {
                (
                    label(&e.question),
                    super::report::answer_words(&e.before),
                    super::report::answer_words(&e.after),
                    format!("{} ({})", e.reason, when(e.at)),
                )
            })
            .collect(),
        events: review
            .events
            .iter()
            .map(|e| {
                (
                    when(e.at),
                    e.action.replace('_', " "),
                    e.reason.clone().unwrap_or_default(),
                )
            })
            .collect(),
        editable,
        written,
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn report_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
) -> PageResult {
    let user = page_user_in(&req, &state, REVIEWERS).await?;
    render_report(
        &req,
        &state,
        user,
        path.into_inner(),
        true,
        FormState::blank(),
    )
    .await
}

/// The form fields of a decision.
const DECISION_FIELDS: &[&str] = &["reason", "hours", "rating", "excellent", "reimbursement"];

/// The decision's fields the page names otherwise: the reimbursement is typed in dollars.
const DECISION_RENAMED: &[(&str, &str)] = &[("reimbursement_cents", "reimbursement")];

/// An outcome chosen on the review page (`action`: approve, revise, reject, hold, release).
async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, REVIEWERS, form).await?;
    let id = path.into_inner();
    let action = sent.get("action").cloned().unwrap_or_default();
    let text = |k: &str| {
        sent.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let hours = match text("hours").map(|h| h.parse::<i64>()) {
        Some(Ok(h)) => Some(h),
        Some(Err(_)) => Some(0),
        None => None,
    };
    let decision = Decision {
        reason: text(&format!("reason_{action}")).or_else(|| text("reason")),
        comments: sent
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("comment.")?;
                let v = v.trim();
                (!v.is_empty()).then(|| (name.to_string(), v.to_string()))
            })
            .collect(),
        hours,
        rating: match text("rating").map(|r| r.parse::<i32>()) {
            Some(Ok(r)) => Some(r),
            Some(Err(_)) => Some(0),
            None => None,
        },
        excellent: sent.get("excellent").is_some_and(|v| !v.is_empty()),
        reimbursement_cents: None,
    };
    // The reimbursement is typed in dollars; one that is not an amount is refused by name.
    let (reimbursement_cents, not_an_amount) = match text("reimbursement").map(|t| Money::parse(&t))
    {
        None => (None, None),
        Some(Ok(m)) => (Some(m.cents()), None),
        Some(Err(why)) => (None, Some(why)),
    };
    let decision = Decision {
        reimbursement_cents,
        ..decision
    };
    let now = state.clock.naive();
    let who = user.clone();
    let act = action.clone();
    let url = state.auth.public_url.clone();
    let outcome = state
        .db
        .run(move |conn| match act.as_str() {
            "approve" => {
                if let Some(why) = not_an_amount {
                    return Err(AppError::field("reimbursement_cents", why));
                }
                crate::pay::service::approve(conn, &who, id, &decision, &url, now)
            }
            "revise" => service::revise(conn, &who, id, &decision, now),
            "reject" => service::reject(conn, &who, id, &decision, now),
            "hold" => service::hold(conn, &who, id, &decision, now),
            "release" => crate::pay::service::release(conn, &who, id, &url, now),
            _ => Err(AppError::field(
                "action",
                "must be approve, revise, reject, hold or release",
            )),
        })
        .await;
    match outcome {
        Ok(view) => {
            let state_words = view.map_or("decided", |v| v.state.words());
            let (to, notice) = match action.as_str() {
                "hold" => (
                    format!("/qa/reports/{id}"),
                    "The report is on hold; it stays in the queue.".to_string(),
                ),
                _ => (
                    "/qa/queue".to_string(),
                    format!("Report {id}: {state_words}."),
                ),
            };
            Ok(form::done(&state, &to, &notice))
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let mut fields: Vec<String> =
                DECISION_FIELDS.iter().map(|f| (*f).to_string()).collect();
            fields.extend(sent.keys().filter(|k| k.starts_with("comment.")).cloned());
            let on_form: Vec<&str> = fields.iter().map(String::as_str).collect();
            let mut kept = sent.clone();
            if let Some(reason) = text(&format!("reason_{action}")) {
                kept.insert("reason".into(), reason);
            }
            let refused = FormState::refused(&kept, &e, &on_form, DECISION_RENAMED, &[]);
            render_report(&req, &state, user, id, false, refused).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer typed on the page, as the report takes it: a number for a number or a rating, a
/// list for several choices (separated by commas), words otherwise; empty clears it.
fn typed_answer(kind: QuestionKind, text: &str) -> serde_json::Value {
    let text = text.trim();
    if text.is_empty() {
        return serde_json::Value::Null;
    }
    match kind {
        QuestionKind::Number | QuestionKind::Rating => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(
                || serde_json::Value::String(text.into()),
                serde_json::Value::Number,
            ),
        QuestionKind::MultipleChoice => serde_json::Value::Array(
            text.split(',')
                .map(|v| serde_json::Value::String(v.trim().to_string()))
                .filter(|v| v.as_str() != Some(""))
                .collect(),
        ),
        _ => serde_json::Value::String(text.to_string()),
    }
}

/// One answer changed on the review page, with its reason.
async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, REVIEWERS, form).await?;
    let id = path.into_inner();
    let question = sent.get("question").cloned().unwrap_or_default();
    let typed = sent.get("answer").cloned().unwrap_or_default();
    let reason = sent.get("edit_reason").cloned();
    let now = state.clock.naive();
    let who = user.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let kind = service::questionnaire_of(conn, id)?
                .question(&question)
                .map_or(QuestionKind::Text, |q| q.kind);
            let request = EditRequest {
                question,
                answer: typed_answer(kind, &typed),
                reason,
            };
            service::edit(conn, &who, id, &request, now)
        })
        .await;
    match outcome {
        Ok(_) => Ok(form::done(
            &state,
            &format!("/qa/reports/{id}"),
            "The answer is changed; the shopper sees the change and why.",
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let refused = FormState::refused(
                &sent,
                &e,
                &["question", "answer", "edit_reason"],
                &[("reason", "edit_reason")],
                &[],
            );
            render_report(&req, &state, user, id, false, refused).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a phrase from a written answer (one that names the shopper, say).
async fn redact(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, REVIEWERS, form).await?;
    let id = path.into_inner();
    let request = service::RedactRequest {
        question: sent.get("redact_question").cloned().unwrap_or_default(),
        phrase: sent.get("phrase").cloned().unwrap_or_default(),
        reason: None,
    };
    let now = state.clock.naive();
    let who = user.clone();
    let outcome = state
        .db
        .run(move |conn| service::redact(conn, &who, id, &request, now))
        .await;
    match outcome {
        Ok(_) => Ok(form::done(
            &state,
            &format!("/qa/reports/{id}"),
            "The phrase is removed; the shopper sees that it was, and why.",
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let refused = FormState::refused(
                &sent,
                &e,
                &["redact_question", "phrase"],
                &[("question", "redact_question")],
                &[],
            );
            render_report(&req, &state, user, id, false, refused).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A copy of a report's file for the reviewer (each view an access record).
async fn show_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<super::files::ShowQuery>,
) -> PageResult {
    super::files::show_copy(&req, &state, REVIEWERS, path.into_inner(), &query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_reads_as_a_person_says_it() {
        assert_eq!(waited(45), "45 min");
        assert_eq!(waited(190), "3 h 10 min");
        assert_eq!(waited(52 * 60), "2 days 4 h");
    }

    #[test]
    fn a_typed_answer_takes_its_questions_shape() {
        assert_eq!(
            typed_answer(QuestionKind::Number, " 6 "),
            serde_json::json!(6.0)
        );
        assert_eq!(
            typed_answer(QuestionKind::Number, "six"),
            serde_json::json!("six")
        );
        assert_eq!(
            typed_answer(QuestionKind::MultipleChoice, "fries, shake,"),
            serde_json::json!(["fries", "shake"])
        );
        assert_eq!(
            typed_answer(QuestionKind::YesNo, "no"),
            serde_json::json!("no")
        );
        assert_eq!(
            typed_answer(QuestionKind::Text, "  "),
            serde_json::Value::Null
        );
    }
}
