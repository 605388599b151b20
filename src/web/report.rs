//! The shopper's report page, phone first: the visit's times (in the shopper's own zone), the
//! receipt amount, and the questions asked given the answers so far, section by section (each
//! condition travels with its question as a tree, and `conditions.js` shows and hides questions
//! as the shopper answers). "Save"
//! keeps a draft (whole, or nothing when anything is wrong, every typed value kept); "Hand in"
//! saves and submits. The assignment's shopper only.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use chrono::{NaiveDate, NaiveTime, TimeZone};

use super::form::{FormState, Reader};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, html};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, FieldError};
use crate::ids::AssignmentId;
use crate::reports::expr::Expr;
use crate::reports::model::{Answer, QuestionKind, Questionnaire};
use crate::reports::service::{self, ReportInput, ReportView};
use crate::reports::store::ReportStatus;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/shopper/assignments/{id}/report", report_page)
        .post("/shopper/assignments/{id}/report", save_report)
        .post("/shopper/assignments/{id}/report/appeal", appeal);
}

/// Where the report stands with QA, as its shopper reads it.
struct ShownReview {
    /// The state in a sentence.
    words: String,
    /// Why (the last outcome's reason), when QA gave one.
    reason: Option<String>,
    /// A revision: QA's comments, with the questions' words.
    comments: Vec<(String, String)>,
    /// Every answer QA changed: the question's words, before, after, why, when.
    edits: Vec<ShownEdit>,
    may_appeal: bool,
    /// The ratings QA gave with the outcomes, in words.
    ratings: Vec<String>,
    /// Sent back for a revision.
    revision: bool,
    /// The history, oldest first: what happened, when.
    events: Vec<(String, String)>,
}

struct ShownEdit {
    question: String,
    before: String,
    after: String,
    reason: String,
    at: String,
}

/// An answer as words: `yes`, `fries, shake`, `6`, or "no answer".
pub(super) fn answer_words(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "no answer".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn event_words(action: &str) -> &'static str {
    match action {
        "handed_in" => "You handed it in.",
        "resubmitted" => "You handed it in again.",
        "held" => "QA put it on hold.",
        "revision_requested" => "QA sent it back for a revision.",
        "approved" => "QA approved it.",
        "approved_by_itself" => "It was approved after waiting its time in review.",
        "rejected" => "QA rejected it.",
        "appealed" => "You appealed.",
        "appeal_upheld" => "A second reviewer approved it on your appeal.",
        "appeal_refused" => "A second reviewer kept the rejection.",
        "released" => "It went to the client.",
        "disputed" => "The client disputed it; QA will answer, and you will see the outcome here.",
        "dispute_upheld" => "QA agreed with the client's dispute.",
        "dispute_dismissed" => "QA found your report right: the client's dispute was dismissed.",
        "corrected" => {
            "QA corrected an answer after it went to the client (a new version, with the reason)."
        }
        _ => "Its review moved on.",
    }
}

fn shown_review(
    review: &crate::reports::review::ReviewView,
    doc: &crate::reports::QuestionnaireDoc,
    zone: chrono_tz::Tz,
) -> ShownReview {
    use crate::reports::review::Review;
    let label = |name: &str| {
        doc.sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|q| q.name == name)
            .map_or_else(|| name.to_string(), |q| q.label.clone())
    };
    let when = |at: chrono::NaiveDateTime| {
        at.and_utc()
            .with_timezone(&zone)
            .format("%b %-d, %H:%M")
            .to_string()
    };
    let words = match review.state {
        Review::Queued => "QA has it: it is waiting for a reviewer.".to_string(),
        Review::Held => "QA put it on hold for a moment; you need do nothing.".to_string(),
        Review::Revision => format!(
            "QA sent it back for you to fix: hand it in again by {}.",
            review.revision_due.map_or_else(String::new, when)
        ),
        Review::Approved => "QA approved it.".to_string(),
        Review::Rejected => "QA rejected it.".to_string(),
        Review::Appealed => "You appealed: a second reviewer looks at it again.".to_string(),
        Review::Released => "QA approved it, and it went to the client.".to_string(),
    };
    ShownReview {
        words,
        reason: review
            .events
            .iter()
            .rev()
            .find(|e| e.action != "appealed")
            .and_then(|e| e.reason.clone())
            .filter(|_| {
                matches!(
                    review.state,
                    Review::Revision | Review::Rejected | Review::Held
                )
            }),
        comments: review
            .comments
            .iter()
            .map(|(name, c)| (label(name), c.clone()))
            .collect(),
        edits: review
            .edits
            .iter()
            .map(|e| ShownEdit {
                question: label(&e.question),
                before: answer_words(&e.before),
                after: answer_words(&e.after),
                reason: e.reason.clone(),
                at: when(e.at),
            })
            .collect(),
        may_appeal: review.may_appeal,
        ratings: review
            .ratings
            .iter()
            .map(|r| match r.citation.as_deref() {
                Some("excellent_report") => {
                    format!("QA rated it {} of 10: an excellent report. Thank you.", r.score)
                }
                Some("rejected_report") => format!(
                    "The rejection counts as a rating of {} of 10 on your record; an appeal upheld takes it away.",
                    r.score
                ),
                _ => format!("QA rated it {} of 10.", r.score),
            })
            .collect(),
        revision: review.state == Review::Revision,
        events: review
            .events
            .iter()
            .map(|e| {
                let words = event_words(&e.action);
                // A dispute and its answer are told with their words.
                let told = match (&e.reason, e.action.as_str()) {
                    (Some(why), "disputed" | "dispute_upheld" | "dispute_dismissed") => {
                        format!("{words} Why: {why}")
                    }
                    _ => words.to_string(),
                };
                (when(e.at), told)
            })
            .collect(),
    }
}

/// One question as the page draws it.
struct Shown {
    /// The input's name: `q.<question>` (a multiple choice's boxes add `.<choice>`).
    field: String,
    label: String,
    help: Option<String>,
    /// `yes_no`, `choice`, `multiple`, `number`, `text`, `date`, `time`, `rating`, `media`.
    kind: &'static str,
    required: bool,
    /// (value, words) of the answers to choose from.
    choices: Vec<(String, String)>,
    /// A rating's top.
    scale: u32,
    /// The question's name.
    name: String,
    /// Whether its condition holds given the saved answers (a question not asked is drawn
    /// hidden, for the page's script to show once the answers call for it).
    asked: bool,
    /// Its condition as the page's evaluator reads it (`Expr::to_json`), when it has one.
    when: Option<String>,
    /// A media question's files so far.
    files: Vec<ShownFile>,
    /// A media question: what it takes (`photo` or `recording`), the types the file chooser
    /// offers, the largest file, whether it takes one more, and its rules in words.
    what: &'static str,
    accept: &'static str,
    max_bytes: u64,
    room: bool,
    rules: String,
}

/// A file of a media question, as the page shows it.
struct ShownFile {
    id: i64,
    photo: bool,
    words: String,
}

struct ShownSection {
    title: String,
    questions: Vec<Shown>,
}

impl ShownSection {
    /// Whether any of its questions is asked: a section of none is drawn hidden.
    fn any_asked(&self) -> bool {
        self.questions.iter().any(|q| q.asked)
    }
}

#[derive(Template)]
#[template(path = "shopper_report.html")]
struct ReportPage {
    email: String,
    csrf: String,
    notice: Option<String>,
    id: AssignmentId,
    title: String,
    sections: Vec<ShownSection>,
    /// What is still missing before it can be handed in, in words.
    missing: Vec<String>,
    deadline: NaiveDate,
    submitted: bool,
    /// Where the page's script creates resumable uploads.
    uploads: String,
    /// The visit's day, as the date input's bounds.
    min_day: String,
    max_day: String,
    form: FormState,
    /// Where the report stands with QA, once handed in.
    review: Option<ShownReview>,
}

impl ReportPage {
    /// Sent back by QA: its own deadline stands, not the job's.
    fn sent_back(&self) -> bool {
        self.review.as_ref().is_some_and(|r| r.revision)
    }

    /// The visit day's input bounds: the job's window.
    fn day_bounds(&self) -> String {
        format!("min=\"{}\" max=\"{}\"", self.min_day, self.max_day)
    }
}

fn kind_word(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::YesNo => "yes_no",
        QuestionKind::SingleChoice => "choice",
        QuestionKind::MultipleChoice => "multiple",
        QuestionKind::Number => "number",
        QuestionKind::Text => "text",
        QuestionKind::Date => "date",
        QuestionKind::Time => "time",
        QuestionKind::Rating => "rating",
        QuestionKind::Receipt | QuestionKind::Photo | QuestionKind::Audio => "media",
    }
}

/// The saved report as the form's values, times in the shopper's zone.
fn saved_values(view: &ReportView, zone: chrono_tz::Tz) -> HashMap<String, String> {
    let mut values = HashMap::new();
    let local = |t: chrono::NaiveDateTime| t.and_utc().with_timezone(&zone);
    if let Some(t) = view.visit_started_at.map(local) {
        values.insert("visit_date".into(), t.format("%Y-%m-%d").to_string());
        values.insert("visit_in".into(), t.format("%H:%M").to_string());
    }
    if let Some(t) = view.visit_ended_at.map(local) {
        values.insert("visit_out".into(), t.format("%H:%M").to_string());
    }
    if let Some(m) = view.receipt_cents {
        values.insert("receipt".into(), m.plain());
    }
    for (name, answer) in &view.answers {
        match answer {
            Answer::Number(n) => {
                let text = if n.fract() == 0.0 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                };
                values.insert(format!("q.{name}"), text);
            }
            Answer::Choice(v) => {
                values.insert(format!("q.{name}"), v.clone());
            }
            Answer::Choices(vs) => {
                for v in vs {
                    values.insert(format!("q.{name}.{v}"), "on".into());
                }
            }
        }
    }
    values
}

#[allow(clippy::too_many_arguments)]
fn page_of(
    user: &CurrentUser,
    csrf: String,
    notice: Option<String>,
    id: AssignmentId,
    view: &ReportView,
    window: (NaiveDate, NaiveDate),
    form: FormState,
    files: &[crate::media::store::MediaRow],
    limits: crate::config::MediaLimits,
    zone: chrono_tz::Tz,
) -> ReportPage {
    let asked: std::collections::HashSet<&str> = view.asked.iter().map(String::as_str).collect();
    let submitted = view.status == ReportStatus::Submitted;
    let sections = view
        .questionnaire
        .document
        .sections
        .iter()
        .map(|s| ShownSection {
            title: s.title.clone(),
            questions: s
                .questions
                .iter()
                // A report handed in shows what was asked; a draft holds every question, those
                // not asked hidden until the answers call for them.
                .filter(|q| !submitted || asked.contains(q.name.as_str()))
                .map(|q| {
                    let mut choices: Vec<(String, String)> = match q.kind {
                        QuestionKind::YesNo => {
                            vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())]
                        }
                        QuestionKind::Rating => (1..=q.scale.unwrap_or(5))
                            .map(|v| (v.to_string(), v.to_string()))
                            .collect(),
                        _ => q
                            .choices
                            .iter()
                            .map(|c| (c.value.clone(), c.label.clone()))
                            .collect(),
                    };
                    if q.allow_na {
                        choices.push(("n/a".into(), "Does not apply".into()));
                    }
                    let mine: Vec<ShownFile> = files
                        .iter()
                        .filter(|f| f.question.as_deref() == Some(q.name.as_str()))
                        .enumerate()
                        .map(|(i, f)| ShownFile {
                            id: f.id,
                            photo: f.web_key.is_some(),
                            words: match f.duration_ms {
                                Some(ms) if f.web_key.is_none() => format!(
                                    "Recording {}, {} min {} s",
                                    i + 1,
                                    ms / 60_000,
                                    (ms / 1000) % 60
                                ),
                                _ => format!("Photo {}", i + 1),
                            },
                        })
                        .collect();
                    let audio = q.kind == QuestionKind::Audio;
                    let (min, max) = q.files.as_ref().map_or((0, 10), |f| (f.min, f.max));
                    let max_bytes = if audio {
                        limits.recording_bytes
                    } else {
                        limits.photo_bytes
                    };
                    let rules = if audio {
                        format!(
                            "A recording: MP3, M4A, WebM, WAV, Ogg or FLAC, up to {} MB and {}. {}",
                            crate::media::photo::mb(max_bytes),
                            crate::media::audio::length(limits.recording_seconds),
                            count_words(min, max)
                        )
                    } else {
                        format!(
                            "A photo: JPEG, PNG or WebP, up to {} MB. {}",
                            crate::media::photo::mb(max_bytes),
                            count_words(min, max)
                        )
                    };
                    Shown {
                        field: format!("q.{}", q.name),
                        label: q.label.clone(),
                        help: q.help.clone(),
                        kind: kind_word(q.kind),
                        required: q.required,
                        choices,
                        scale: q.scale.unwrap_or(5),
                        name: q.name.clone(),
                        asked: asked.contains(q.name.as_str()),
                        when: q
                            .relevant
                            .as_deref()
                            .and_then(|c| Expr::parse(c).ok())
                            .map(|tree| tree.to_json().to_string()),
                        room: mine.len() < max as usize,
                        files: mine,
                        what: if audio { "recording" } else { "photo" },
                        accept: if audio {
                            "audio/*,.m4a,.mp3,.webm,.wav,.ogg,.flac"
                        } else {
                            "image/jpeg,image/png,image/webp"
                        },
                        max_bytes,
                        rules,
                    }
                })
                .collect(),
        })
        .filter(|s| !s.questions.is_empty())
        .collect();
    ReportPage {
        email: user.email.clone(),
        csrf,
        notice,
        id,
        title: view.questionnaire.document.title.clone(),
        sections,
        missing: view.missing.iter().map(|m| m.label.clone()).collect(),
        deadline: view.deadline,
        submitted,
        uploads: format!("/shopper/assignments/{id}/uploads"),
        min_day: window.0.to_string(),
        max_day: window.1.to_string(),
        form,
        review: view
            .review
            .as_ref()
            .map(|r| shown_review(r, &view.questionnaire.document, zone)),
    }
}

/// How many files a media question takes, in words.
fn count_words(min: u32, max: u32) -> String {
    let files = |n: u32| if n == 1 { "file" } else { "files" };
    match (min, max) {
        (0, max) => format!("Up to {max} {}.", files(max)),
        (min, max) if min == max => format!("{min} {}.", files(min)),
        (min, max) => format!("{min} to {max} files."),
    }
}

/// The job's window, for the visit day's bounds.
async fn window_of(state: &AppState, id: AssignmentId) -> Result<(NaiveDate, NaiveDate), AppError> {
    state
        .db
        .run(move |conn| {
            let row = crate::assignments::store::find(conn, id)?
                .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
            let job = crate::clients::store::find_job(conn, row.job_id)?;
            Ok((job.window_start, job.window_end))
        })
        .await
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    id: AssignmentId,
    refused: Option<FormState>,
    status: StatusCode,
) -> PageResult {
    let now = state.clock.naive();
    let locale = state.settings.locale();
    let reader = user.clone();
    let (view, times, files) = state
        .db
        .run(move |conn| {
            let view = service::report(conn, &reader, id, now)?;
            let times = super::shopper_times(conn, &locale, reader.id.into())?;
            let files = crate::media::store::of_assignment(conn, id)?;
            Ok((view, times, files))
        })
        .await?;
    let window = window_of(state, id).await?;
    let form = refused.unwrap_or_else(|| FormState::filled(saved_values(&view, times.zone)));
    let csrf = csrf(req, state);
    let page = page_of(
        &user,
        csrf.token.clone(),
        super::form::notice(req),
        id,
        &view,
        window,
        form,
        &files,
        state.settings.media,
        times.zone,
    );
    Ok(super::form::shown(
        req,
        super::pages::with_csrf(html(status, &page)?, csrf),
    ))
}

async fn report_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
) -> PageResult {
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    render(&req, &state, user, path.into_inner(), None, StatusCode::OK).await
}

/// Reads the form into the API's report: answers by question (from the version the report
/// is on), the visit's times from the day and hours typed in the shopper's zone.
fn read_form(
    sent: &HashMap<String, String>,
    view: &ReportView,
    zone: chrono_tz::Tz,
) -> (ReportInput, Vec<FieldError>) {
    let mut read = Reader::new(sent);
    let day = read.date("visit_date");
    let time = |read: &mut Reader, name: &str| -> Option<NaiveTime> {
        let text = read.text(name)?;
        match NaiveTime::parse_from_str(&text, "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => {
                read.errors.push(FieldError::new(
                    name,
                    format!("Type the time like 14:05, not “{text}”."),
                ));
                None
            }
        }
    };
    let t_in = time(&mut read, "visit_in");
    let t_out = time(&mut read, "visit_out");
    let receipt = read.money("receipt", "");
    let at = |t: Option<NaiveTime>| {
        let (day, t) = (day?, t?);
        zone.from_local_datetime(&day.and_time(t))
            .earliest()
            .map(|local| local.with_timezone(&chrono::Utc))
    };
    if day.is_none() && (t_in.is_some() || t_out.is_some()) {
        read.errors.push(FieldError::new(
            "visit_date",
            "Give the day of the visit too.",
        ));
    }
    let mut answers = serde_json::Map::new();
    for q in view
        .questionnaire
        .document
        .sections
        .iter()
        .flat_map(|s| s.questions.iter())
    {
        let field = format!("q.{}", q.name);
        let value = match q.kind {
            QuestionKind::MultipleChoice => {
                let chosen: Vec<serde_json::Value> = q
                    .choices
                    .iter()
                    .filter(|c| {
                        sent.get(&format!("{field}.{}", c.value))
                            .is_some_and(|v| v == "on")
                    })
                    .map(|c| serde_json::Value::String(c.value.clone()))
                    .collect();
                (!chosen.is_empty()).then_some(serde_json::Value::Array(chosen))
            }
            // Files are added by their own upload; the saved ones stay.
            QuestionKind::Receipt | QuestionKind::Photo | QuestionKind::Audio => view
                .answers
                .get(&q.name)
                .and_then(|a| serde_json::to_value(a).ok()),
            QuestionKind::Number | QuestionKind::Rating => read.text(&field).map(|t| {
                let plain = typed_number(&t);
                plain
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::String(t), serde_json::Value::Number)
            }),
            _ => read.text(&field).map(serde_json::Value::String),
        };
        if let Some(v) = value {
            answers.insert(q.name.clone(), v);
        }
    }
    let input = ReportInput {
        answers,
        visit_started_at: at(t_in),
        visit_ended_at: at(t_out),
        receipt_cents: receipt,
    };
    (input, read.errors)
}

/// A number as typed on a phone: "4,5" (a comma locale) is 4.5, "1,250" and "1,250.5" have
/// thousands separators.
fn typed_number(typed: &str) -> String {
    let one_comma = typed.matches(',').count() == 1 && !typed.contains('.');
    match typed.split_once(',') {
        Some((_, decimals)) if one_comma && decimals.len() != 3 => typed.replace(',', "."),
        _ => typed.replace(',', ""),
    }
}

/// The API's field names as the form's: `answers.q4` (or `q4`, as a missing answer is
/// named) is `q.q4`, the times are the hours.
fn form_field(field: &str, view: &ReportView) -> String {
    let question = |name: &str| {
        view.questionnaire
            .document
            .sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .any(|q| q.name == name)
    };
    match field {
        "visit_started_at" => "visit_in".into(),
        "visit_ended_at" => "visit_out".into(),
        "receipt_cents" => "receipt".into(),
        other => match other.strip_prefix("answers.") {
            Some(name) => format!("q.{name}"),
            None if question(other) => format!("q.{other}"),
            None => other.into(),
        },
    }
}

async fn save_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, &[Role::Shopper], form).await?;
    let id = path.into_inner();
    let hand_in = sent.get("action").is_some_and(|a| a == "submit");
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    let locale = state.settings.locale();
    let reader = user.clone();
    let (view, times) = state
        .db
        .run(move |conn| {
            let view = service::report(conn, &reader, id, now)?;
            let times = super::shopper_times(conn, &locale, reader.id.into())?;
            Ok((view, times))
        })
        .await?;
    let (input, unread) = read_form(&sent, &view, times.zone);
    let input_answers = input.answers.clone();
    let writer = user.clone();
    let outcome = if unread.is_empty() {
        state
            .db
            .run(move |conn| {
                service::save(conn, &writer, id, &input, max, now)?;
                if hand_in {
                    service::submit(conn, &writer, id, now)?;
                }
                Ok(())
            })
            .await
    } else {
        // What could not be read is said with what is wrong with the answers themselves.
        let mut errors = unread;
        if let Ok(q) = Questionnaire::check(view.questionnaire.document.clone())
            && let Err(more) = q.read_answers(&input_answers)
        {
            errors.extend(more);
        }
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(()) => {
            let (to, words) = if hand_in {
                (
                    "/shopper/assignments".to_string(),
                    "Report handed in. Thank you! QA reviews it next.",
                )
            } else {
                (
                    format!("/shopper/assignments/{id}/report"),
                    "Saved. Questions that follow from your answers are shown now.",
                )
            };
            Ok(super::form::done(&state, &to, words))
        }
        Err(mut e) if e.status.is_client_error() => {
            for f in &mut e.fields {
                f.field = form_field(&f.field, &view);
            }
            let fields: Vec<String> = e.fields.iter().map(|f| f.field.clone()).collect();
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            let status = if e.fields.is_empty() {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let form = FormState::refused(&sent, &e, &names, &[], &[]);
            render(&req, &state, user, id, Some(form), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The shopper's one appeal of a rejected report, in their words.
async fn appeal(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, &[Role::Shopper], form).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let who = user.clone();
    let text = sent.get("appeal").cloned();
    let outcome = state
        .db
        .run(move |conn| crate::qa::service::appeal(conn, &who, id, text.as_deref(), now))
        .await;
    match outcome {
        Ok(_) => Ok(super::form::done(
            &state,
            &format!("/shopper/assignments/{id}/report"),
            "Your appeal is in: a second reviewer looks at the report again.",
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let form = FormState::refused(&sent, &e, &["appeal"], &[("text", "appeal")], &[]);
            render(
                &req,
                &state,
                user,
                id,
                Some(form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::typed_number;

    #[test]
    fn numbers_typed_with_commas_read_as_meant() {
        for (typed, read) in [
            ("4,5", "4.5"),
            ("12,25", "12.25"),
            ("1,250", "1250"),
            ("1,250.5", "1250.5"),
            ("1,250,000", "1250000"),
            ("12", "12"),
        ] {
            assert_eq!(typed_number(typed), read, "{typed}");
        }
    }
}
