//! JSON routes of the client reviewers' portal: only their own client's released reports;
//! any other report is 404, whatever its id.

use actix_web::{HttpResponse, web};

use super::alerts::{self, AlertChoice};
use super::dashboard::{self, Dashboard, DashboardQuery};
use super::disputes::{
    self, AnswerRequest, DisputeItem, DisputeQuery, DisputeRequest, DisputeView,
};
use super::service::{self, ClientReport, ReportQuery, ReportSummary};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppResult, Problem};
use crate::http::ApiJson;
use crate::ids::AssignmentId;
use crate::paging::{PageRequest, Paged};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/client/reports", list)
        .get("/client/reports.csv", export)
        .get("/client/reports/{id}", report)
        .post("/client/reports/{id}/dispute", dispute)
        .get("/client/dashboard", dashboard)
        .get("/client/alerts", alerts_chosen)
        .put("/client/alerts", choose_alerts)
        .get("/qa/disputes", disputes)
        .post("/disputes/{id}/answer", answer);
}

/// The client disputes its released report, once, within the project's dispute days, with a
/// `reason` (QA and the shopper read it); the shopper's pay for it waits for QA's answer. 409
/// `dispute_late` after the days, `disputed_already` the second time.
#[utoipa::path(post, path = "/api/v1/client/reports/{id}/dispute", tag = "portal",
    params(("id" = i64, Path, description = "The report's id")),
    request_body = DisputeRequest,
    responses((status = 201, body = DisputeView),
        (status = 409, description = "Too late, or disputed already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn dispute(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<DisputeRequest>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let id = path.into_inner();
    let body = body.into_inner()?;
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| {
            disputes::raise(conn, &user, id, body.reason.as_deref().unwrap_or(""), now)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The client's dashboard: its released reports' score per month overall, per store (the
/// most visited) and per section, the weakest questions and the stores compared (lowest
/// first). Filter by visit days (`from`, `to`).
#[utoipa::path(get, path = "/api/v1/client/dashboard", tag = "portal",
    params(DashboardQuery),
    responses((status = 200, body = Dashboard)),
    security(("bearer" = [])))]
pub async fn dashboard(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<DashboardQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let query = query.into_inner();
    let view = state
        .db
        .run(move |conn| dashboard::dashboard(conn, &user, &query))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Whether the signed-in client reviewer receives hot alerts.
#[utoipa::path(get, path = "/api/v1/client/alerts", tag = "portal",
    responses((status = 200, body = AlertChoice)),
    security(("bearer" = [])))]
pub async fn alerts_chosen(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let on = state
        .db
        .run(move |conn| alerts::chosen(conn, user.id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "hot_alerts": on })))
}

/// The client reviewer chooses whether to be mailed at once when a released report of their
/// client crosses its project's alert rules (a score below its threshold, a named answer).
#[utoipa::path(put, path = "/api/v1/client/alerts", tag = "portal",
    request_body = AlertChoice,
    responses((status = 200, body = AlertChoice)),
    security(("bearer" = [])))]
pub async fn choose_alerts(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<AlertChoice>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let on = body.into_inner()?.hot_alerts;
    let on = state
        .db
        .run(move |conn| alerts::choose(conn, &user, on))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "hot_alerts": on })))
}

/// Disputes waiting for QA's answer, oldest first (`all=true`: answered ones too).
#[utoipa::path(get, path = "/api/v1/qa/disputes", tag = "qa",
    params(DisputeQuery),
    responses((status = 200, body = Paged<DisputeItem>)),
    security(("bearer" = [])))]
pub async fn disputes(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<DisputeQuery>,
) -> AppResult<HttpResponse> {
    user.require(disputes::ANSWERERS)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let all = query.all.unwrap_or(false);
    let list = state
        .db
        .run(move |conn| disputes::list(conn, &user, all, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// QA answers a dispute: `upheld` or `dismissed`, with an `answer` the client and the
/// shopper read; upheld with `withhold_pay`, the shopper's pending pay for the report is
/// withheld. 409 `answered_already` the second time.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/answer", tag = "qa",
    params(("id" = i64, Path, description = "The disputed report's id")),
    request_body = AnswerRequest,
    responses((status = 200, body = DisputeView),
        (status = 409, description = "Answered already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn answer(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<AnswerRequest>,
) -> AppResult<HttpResponse> {
    user.require(disputes::ANSWERERS)?;
    let id = path.into_inner();
    let body = body.into_inner()?;
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| crate::pay::service::answer_dispute(conn, &user, id, &body, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The client's released reports, newest first: store, visit day, score, the shopper as a
/// code. Filter by `store` (its code), `from`/`to` (the visit's day) and `min_score`/`max_score`
/// (percent).
#[utoipa::path(get, path = "/api/v1/client/reports", tag = "portal",
    params(ReportQuery),
    responses((status = 200, body = Paged<ReportSummary>)),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let query = query.into_inner();
    let keys = state.auth.keys.clone();
    let list = state
        .db
        .run(move |conn| service::list(conn, &keys, &user, &query))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One released report of the client: answers and points by section, files (photos as web
/// copies, recordings to stream), its version and corrections. Any other id is 404.
#[utoipa::path(get, path = "/api/v1/client/reports/{id}", tag = "portal",
    params(("id" = i64, Path, description = "The report's id")),
    responses((status = 200, body = ClientReport)),
    security(("bearer" = [])))]
pub async fn report(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let id = path.into_inner();
    let keys = state.auth.keys.clone();
    let report = state
        .db
        .run(move |conn| service::report(conn, &keys, &user, id))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Scores per report and question as CSV (the list's filters apply); a cell starting with
/// `=`, `+`, `-` or `@` is neutralised with a leading `'`.
#[utoipa::path(get, path = "/api/v1/client/reports.csv", tag = "portal",
    params(ReportQuery),
    responses((status = 200, content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::ClientReviewer])?;
    let query = query.into_inner();
    let keys = state.auth.keys.clone();
    let csv = state
        .db
        .run(move |conn| service::export_csv(conn, &keys, &user, &query))
        .await?;
    Ok(crate::http::csv_attachment("reports.csv", csv))
}
