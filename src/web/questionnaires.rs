//! Staff's page of a project's questionnaire: its versions (newest first, a draft published
//! with one button), and a new version from XLSForm sheets or a pasted JSON document, every
//! problem named with what was typed kept. Scheduling staff and admins.

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use askama::Template;

use super::form::{self, FormState};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, StaffFrame as Frame};
use crate::auth::Role;
use crate::error::AppError;
use crate::ids::{ProjectId, QuestionnaireId};
use crate::paging::PageRequest;
use crate::reports::service::{self, QuestionnaireSummary};
use crate::reports::{QuestionnaireDoc, xlsform};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/staff/projects/{id}/questionnaire", questionnaire_page)
        .post("/staff/projects/{id}/questionnaire", new_version)
        .post("/staff/questionnaires/{id}/publish", publish);
}

/// Versions the page lists.
const VERSIONS: i64 = 10;

#[derive(Template)]
#[template(path = "staff_questionnaire.html")]
struct QuestionnairePage {
    f: Frame,
    project: ProjectId,
    project_name: String,
    versions: Vec<QuestionnaireSummary>,
    total: i64,
    form: FormState,
}

async fn page_with(
    req: &HttpRequest,
    state: &AppState,
    project: ProjectId,
    form: FormState,
) -> PageResult {
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let csrf = csrf(req, state);
    let (name, list) = state
        .db
        .run(move |conn| {
            use diesel::OptionalExtension;
            let row = crate::clients::store::find_project(conn, project)
                .optional()?
                .ok_or_else(|| AppError::not_found("No project has this id."))?;
            let page = PageRequest::lenient(Some(1), VERSIONS);
            Ok((row.name, service::questionnaires(conn, project, page)?))
        })
        .await?;
    let refused = form.failed();
    let page = QuestionnairePage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        project,
        project_name: name,
        versions: list.items,
        total: list.total,
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn questionnaire_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
) -> PageResult {
    let project = path.into_inner();
    // The newest version's document, ready to edit into the next one.
    let newest = state
        .db
        .run(move |conn| {
            let page = PageRequest::lenient(Some(1), 1);
            match service::questionnaires(conn, project, page)?.items.first() {
                Some(summary) => Ok(Some(service::questionnaire(conn, summary.id)?.document)),
                None => Ok(None),
            }
        })
        .await
        .ok()
        .flatten();
    let form = match newest.and_then(|doc| serde_json::to_string_pretty(&doc).ok()) {
        Some(json) => FormState::with_value("document", &json),
        None => FormState::blank(),
    };
    page_with(&req, &state, project, form).await
}

const FIELDS: &[&str] = &["title", "survey", "choices", "document"];

/// A new draft: from the sheets when a survey is given, else from the JSON document.
async fn new_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let project = path.into_inner();
    let text = |name: &str| {
        sent.get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let doc: Result<QuestionnaireDoc, AppError> = if !text("survey").is_empty() {
        let title = text("title");
        if title.is_empty() {
            Err(AppError::field("title", "Give the questionnaire a title."))
        } else {
            xlsform::read(&title, &text("survey"), &text("choices")).map_err(AppError::validation)
        }
    } else if !text("document").is_empty() {
        serde_json::from_str(&text("document")).map_err(|e| {
            AppError::field(
                "document",
                format!("This is not a questionnaire document: {e}"),
            )
        })
    } else {
        Err(AppError::field(
            "survey",
            "Paste the survey sheet (and its choices), or a JSON document below.",
        ))
    };
    let now = state.clock.naive();
    let outcome = match doc {
        Ok(doc) => {
            state
                .db
                .run(move |conn| service::create_questionnaire(conn, &user, project, doc, now))
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(created) => Ok(form::done(
            &state,
            &format!("/staff/projects/{project}/questionnaire"),
            &format!(
                "Version {} saved as a draft: publish it when it is ready.",
                created.version
            ),
        )),
        Err(e) if e.status.is_client_error() => {
            // A document's problems name their place in it; they are listed at the top.
            let form = FormState::refused(&sent, &e, FIELDS, &[], &[]);
            page_with(&req, &state, project, form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<QuestionnaireId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let outcome = state
        .db
        .run(move |conn| service::publish(conn, id, now))
        .await;
    match outcome {
        Ok(done) => Ok(form::done(
            &state,
            &format!("/staff/projects/{}/questionnaire", done.project_id),
            &format!(
                "Version {} is published: reports started from now on use it.",
                done.version
            ),
        )),
        Err(e)
            if e.status.is_client_error() && e.status != actix_web::http::StatusCode::NOT_FOUND =>
        {
            let project = state
                .db
                .run(move |conn| Ok(service::questionnaire(conn, id)?.project_id))
                .await?;
            let mut form = FormState::blank();
            form.other.push(e.detail.clone());
            page_with(&req, &state, project, form).await
        }
        Err(e) => Err(e.into()),
    }
}
