//! JSON routes of the privacy center.
//!
//! | route | who |
//! | --- | --- |
//! | `POST /shares`, `GET /shares/{id}.csv` | scheduling staff, admins |
//! | `GET /shares/{id}` | scheduling staff, admins, the privacy officer |
//! | `GET /shares/download?token=` (outside `/api/v1`) | the recipient, by the mailed link |
//! | `POST /privacy-requests` | anyone: signed in (about their own account) or through the public form |
//! | `POST /privacy-requests/{id}/verify` | the requester, with the mailed code |
//! | `GET /me/privacy-requests` | any signed-in person, their own requests |
//! | `GET /privacy-requests`, `GET /privacy-requests/{id}`, `POST /privacy-requests/{id}/extend`, `/complete`, `/deny`, `GET /privacy/dashboard`, `GET /privacy/record-of-processing`, `GET /privacy/logs` | the privacy officer |

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::requests::{
    self, Clocks, NewRequest, OfficerView, QueueFilter, RequestView, Requester, Submitted,
};
use super::sharing::{self, ShareRequest, ShareView};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::http::ApiJson;
use crate::paging::{PageRequest, Paged};
use crate::routing::Routes;
use crate::state::AppState;

/// Who makes shares and downloads their lists: scheduling staff and admins.
pub const SHARERS: &[Role] = &[Role::Scheduler, Role::Admin];
/// Who reads a share (no person's data): the sharers and the privacy officer.
pub const SHARE_READERS: &[Role] = &[Role::Scheduler, Role::Admin, Role::PrivacyOfficer];
/// Who works the queue of privacy requests: the privacy officer alone.
pub const OFFICERS: &[Role] = &[Role::PrivacyOfficer];

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .post("/shares", create)
        .get("/shares/{id}.csv", list_csv)
        .get("/shares/{id}", share)
        .post("/privacy-requests", submit)
        .get("/privacy-requests", queue)
        .post("/privacy-requests/{id}/verify", verify)
        .post("/privacy-requests/{id}/extend", extend)
        .post("/privacy-requests/{id}/complete", complete)
        .post("/privacy-requests/{id}/deny", deny)
        .get("/privacy-requests/{id}", request)
        .get("/me/privacy-requests", mine)
        .get("/privacy/dashboard", dashboard)
        .get("/privacy/record-of-processing", record_of_processing)
        .get("/privacy/logs", person_logs);
}

/// The recipient's link, outside `/api/v1` (it is opened from a mail).
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "").get("/shares/download", download);
}

/// A share for a friendly competitor: the name and street address of the active shoppers in
/// the `area` whose sharing consent is in force now (email and phone only with the contact
/// consent), fixed now; a disclosure record for each; the link mailed to `recipient_email`
/// when given (it works once, for 7 days).
#[utoipa::path(post, path = "/api/v1/shares", tag = "privacy",
    request_body = ShareRequest,
    responses((status = 201, body = ShareView)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ShareRequest>,
) -> AppResult<HttpResponse> {
    user.require(SHARERS)?;
    let request = body.into_inner()?;
    let keys = state.auth.keys.clone();
    let url = state.auth.public_url.clone();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| sharing::create(conn, &keys, &url, user.id, &request, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(view))
}

/// One share: its company, purpose, area, how many people, whether its link was used.
#[utoipa::path(get, path = "/api/v1/shares/{id}", tag = "privacy",
    params(("id" = i64, Path, description = "The share's id")),
    responses((status = 200, body = ShareView)),
    security(("bearer" = [])))]
pub async fn share(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(SHARE_READERS)?;
    let id = path.into_inner();
    let view = state.db.run(move |conn| sharing::find(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The share's fixed list as CSV (`name, street, city, state, zip, email, phone`); each row
/// read is an access record on that shopper's log.
#[utoipa::path(get, path = "/api/v1/shares/{id}.csv", tag = "privacy",
    params(("id" = i64, Path, description = "The share's id")),
    responses((status = 200, content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
pub async fn list_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(SHARERS)?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let csv = state
        .db
        .run(move |conn| sharing::staff_csv(conn, user.id, id, now))
        .await?;
    Ok(crate::http::csv_attachment(&format!("share-{id}.csv"), csv))
}

#[derive(Debug, Deserialize)]
pub struct Link {
    token: Option<String>,
}

/// The recipient's download, by the mailed link: once, before it expires (410 `link_spent`
/// after).
pub async fn download(
    state: web::Data<AppState>,
    query: web::Query<Link>,
) -> AppResult<HttpResponse> {
    let token = query
        .into_inner()
        .token
        .filter(|t| !t.trim().is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            AppError::bad_request(
                "bad_link",
                "This link is incomplete: open the whole link from the mail.",
            )
        })?;
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let (id, csv) = state
        .db
        .run(move |conn| sharing::download(conn, &keys, &token, now))
        .await?;
    Ok(crate::http::csv_attachment(
        &format!("shoppers-{id}.csv"),
        csv,
    ))
}

/// Make a privacy request. Signed in (`Authorization: Bearer`), it is about your own account
/// and verified by it; without, it is the public form: `email` is required, a 6-digit code goes
/// to it if it is on file (type it at `POST /privacy-requests/{id}/verify` within 10 minutes),
/// and `name`, `zip`, `phone`, `street` are matched against the record. An opt-out is carried
/// out at once, without verification. At most two know or access requests per person in 12
/// months: a third is recorded and denied (`too_many_requests`).
#[utoipa::path(post, path = "/api/v1/privacy-requests", tag = "privacy",
    request_body = NewRequest,
    responses(
        (status = 201, body = Submitted),
        (status = 429, description = "Too many privacy requests through the public form from this network in the last hour; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])))]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<NewRequest>,
) -> AppResult<HttpResponse> {
    let requester = if crate::http::bearer_token(&req).is_some() {
        let user = CurrentUser::extract(&req).await?;
        Requester::Account {
            user_id: user.id,
            email: user.email.as_str().to_string(),
        }
    } else {
        Requester::Public
    };
    let request = body.into_inner()?;
    let keys = state.auth.keys.clone();
    let auth = state.auth.clone();
    let address = crate::http::client_address(&req, state.settings.trust_proxy);
    let now = state.clock.naive();
    // A malformed request is refused before it counts against the network's hourly limit.
    requests::validate(&request, matches!(requester, Requester::Public))?;
    let submitted = state
        .db
        .run(move |conn| {
            if matches!(requester, Requester::Public) {
                crate::auth::service::admit_request(
                    conn,
                    &auth,
                    crate::auth::throttle::Request::PrivacyRequest,
                    &address,
                )?;
            }
            requests::submit(conn, &keys, &requester, &request, now)
        })
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(submitted))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// The 6 digits mailed to the address on file.
    pub code: String,
}

/// Confirm a public request with the mailed code: 10 minutes, 3 tries (409 `code_expired`,
/// `code_tries_used`; 422 with the tries left for a wrong one).
#[utoipa::path(post, path = "/api/v1/privacy-requests/{id}/verify", tag = "privacy",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = CodeBody,
    responses(
        (status = 200, body = RequestView),
        (status = 409, description = "The request is not waiting for a code, or its code expired or used its tries (code_expired, code_tries_used, not_waiting_for_code)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn verify(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<CodeBody>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let code = body.into_inner()?.code;
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| requests::verify(conn, &keys, id, &code, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// `open` (default: the soonest due first), `overdue` or `closed`.
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The privacy officer's queue of requests, with their clocks and history.
#[utoipa::path(get, path = "/api/v1/privacy-requests", tag = "privacy", params(QueueQuery),
    responses((status = 200, body = Paged<OfficerView>)),
    security(("bearer" = [])))]
pub async fn queue(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let query = query.into_inner();
    let filter = match query.status.as_deref() {
        None | Some("open") => QueueFilter::Open,
        Some("overdue") => QueueFilter::Overdue,
        Some("closed") => QueueFilter::Closed,
        Some(_) => return Err(AppError::field("status", "must be open, overdue or closed")),
    };
    let page = PageRequest::parse(query.page, query.per_page)?;
    let now = state.clock.naive();
    let list = state
        .db
        .run(move |conn| requests::queue(conn, filter, page, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One request, with its verification and history.
#[utoipa::path(get, path = "/api/v1/privacy-requests/{id}", tag = "privacy",
    params(("id" = i64, Path, description = "The request's id")),
    responses((status = 200, body = OfficerView)),
    security(("bearer" = [])))]
pub async fn request(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| requests::find(conn, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why the answer needs more time (mailed to the requester).
    pub reason: String,
}

/// Extend a request once, to 90 days after receipt, before its 45th day; the requester is
/// mailed the reason (409 `extended_already`, `extension_late`, `request_closed`).
#[utoipa::path(post, path = "/api/v1/privacy-requests/{id}/extend", tag = "privacy",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = ReasonBody,
    responses(
        (status = 200, body = OfficerView),
        (status = 409, description = "Extended already, too late, or closed", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn extend(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    body: ApiJson<ReasonBody>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let id = path.into_inner();
    let reason = body.into_inner()?.reason;
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| requests::extend(conn, user.id, id, &reason, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// What was done, in the requester's words (mailed to them).
    pub note: String,
}

/// Complete a verified request with a note of what was done, mailed to the requester. A
/// deletion is carried out first: the answer adds what was deleted, who was told, and what was
/// kept and why (409 `no_account` when no account matched, `staff_record` for a staff account).
#[utoipa::path(post, path = "/api/v1/privacy-requests/{id}/complete", tag = "privacy",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = NoteBody,
    responses(
        (status = 200, body = OfficerView),
        (status = 409, description = "Closed, not verified, not carried out by the service yet, or nothing to carry it out on", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn complete(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    body: ApiJson<NoteBody>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let id = path.into_inner();
    let note = body.into_inner()?.note;
    let now = state.clock.naive();
    let view = crate::rights::complete(
        &state.db,
        &state.storage,
        &state.settings.data_dir,
        user.id,
        id,
        &note,
        now,
    )
    .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyBody {
    /// `too_many_requests`, `unverifiable`, `no_data`, `exempt` or `other`.
    pub reason: String,
    /// Why, in the requester's words (mailed to them).
    pub explanation: String,
}

/// Deny a request with a reason and an explanation mailed to the requester.
#[utoipa::path(post, path = "/api/v1/privacy-requests/{id}/deny", tag = "privacy",
    params(("id" = i64, Path, description = "The request's id")),
    request_body = DenyBody,
    responses(
        (status = 200, body = OfficerView),
        (status = 409, description = "The request is closed already", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn deny(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    body: ApiJson<DenyBody>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let id = path.into_inner();
    let DenyBody {
        reason,
        explanation,
    } = body.into_inner()?;
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| requests::deny(conn, user.id, id, &reason, &explanation, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Your own privacy requests, newest first, with their state and due date.
#[utoipa::path(get, path = "/api/v1/me/privacy-requests", tag = "privacy", params(PageQuery),
    responses((status = 200, body = Paged<RequestView>)),
    security(("bearer" = [])))]
pub async fn mine(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let now = state.clock.naive();
    let list = state
        .db
        .run(move |conn| requests::mine(conn, user.id, page, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The privacy officer's clocks: open requests, overdue, nearly due (within 7 days).
#[utoipa::path(get, path = "/api/v1/privacy/dashboard", tag = "privacy",
    responses((status = 200, body = Clocks)),
    security(("bearer" = [])))]
pub async fn dashboard(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let now = state.clock.naive();
    let clocks = state
        .db
        .run(move |conn| Ok(requests::clocks(conn, now)?))
        .await?;
    Ok(HttpResponse::Ok().json(clocks))
}

/// The record of processing activities (GDPR Art. 30) as JSON, generated from the data
/// inventory and the disclosure log: activities with their data subjects, data, categories,
/// purposes and retention; recipients; processors; transfers; security measures.
#[utoipa::path(get, path = "/api/v1/privacy/record-of-processing", tag = "privacy",
    responses((status = 200, body = super::record::Record)),
    security(("bearer" = [])))]
pub async fn record_of_processing(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let now = state.clock.naive();
    let controller = state.settings.controller_name();
    let record = state
        .db
        .run(move |conn| Ok(super::record::record(conn, &controller, now)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"record-of-processing.json\"",
        ))
        .json(record))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    /// The person's email address or shopper code.
    pub person: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One person's logs, found by email address or shopper code: who read their data and who
/// received it, newest first (a page of each). The officer's read is an access record.
#[utoipa::path(get, path = "/api/v1/privacy/logs", tag = "privacy", params(LogsQuery),
    responses(
        (status = 200, body = super::logs::PersonLogs),
        (status = 404, description = "Nobody has this email address or shopper code", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn person_logs(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<LogsQuery>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let who = query.person.unwrap_or_default();
    let now = state.clock.naive();
    let logs = state
        .db
        .run(move |conn| super::logs::of_person(conn, user.id, &who, page, now))
        .await?;
    Ok(HttpResponse::Ok().json(logs))
}
