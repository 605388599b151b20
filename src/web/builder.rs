//! Staff's questionnaire builder: a version's sections and questions, question by question.
//! A draft is changed in place (add a question, change one, move it up or down, remove it,
//! retitle the questionnaire), every change checked whole with each problem named beside its
//! field and what was typed kept; a published version is read here and copied into a new
//! draft to change it. A project without a questionnaire starts one with its first question.
//! The JSON document and the XLSForm sheets (`questionnaires.rs`) stay the other ways in.
//! Scheduling staff and admins.

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, StaffFrame as Frame};
use crate::auth::Role;
use crate::error::{AppError, FieldError};
use crate::ids::{ProjectId, QuestionnaireId};
use crate::reports::model::{Choice, Question, QuestionKind, QuestionnaireDoc, Section};
use crate::reports::service::{self, QuestionnaireView};
use crate::reports::store::QuestionnaireStatus;
use crate::reports::xlsform;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/staff/questionnaires/{id}/builder", builder_page)
        .post("/staff/questionnaires/{id}/drafts", new_draft)
        .post("/staff/questionnaires/{id}/questions", add_question)
        .get("/staff/questionnaires/{id}/question", question_page)
        .post("/staff/questionnaires/{id}/question", change_question)
        .post("/staff/questionnaires/{id}/title", retitle)
        .get("/staff/projects/{id}/questionnaire/first", first_page)
        .post("/staff/projects/{id}/questionnaire/first", first_question);
}

/// The kinds, as the form offers them.
const KINDS: [(QuestionKind, &str, &str); 11] = [
    (QuestionKind::YesNo, "yes_no", "Yes or no"),
    (QuestionKind::SingleChoice, "single_choice", "One choice"),
    (
        QuestionKind::MultipleChoice,
        "multiple_choice",
        "Several choices",
    ),
    (QuestionKind::Number, "number", "Number"),
    (QuestionKind::Text, "text", "Text"),
    (QuestionKind::Date, "date", "Date"),
    (QuestionKind::Time, "time", "Time"),
    (QuestionKind::Rating, "rating", "Rating scale"),
    (QuestionKind::Receipt, "receipt", "Receipt photo"),
    (QuestionKind::Photo, "photo", "Photo"),
    (QuestionKind::Audio, "audio", "Recording"),
];

fn kind_words(kind: QuestionKind) -> &'static str {
    KINDS.iter().find(|k| k.0 == kind).map_or("", |k| k.2)
}

/// The question form's fields.
const FIELDS: &[&str] = &[
    "section",
    "new_section",
    "name",
    "label",
    "kind",
    "required",
    "help",
    "relevant",
    "constraint",
    "constraint_message",
    "choices",
    "min",
    "max",
    "scale",
    "points",
    "allow_na",
    "files",
    "title",
];

/// A question as the builder lists it.
struct Row {
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
    relevant: Option<String>,
    first: bool,
    last: bool,
}

struct SectionRows {
    title: String,
    questions: Vec<Row>,
}

#[derive(Template)]
#[template(path = "staff_builder.html")]
struct BuilderPage {
    f: Frame,
    /// The version shown; None while a project's first questionnaire is being started.
    id: Option<QuestionnaireId>,
    project: ProjectId,
    version: i32,
    draft: bool,
    title: String,
    sections: Vec<SectionRows>,
    /// Where the add form goes.
    action: String,
    /// The question form (adding one here).
    form: FormState,
    section_options: Vec<(String, String)>,
    kind_options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "staff_question.html")]
struct QuestionPage {
    f: Frame,
    id: QuestionnaireId,
    version: i32,
    /// A published version's question is shown, not changed.
    draft: bool,
    name: String,
    form: FormState,
    section_options: Vec<(String, String)>,
    kind_options: Vec<(String, String)>,
}

fn kind_options() -> Vec<(String, String)> {
    KINDS
        .iter()
        .map(|(_, value, words)| ((*value).to_string(), (*words).to_string()))
        .collect()
}

fn section_options(doc: Option<&QuestionnaireDoc>) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = doc
        .map(|d| {
            d.sections
                .iter()
                .enumerate()
                .map(|(i, s)| (i.to_string(), s.title.clone()))
                .collect()
        })
        .unwrap_or_default();
    options.push(("new".into(), "A new section (title below)".into()));
    options
}

fn rows_of(doc: &QuestionnaireDoc) -> Vec<SectionRows> {
    let total: usize = doc.sections.iter().map(|s| s.questions.len()).sum();
    let mut at = 0;
    doc.sections
        .iter()
        .map(|s| SectionRows {
            title: s.title.clone(),
            questions: s
                .questions
                .iter()
                .map(|q| {
                    at += 1;
                    Row {
                        name: q.name.clone(),
                        label: q.label.clone(),
                        kind: kind_words(q.kind),
                        required: q.required,
                        relevant: q.relevant.clone(),
                        first: at == 1,
                        last: at == total,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The add form, blank: the last section chosen, a yes/no question required.
fn blank_question(doc: Option<&QuestionnaireDoc>) -> FormState {
    let section = doc
        .and_then(|d| d.sections.len().checked_sub(1))
        .map_or("new".to_string(), |i| i.to_string());
    FormState::filled(HashMap::from([
        ("section".to_string(), section),
        ("kind".to_string(), "yes_no".to_string()),
        ("required".to_string(), "on".to_string()),
    ]))
}

/// A question's values, as the form shows them for a change.
fn values_of(doc: &QuestionnaireDoc, name: &str) -> Option<HashMap<String, String>> {
    let (si, q) = doc
        .sections
        .iter()
        .enumerate()
        .find_map(|(si, s)| s.questions.iter().find(|q| q.name == name).map(|q| (si, q)))?;
    let mut v = HashMap::new();
    let mut put = |k: &str, value: String| {
        if !value.is_empty() {
            v.insert(k.to_string(), value);
        }
    };
    put("section", si.to_string());
    put("name", q.name.clone());
    put("label", q.label.clone());
    put(
        "kind",
        KINDS
            .iter()
            .find(|k| k.0 == q.kind)
            .map_or("", |k| k.1)
            .to_string(),
    );
    put(
        "required",
        if q.required {
            "on".into()
        } else {
            String::new()
        },
    );
    put("help", q.help.clone().unwrap_or_default());
    put("relevant", q.relevant.clone().unwrap_or_default());
    put("constraint", q.constraint.clone().unwrap_or_default());
    put(
        "constraint_message",
        q.constraint_message.clone().unwrap_or_default(),
    );
    put(
        "choices",
        q.choices
            .iter()
            .map(|c| match c.points {
                Some(p) => format!("{} | {} | {p}", c.value, c.label),
                None => format!("{} | {}", c.value, c.label),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    put("min", q.min.map(|n| n.to_string()).unwrap_or_default());
    put("max", q.max.map(|n| n.to_string()).unwrap_or_default());
    put("scale", q.scale.map(|n| n.to_string()).unwrap_or_default());
    put(
        "points",
        q.points
            .iter()
            .map(|(answer, p)| format!("{answer}={p}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    put(
        "allow_na",
        if q.allow_na {
            "on".into()
        } else {
            String::new()
        },
    );
    put(
        "files",
        q.files
            .map(|f| {
                if f.min == f.max {
                    f.min.to_string()
                } else {
                    format!("{}-{}", f.min, f.max)
                }
            })
            .unwrap_or_default(),
    );
    Some(v)
}

/// A value for a choice from its words: `Fries & shake` is `fries_shake`.
fn value_from(label: &str) -> String {
    let mut value = String::new();
    for c in label.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            value.push(c);
        } else if !value.is_empty() && !value.ends_with('_') {
            value.push('_');
        }
    }
    value.trim_end_matches('_').to_string()
}

/// Where the form puts the question: a section by its place, or a new one by its title.
#[derive(Debug)]
enum Target {
    Section(usize),
    New(String),
}

/// The question the form describes, and where it goes; every field it cannot read, at once.
fn question_from(sent: &HashMap<String, String>) -> Result<(Question, Target), AppError> {
    let text = |k: &str| {
        sent.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let optional = |k: &str| Some(text(k)).filter(|v| !v.is_empty());
    let ticked = |k: &str| sent.get(k).is_some_and(|v| !v.is_empty());
    let mut errors = Vec::new();
    let kind = KINDS.iter().find(|k| k.1 == text("kind")).map(|k| k.0);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "Choose what kind of question it is.",
        ));
    }
    let number = |k: &str, errors: &mut Vec<FieldError>| -> Option<f64> {
        let v = optional(k)?;
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                errors.push(FieldError::new(k, format!("“{v}” is not a number.")));
                None
            }
        }
    };
    let min = number("min", &mut errors);
    let max = number("max", &mut errors);
    let scale = optional("scale").and_then(|v| match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                "scale",
                format!("“{v}” is not a whole number, like 5."),
            ));
            None
        }
    });
    let points = match optional("points").map(|p| xlsform::points_by_answer(&p)) {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            errors.push(FieldError::new("points", e));
            Default::default()
        }
        None => Default::default(),
    };
    let files = optional("files").and_then(|v| {
        let count = xlsform::file_count(&v);
        if count.is_none() {
            errors.push(FieldError::new(
                "files",
                format!("“{v}” is not a number of files, like 1 or 1-3."),
            ));
        }
        count
    });
    let mut choices = Vec::new();
    for (i, line) in text("choices").lines().enumerate() {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let problem = |words: &str| FieldError::new("choices", format!("Line {}: {words}", i + 1));
        match parts.as_slice() {
            [""] => {}
            [label] => choices.push(Choice {
                value: value_from(label),
                label: (*label).to_string(),
                points: None,
            }),
            [value, label] | [value, label, ""] => choices.push(Choice {
                value: (*value).to_string(),
                label: (*label).to_string(),
                points: None,
            }),
            [value, label, points] => match points.parse::<i64>() {
                Ok(p) => choices.push(Choice {
                    value: (*value).to_string(),
                    label: (*label).to_string(),
                    points: Some(p),
                }),
                Err(_) => errors.push(problem(&format!(
                    "“{points}” is not a whole number of points."
                ))),
            },
            _ => errors.push(problem("write value | words | points, or just the words.")),
        }
    }
    let target = match text("section").as_str() {
        "new" | "" => {
            let title = text("new_section");
            if title.is_empty() {
                errors.push(FieldError::new(
                    "new_section",
                    "Give the new section a title, or choose a section above.",
                ));
            }
            Target::New(title)
        }
        other => match other.parse::<usize>() {
            Ok(i) => Target::Section(i),
            Err(_) => {
                errors.push(FieldError::new("section", "Choose a section."));
                Target::New(String::new())
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let question = Question {
        name: text("name"),
        label: text("label"),
        kind: kind.unwrap_or(QuestionKind::Text),
        required: ticked("required"),
        help: optional("help"),
        relevant: optional("relevant"),
        constraint: optional("constraint"),
        constraint_message: optional("constraint_message"),
        choices,
        min,
        max,
        scale,
        points,
        allow_na: ticked("allow_na"),
        files,
    };
    Ok((question, target))
}

/// Puts `question` into `doc` at `target` (at its end, or at `place` within it); where it
/// went: (section, place).
fn place(
    doc: &mut QuestionnaireDoc,
    target: Target,
    question: Question,
    place: Option<usize>,
) -> Result<(usize, usize), AppError> {
    match target {
        Target::Section(i) => {
            let section = doc
                .sections
                .get_mut(i)
                .ok_or_else(|| AppError::field("section", "Choose a section."))?;
            let at = place
                .unwrap_or(section.questions.len())
                .min(section.questions.len());
            section.questions.insert(at, question);
            Ok((i, at))
        }
        Target::New(title) => {
            doc.sections.push(Section {
                title,
                questions: vec![question],
            });
            Ok((doc.sections.len() - 1, 0))
        }
    }
}

/// Where question `name` is: (section, place).
fn find(doc: &QuestionnaireDoc, name: &str) -> Result<(usize, usize), AppError> {
    doc.sections
        .iter()
        .enumerate()
        .find_map(|(si, s)| {
            s.questions
                .iter()
                .position(|q| q.name == name)
                .map(|qi| (si, qi))
        })
        .ok_or_else(|| AppError::not_found("This version has no question of that name."))
}

/// Takes question `name` out (and its section, when it was the last one there).
fn take(doc: &mut QuestionnaireDoc, name: &str) -> Result<(usize, usize, Question), AppError> {
    let (si, qi) = find(doc, name)?;
    let question = doc.sections[si].questions.remove(qi);
    Ok((si, qi, question))
}

fn drop_empty_sections(doc: &mut QuestionnaireDoc) {
    doc.sections.retain(|s| !s.questions.is_empty());
}

/// Moves question `name` one place up or down, into the next section at its edge.
fn step(doc: &mut QuestionnaireDoc, name: &str, up: bool) -> Result<(), AppError> {
    let (si, qi) = find(doc, name)?;
    let count = doc.sections[si].questions.len();
    if up && qi > 0 {
        doc.sections[si].questions.swap(qi, qi - 1);
    } else if !up && qi + 1 < count {
        doc.sections[si].questions.swap(qi, qi + 1);
    } else if up && si > 0 {
        let q = doc.sections[si].questions.remove(qi);
        doc.sections[si - 1].questions.push(q);
    } else if !up && si + 1 < doc.sections.len() {
        let q = doc.sections[si].questions.remove(qi);
        doc.sections[si + 1].questions.insert(0, q);
    }
    drop_empty_sections(doc);
    Ok(())
}

/// The document's problems, each placed on the form's field when it is about the question at
/// `(section, place)` (`sections[1].questions[3].choices[0].value` is the choices field), the
/// others said at the top as they are.
fn placed(e: AppError, at: Option<(usize, usize)>) -> AppError {
    if e.fields.is_empty() {
        return e;
    }
    let prefix = at.map(|(s, q)| format!("sections[{s}].questions[{q}]."));
    let fields = e
        .fields
        .iter()
        .map(|f| {
            let field = prefix
                .as_deref()
                .and_then(|p| f.field.strip_prefix(p))
                .map(|rest| rest.split(['.', '[']).next().unwrap_or(rest).to_string())
                .filter(|name| FIELDS.contains(&name.as_str()))
                .unwrap_or_else(|| f.field.clone());
            FieldError::new(&field, f.message.clone())
        })
        .collect();
    AppError::validation(fields)
}

async fn version(state: &AppState, id: QuestionnaireId) -> Result<QuestionnaireView, AppError> {
    state
        .db
        .run(move |conn| service::questionnaire(conn, id))
        .await
}

async fn render_builder(
    req: &HttpRequest,
    state: &AppState,
    view: &QuestionnaireView,
    form: FormState,
) -> PageResult {
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let csrf = csrf(req, state);
    let refused = form.failed();
    let page = BuilderPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        id: Some(view.id),
        project: view.project_id,
        version: view.version,
        draft: view.status == QuestionnaireStatus::Draft,
        title: view.document.title.clone(),
        sections: rows_of(&view.document),
        action: format!("/staff/questionnaires/{}/questions", view.id),
        section_options: section_options(Some(&view.document)),
        kind_options: kind_options(),
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn builder_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
) -> PageResult {
    page_user_in(&req, &state, Role::SCHEDULING).await?;
    let view = version(&state, path.into_inner()).await?;
    let form = blank_question(Some(&view.document));
    render_builder(&req, &state, &view, form).await
}

/// A new draft holding published version `id`'s document, to change.
async fn new_draft(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, _) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let created = state
        .db
        .run(move |conn| {
            let from = service::questionnaire(conn, id)?;
            service::create_questionnaire(conn, &user, from.project_id, from.document, now)
        })
        .await?;
    Ok(form::done(
        &state,
        &format!("/staff/questionnaires/{}/builder", created.id),
        &format!(
            "Version {} is a draft copy of version {}: change it, then publish it.",
            created.version,
            created.version - 1
        ),
    ))
}

/// A change of a draft's document; where the question changed now stands, when one did.
type Edit =
    Box<dyn FnOnce(&mut QuestionnaireDoc) -> Result<Option<(usize, usize)>, AppError> + Send>;

/// Changes draft `id` by `edit`; done: back to the builder with `notice`; refused: the page
/// `again` draws, with what was typed and the problems placed (`at`: the question's place
/// after the change).
async fn change<E, A, Fut>(
    state: &AppState,
    id: QuestionnaireId,
    sent: HashMap<String, String>,
    edit: E,
    notice: String,
    again: A,
) -> PageResult
where
    E: FnOnce(&mut QuestionnaireDoc) -> Result<Option<(usize, usize)>, AppError> + Send + 'static,
    A: FnOnce(FormState) -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    let at = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = at.clone();
    let outcome = state
        .db
        .run(move |conn| {
            service::edit_draft(conn, id, |doc| {
                let place = edit(doc)?;
                *seen.lock().unwrap_or_else(|p| p.into_inner()) = place;
                Ok(())
            })
        })
        .await;
    match outcome {
        Ok(_) => Ok(form::done(
            state,
            &format!("/staff/questionnaires/{id}/builder"),
            &notice,
        )),
        Err(e)
            if e.status.is_client_error() && e.status != actix_web::http::StatusCode::NOT_FOUND =>
        {
            let place = *at.lock().unwrap_or_else(|p| p.into_inner());
            let e = placed(e, place);
            again(FormState::refused(&sent, &e, FIELDS, &[], &[])).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds the form's question to draft `id`.
async fn add_question(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (_, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let view = version(&state, id).await?;
    let read = question_from(&sent);
    let edit = move |doc: &mut QuestionnaireDoc| {
        let (question, target) = read?;
        Ok(Some(place(doc, target, question, None)?))
    };
    let notice = format!(
        "Question “{}” added to version {}.",
        sent.get("label").map_or("", |l| l.trim()),
        view.version
    );
    change(&state, id, sent.clone(), edit, notice, |form| {
        render_builder(&req, &state, &view, form)
    })
    .await
}

#[derive(Deserialize)]
struct NameQuery {
    name: Option<String>,
}

async fn render_question(
    req: &HttpRequest,
    state: &AppState,
    view: &QuestionnaireView,
    name: &str,
    form: FormState,
) -> PageResult {
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let csrf = csrf(req, state);
    let refused = form.failed();
    let page = QuestionPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        id: view.id,
        version: view.version,
        draft: view.status == QuestionnaireStatus::Draft,
        name: name.to_string(),
        section_options: section_options(Some(&view.document)),
        kind_options: kind_options(),
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

/// One question of a draft, to change.
async fn question_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
    query: web::Query<NameQuery>,
) -> PageResult {
    page_user_in(&req, &state, Role::SCHEDULING).await?;
    let name = query
        .into_inner()
        .name
        .ok_or_else(|| AppError::field("name", "Say which question: ?name=…"))?;
    let view = version(&state, path.into_inner()).await?;
    let values = values_of(&view.document, &name)
        .ok_or_else(|| AppError::not_found("This version has no question of that name."))?;
    render_question(&req, &state, &view, &name, FormState::filled(values)).await
}

/// A question of draft `id` (`question`, its name) saved as changed, moved up or down, or
/// removed (`action`).
async fn change_question(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (_, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let view = version(&state, id).await?;
    let name = sent.get("question").cloned().unwrap_or_default();
    let action = sent.get("action").cloned().unwrap_or_default();
    let (edit, notice): (Edit, String) = match action.as_str() {
        "up" | "down" => {
            let (name, up) = (name.clone(), action == "up");
            (
                Box::new(move |doc| step(doc, &name, up).map(|()| None)),
                "Moved.".into(),
            )
        }
        "remove" => {
            let (gone, notice) = (name.clone(), format!("Question “{name}” removed."));
            (
                Box::new(move |doc| {
                    take(doc, &gone)?;
                    drop_empty_sections(doc);
                    Ok(None)
                }),
                notice,
            )
        }
        "save" => {
            let read = question_from(&sent);
            let name = name.clone();
            (
                Box::new(move |doc| {
                    let (question, target) = read?;
                    let (si, qi, _) = take(doc, &name)?;
                    // In the same section it keeps its place; elsewhere it goes to the end.
                    let same = matches!(target, Target::Section(s) if s == si);
                    let mut at = place(doc, target, question, same.then_some(qi))?;
                    // The section it left goes when emptied; those after it move up one.
                    if doc.sections[si].questions.is_empty() && si < at.0 {
                        at.0 -= 1;
                    }
                    drop_empty_sections(doc);
                    Ok(Some(at))
                }),
                "Question saved.".into(),
            )
        }
        _ => {
            return Err(AppError::field("action", "must be save, up, down or remove").into());
        }
    };
    let (r, st) = (&req, &state);
    change(&state, id, sent.clone(), edit, notice, |form| async move {
        if action == "save" {
            render_question(r, st, &view, &name, form).await
        } else {
            render_builder(r, st, &view, form).await
        }
    })
    .await
}

/// The questionnaire's title, as shoppers read it.
async fn retitle(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (_, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let view = version(&state, id).await?;
    let title = sent
        .get("title")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let edit = move |doc: &mut QuestionnaireDoc| {
        doc.title = title;
        Ok(None)
    };
    change(
        &state,
        id,
        sent.clone(),
        edit,
        "Title saved.".into(),
        |form| render_builder(&req, &state, &view, form),
    )
    .await
}

async fn project_name(state: &AppState, project: ProjectId) -> Result<String, AppError> {
    state
        .db
        .run(move |conn| {
            use diesel::OptionalExtension;
            Ok(crate::clients::store::find_project(conn, project)
                .optional()?
                .ok_or_else(|| AppError::not_found("No project has this id."))?
                .name)
        })
        .await
}

async fn render_first(
    req: &HttpRequest,
    state: &AppState,
    project: ProjectId,
    form: FormState,
) -> PageResult {
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let name = project_name(state, project).await?;
    let csrf = csrf(req, state);
    let refused = form.failed();
    let page = BuilderPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        id: None,
        project,
        version: 1,
        draft: true,
        title: format!("{name} visit"),
        sections: Vec::new(),
        action: format!("/staff/projects/{project}/questionnaire/first"),
        section_options: section_options(None),
        kind_options: kind_options(),
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

/// A project's first questionnaire, started with its first question.
async fn first_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
) -> PageResult {
    page_user_in(&req, &state, Role::SCHEDULING).await?;
    let project = path.into_inner();
    let name = project_name(&state, project).await?;
    let mut form = blank_question(None);
    let mut values = HashMap::from([
        ("title".to_string(), format!("{name} visit")),
        ("new_section".to_string(), "The visit".to_string()),
    ]);
    for f in ["section", "kind", "required"] {
        values.insert(f.to_string(), form.value(f).to_string());
    }
    form = FormState::filled(values);
    render_first(&req, &state, project, form).await
}

async fn first_question(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let project = path.into_inner();
    let title = sent
        .get("title")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let now = state.clock.naive();
    let outcome = match question_from(&sent) {
        Ok((question, Target::New(section))) => {
            let doc = QuestionnaireDoc {
                title,
                sections: vec![Section {
                    title: section,
                    questions: vec![question],
                }],
            };
            state
                .db
                .run(move |conn| service::create_questionnaire(conn, &user, project, doc, now))
                .await
                .map_err(|e| placed(e, Some((0, 0))))
        }
        Ok((_, Target::Section(_))) => Err(AppError::field(
            "new_section",
            "Give the first section a title.",
        )),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(created) => Ok(form::done(
            &state,
            &format!("/staff/questionnaires/{}/builder", created.id),
            "Version 1 started as a draft with its first question: add the rest, then publish it.",
        )),
        Err(e)
            if e.status.is_client_error() && e.status != actix_web::http::StatusCode::NOT_FOUND =>
        {
            let form = FormState::refused(&sent, &e, FIELDS, &[], &[]);
            render_first(&req, &state, project, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> QuestionnaireDoc {
        serde_json::from_value(serde_json::json!({"title": "T", "sections": [
            {"title": "A", "questions": [
                {"name": "a1", "label": "A1", "kind": "yes_no"},
                {"name": "a2", "label": "A2", "kind": "text"}]},
            {"title": "B", "questions": [{"name": "b1", "label": "B1", "kind": "text"}]}]}))
        .unwrap()
    }

    fn names(doc: &QuestionnaireDoc) -> Vec<Vec<&str>> {
        doc.sections
            .iter()
            .map(|s| s.questions.iter().map(|q| q.name.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_question_steps_within_and_across_sections() {
        let mut d = doc();
        step(&mut d, "a2", false).unwrap();
        assert_eq!(names(&d), [vec!["a1"], vec!["a2", "b1"]]);
        // Down at its section's end: to the start of the next; the emptied section goes.
        step(&mut d, "a1", false).unwrap();
        assert_eq!(names(&d), [vec!["a1", "a2", "b1"]]);
        step(&mut d, "a1", true).unwrap();
        assert_eq!(names(&d), [vec!["a1", "a2", "b1"]], "the first stays first");
        step(&mut d, "b1", true).unwrap();
        assert_eq!(names(&d), [vec!["a1", "b1", "a2"]]);
    }

    #[test]
    fn choices_are_read_from_lines() {
        let sent = HashMap::from([
            ("section".to_string(), "0".to_string()),
            ("name".to_string(), "items".to_string()),
            ("label".to_string(), "Items".to_string()),
            ("kind".to_string(), "multiple_choice".to_string()),
            (
                "choices".to_string(),
                "fries | Fries | 2\nShake & fries\n\nsalad | Salad".to_string(),
            ),
        ]);
        let (q, _) = question_from(&sent).unwrap();
        let read: Vec<(&str, &str, Option<i64>)> = q
            .choices
            .iter()
            .map(|c| (c.value.as_str(), c.label.as_str(), c.points))
            .collect();
        assert_eq!(
            read,
            [
                ("fries", "Fries", Some(2)),
                ("shake_fries", "Shake & fries", None),
                ("salad", "Salad", None)
            ]
        );
        let mut bad = sent.clone();
        bad.insert("choices".into(), "fries | Fries | two".into());
        bad.insert("min".into(), "ten".into());
        let e = question_from(&bad).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["min", "choices"]);
    }

    #[test]
    fn a_documents_problem_lands_on_its_field() {
        let e = AppError::validation(vec![
            FieldError::new("sections[1].questions[0].choices[2].value", "is repeated"),
            FieldError::new("sections[1].questions[0].relevant", "reads ${x}"),
            FieldError::new("sections[0].questions[0].label", "is required"),
        ]);
        let e = placed(e, Some((1, 0)));
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["choices", "relevant", "sections[0].questions[0].label"]
        );
    }

    #[test]
    fn a_question_reads_back_as_the_form_wrote_it() {
        let sent = HashMap::from([
            ("section".to_string(), "1".to_string()),
            ("name".to_string(), "score".to_string()),
            ("label".to_string(), "Score".to_string()),
            ("kind".to_string(), "rating".to_string()),
            ("scale".to_string(), "5".to_string()),
            ("points".to_string(), "1=0 5=4".to_string()),
            ("relevant".to_string(), "${a1} = 'no'".to_string()),
            ("required".to_string(), "on".to_string()),
        ]);
        let (q, target) = question_from(&sent).unwrap();
        let mut d = doc();
        place(&mut d, target, q, None).unwrap();
        let back = values_of(&d, "score").unwrap();
        for (k, v) in &sent {
            assert_eq!(back.get(k), Some(v), "{k}");
        }
    }
}
