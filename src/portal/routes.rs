//! JSON routes of the client reviewers' portal: only their own client's released reports;
//! any other report is 404, whatever its id.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::service::{self, ClientReport, ReportQuery, ReportSummary};
use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::ids::AssignmentId;
use crate::paging::Paged;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/client/reports", list)
        .get("/client/reports.csv", export)
        .get("/client/reports/{id}", report);
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
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"reports.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(csv))
}
