//! JSON routes of QA's review. QA and admins read the queue, claim reports, decide them and
//! edit answers; the report's shopper appeals a rejection once. A report never handed in, or
//! another shopper's, is answered as not found.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::service::{self, Decision, EditRequest, QueueItem, QueueQuery, RedactRequest};
use crate::auth::{CurrentUser, Role};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult, Problem};
use crate::http::ApiJson;
use crate::ids::AssignmentId;
use crate::paging::{PageRequest, Paged};
use crate::reports::review::ReviewView;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/qa/queue", queue)
        .post("/reports/{id}/claim", claim)
        .post("/reports/{id}/approve", approve)
        .post("/reports/{id}/revise", revise)
        .post("/reports/{id}/reject", reject)
        .post("/reports/{id}/hold", hold)
        .post("/reports/{id}/release", release)
        .post("/reports/{id}/edits", edit)
        .post("/reports/{id}/redactions", redact)
        .post("/reports/{id}/appeal", appeal);
}

/// The review after a move, or 404 when the report was never handed in.
fn shown(view: Option<ReviewView>) -> AppResult<HttpResponse> {
    view.map(|v| HttpResponse::Ok().json(v))
        .ok_or_else(|| AppError::not_found("No handed-in report has this id."))
}

/// Runs a move of report `id` for `user`.
async fn moved<F>(
    state: &AppState,
    user: CurrentUser,
    id: AssignmentId,
    work: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(
            &mut DbConnection,
            &CurrentUser,
            AssignmentId,
            chrono::NaiveDateTime,
        ) -> AppResult<Option<ReviewView>>
        + Send
        + 'static,
{
    let now = state.clock.naive();
    let view = state.db.run(move |conn| work(conn, &user, id, now)).await?;
    shown(view)
}

/// A decision (`approve`, `revise`, `reject`, `hold`) on report `id`, its body read as a
/// [`Decision`].
async fn decided(
    state: &AppState,
    user: CurrentUser,
    id: AssignmentId,
    body: ApiJson<Decision>,
    decide: fn(
        &mut DbConnection,
        &CurrentUser,
        AssignmentId,
        &Decision,
        chrono::NaiveDateTime,
    ) -> AppResult<Option<ReviewView>>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    let decision = body.into_inner()?;
    moved(state, user, id, move |conn, user, id, now| {
        decide(conn, user, id, &decision, now)
    })
    .await
}

/// QA's queue: reports waiting for review, oldest first, each with its proof-of-visit flags,
/// how long it has waited (and whether longer than its project allows), an appeal marked, and
/// who has it open. Filter by client, project and flag.
#[utoipa::path(get, path = "/api/v1/qa/queue", tag = "qa",
    params(QueueQuery),
    responses((status = 200, body = Paged<QueueItem>)),
    security(("bearer" = [])))]
pub async fn queue(
    state: web::Data<AppState>,
    user: CurrentUser,
    filter: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    let filter = filter.into_inner();
    let page = PageRequest::parse(filter.page, filter.per_page)?;
    let now = state.clock.naive();
    let list = state
        .db
        .run(move |conn| service::queue(conn, &user, &filter, page, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Opens report `id` for the reviewer: theirs for 30 minutes, so that no one else decides it
/// meanwhile (409 `claimed` while another reviewer holds it).
#[utoipa::path(post, path = "/api/v1/reports/{id}/claim", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Claimed by another reviewer, or not waiting for review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    moved(&state, user, path.into_inner(), service::claim).await
}

/// Approves the report (released to the client at once where its project says so), with a
/// `rating` (1–10) for its shopper if given, or `excellent` (a rating citing
/// `excellent_report`). The assignment earns its pay lines (fee, bonus, and the
/// reimbursement: `reimbursement_cents` when QA approves another amount than the receipt's, at
/// most the job's cap). 409 with the report's state when it is not waiting for review.
#[utoipa::path(post, path = "/api/v1/reports/{id}/approve", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = Decision,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not waiting for review, or another reviewer's", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn approve(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<Decision>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    let decision = body.into_inner()?;
    let url = state.auth.public_url.clone();
    moved(
        &state,
        user,
        path.into_inner(),
        move |conn, user, id, now| {
            crate::pay::service::approve(conn, user, id, &decision, &url, now)
        },
    )
    .await
}

/// Sends the report back to its shopper: `reason` (required), `comments` by question name, and
/// `hours` to hand it in again (the project's, 24 by default).
#[utoipa::path(post, path = "/api/v1/reports/{id}/revise", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = Decision,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not waiting for review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revise(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<Decision>,
) -> AppResult<HttpResponse> {
    decided(&state, user, path.into_inner(), body, service::revise).await
}

/// Rejects the report with a `reason` (required); its shopper may appeal once. The rejection
/// rates the shopper (`rating`, 1 unless given, citing `rejected_report`); an appeal upheld
/// withdraws that rating.
#[utoipa::path(post, path = "/api/v1/reports/{id}/reject", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = Decision,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not waiting for review", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reject(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<Decision>,
) -> AppResult<HttpResponse> {
    decided(&state, user, path.into_inner(), body, service::reject).await
}

/// Puts the report on hold with a `reason` (required); it stays in the queue.
#[utoipa::path(post, path = "/api/v1/reports/{id}/hold", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = Decision,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not queued", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn hold(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<Decision>,
) -> AppResult<HttpResponse> {
    decided(&state, user, path.into_inner(), body, service::hold).await
}

/// Releases an approved report to the client (a project that releases by hand).
#[utoipa::path(post, path = "/api/v1/reports/{id}/release", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not approved", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn release(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    let url = state.auth.public_url.clone();
    moved(
        &state,
        user,
        path.into_inner(),
        move |conn, user, id, now| crate::pay::service::release(conn, user, id, &url, now),
    )
    .await
}

/// Changes one answer (`question`, `answer` as the report takes it, `reason`): kept with who,
/// when, before and after, and shown to the shopper. Photos and recordings are not edited.
#[utoipa::path(post, path = "/api/v1/reports/{id}/edits", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = EditRequest,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Released, sent back or rejected", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn edit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<EditRequest>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    let request = body.into_inner()?;
    moved(
        &state,
        user,
        path.into_inner(),
        move |conn, user, id, now| service::edit(conn, user, id, &request, now),
    )
    .await
}

/// The shopper's appeal of a rejection, once, in their words.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    pub text: Option<String>,
}

/// The shopper appeals a rejection once, with `text`; a different reviewer decides.
#[utoipa::path(post, path = "/api/v1/reports/{id}/appeal", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = AppealRequest,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not rejected, or appealed already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn appeal(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<AppealRequest>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let request = body.into_inner()?;
    moved(
        &state,
        user,
        path.into_inner(),
        move |conn, user, id, now| service::appeal(conn, user, id, request.text.as_deref(), now),
    )
    .await
}

/// Removes a phrase (one that names the shopper, say) from a written answer: every
/// occurrence, letters in any case, becomes `[redacted]`; kept as an edit with before, after
/// and why (shown to the shopper; after release, a correction the client sees with its
/// reason). 422 naming `phrase` when the answer does not contain it.
#[utoipa::path(post, path = "/api/v1/reports/{id}/redactions", tag = "qa",
    params(("id" = i64, Path, description = "The report's assignment id")),
    request_body = RedactRequest,
    responses((status = 200, body = ReviewView),
        (status = 409, description = "Not a state that may be edited, or another reviewer's", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn redact(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    body: ApiJson<RedactRequest>,
) -> AppResult<HttpResponse> {
    user.require(service::REVIEWERS)?;
    let request = body.into_inner()?;
    moved(
        &state,
        user,
        path.into_inner(),
        move |conn, user, id, now| service::redact(conn, user, id, &request, now),
    )
    .await
}
