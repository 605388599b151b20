//! JSON routes of questionnaires and reports. Scheduling staff and admins write and publish a
//! project's questionnaires (QA reads them); an assignment's shopper fills, saves and hands in
//! its report, which staff read (each read an access record) and may reopen when late.
//! Another shopper's report is answered as not found.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::model::QuestionnaireDoc;
use super::service::{self, QuestionnaireSummary, QuestionnaireView, ReportInput, ReportView};
use super::xlsform;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ApiJson;
use crate::ids::{AssignmentId, ProjectId, QuestionnaireId};
use crate::paging::{PageQuery, Paged};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/projects/{id}/questionnaires", list_questionnaires)
        .post("/projects/{id}/questionnaires", create_questionnaire)
        .post("/projects/{id}/questionnaires/xlsform", import_xlsform)
        .get("/questionnaires/{id}", get_questionnaire)
        .post("/questionnaires/{id}/publish", publish)
        .get("/assignments/{id}/report", get_report)
        .put("/assignments/{id}/report", save_report)
        .post("/assignments/{id}/submit", submit)
        .post("/assignments/{id}/report/reopen", reopen);
}

/// Who reads questionnaires: scheduling staff, QA and admins.
const READERS: &[Role] = &[Role::Scheduler, Role::Qa, Role::Admin];
/// Who reads reports: their shopper, and staff.
const REPORT_READERS: &[Role] = &[Role::Shopper, Role::Scheduler, Role::Qa, Role::Admin];

/// The versions of a project's questionnaire, newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/questionnaires", tag = "reports",
    params(("id" = i64, Path, description = "The project's id"), PageQuery),
    responses((status = 200, body = Paged<QuestionnaireSummary>)),
    security(("bearer" = [])))]
pub async fn list_questionnaires(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(READERS)?;
    let page = query.checked()?;
    let project = path.into_inner();
    let list = state
        .db
        .run(move |conn| service::questionnaires(conn, project, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A new draft version of the project's questionnaire, as a document (the same one
/// `GET /questionnaires/{id}` gives as `document`). Every problem of the document is named
/// at once (`sections[0].questions[2].relevant`). Publish it to start reports on it.
#[utoipa::path(post, path = "/api/v1/projects/{id}/questionnaires", tag = "reports",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = QuestionnaireDoc,
    responses((status = 201, body = QuestionnaireView)),
    security(("bearer" = [])))]
pub async fn create_questionnaire(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
    body: ApiJson<QuestionnaireDoc>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let doc = body.into_inner()?;
    created_version(&state, user, path.into_inner(), doc).await
}

/// A new draft version of `project` from `doc`: 201 with it.
async fn created_version(
    state: &AppState,
    user: CurrentUser,
    project: ProjectId,
    doc: QuestionnaireDoc,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let created = state
        .db
        .run(move |conn| service::create_questionnaire(conn, &user, project, doc, now))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// A questionnaire authored in a spreadsheet: XLSForm's survey and choices sheets, each as
/// CSV text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct XlsFormImport {
    pub title: String,
    /// The survey sheet as CSV: `type,name,label,required,relevant,constraint,hint,…`.
    pub survey: String,
    /// The choices sheet as CSV: `list_name,name,label[,points]`; may be empty.
    #[serde(default)]
    pub choices: String,
}

/// A new draft version from XLSForm sheets (see the README for the columns we read).
#[utoipa::path(post, path = "/api/v1/projects/{id}/questionnaires/xlsform", tag = "reports",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = XlsFormImport,
    responses((status = 201, body = QuestionnaireView)),
    security(("bearer" = [])))]
pub async fn import_xlsform(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
    body: ApiJson<XlsFormImport>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let import = body.into_inner()?;
    let doc = xlsform::read(import.title.trim(), &import.survey, &import.choices)
        .map_err(AppError::validation)?;
    created_version(&state, user, path.into_inner(), doc).await
}

/// One version, with its document.
#[utoipa::path(get, path = "/api/v1/questionnaires/{id}", tag = "reports",
    params(("id" = i64, Path, description = "The questionnaire version's id")),
    responses((status = 200, body = QuestionnaireView)),
    security(("bearer" = [])))]
pub async fn get_questionnaire(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<QuestionnaireId>,
) -> AppResult<HttpResponse> {
    user.require(READERS)?;
    let id = path.into_inner();
    let view = state
        .db
        .run(move |conn| service::questionnaire(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Publishes a draft: reports started from now on use it; those started before keep theirs.
/// A published version never changes (409 `already_published`).
#[utoipa::path(post, path = "/api/v1/questionnaires/{id}/publish", tag = "reports",
    params(("id" = i64, Path, description = "The questionnaire version's id")),
    responses((status = 200, body = QuestionnaireView),
        (status = 409, description = "Published already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn publish(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<QuestionnaireId>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| service::publish(conn, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The assignment's report: the questionnaire version it is on, the answers, what is still
/// missing and the score. 409 `no_questionnaire` while the project has none published.
#[utoipa::path(get, path = "/api/v1/assignments/{id}/report", tag = "reports",
    params(("id" = i64, Path, description = "The assignment's id")),
    responses((status = 200, body = ReportView),
        (status = 409, description = "The project has no questionnaire yet", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_report(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
) -> AppResult<HttpResponse> {
    user.require(REPORT_READERS)?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| {
            let mut view = service::report(conn, &user, id, now)?;
            // Staff read the proof-of-visit flags; the shopper's answer has none.
            if user.role != Role::Shopper {
                view.flags = Some(crate::media::proof::flags_of(conn, id)?);
            }
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Saves the report as a draft, whole (what is left out is cleared): every answer is checked
/// against its question and nothing is saved when any is wrong, each problem named
/// (`answers.q4`) in the shopper's words. 409 `report_late` after the deadline unless staff
/// reopened it.
#[utoipa::path(put, path = "/api/v1/assignments/{id}/report", tag = "reports",
    params(("id" = i64, Path, description = "The assignment's id")),
    request_body = ReportInput,
    responses((status = 200, body = ReportView),
        (status = 409, description = "Handed in already, late, or no questionnaire", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save_report(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<ReportInput>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let id = path.into_inner();
    let who = user.clone();
    state
        .db
        .run(move |conn| service::check_writer(conn, &who, id))
        .await?;
    let input = body.into_inner()?;
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    let view = state
        .db
        .run(move |conn| service::save(conn, &user, id, &input, max, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Hands the report in: every required answer and the visit's times present, before the
/// deadline; the assignment moves `visited → submitted`. A missing answer is 422 naming it.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/submit", tag = "reports",
    params(("id" = i64, Path, description = "The assignment's id")),
    responses((status = 200, body = ReportView),
        (status = 409, description = "Not visited, handed in already, late, or no questionnaire", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn submit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| service::submit(conn, &user, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// How long a reopened report may still be handed in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    /// 1 to 14 days from now.
    pub days: i64,
}

/// Staff let a late report be filled and handed in for some more days.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/report/reopen", tag = "reports",
    params(("id" = i64, Path, description = "The assignment's id")),
    request_body = ReopenRequest,
    responses((status = 200, body = ReportView),
        (status = 409, description = "Handed in already, or no questionnaire", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reopen(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<ReopenRequest>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let request = body.into_inner()?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| service::reopen(conn, &user, id, request.days, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
