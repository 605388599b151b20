//! JSON routes of the privacy center.
//!
//! | route | who |
//! | --- | --- |
//! | `POST /shares`, `GET /shares/{id}.csv` | scheduling staff, admins |
//! | `GET /shares/{id}` | scheduling staff, admins, the privacy officer |
//! | `GET /shares/download?token=` (outside `/api/v1`) | the recipient, by the mailed link |
//! | `POST /privacy-requests` | anyone: signed in (about their own account) or through the public form |
//! | `POST /privacy-requests/{id}/verify` | the requester, with the mailed code |
//! | `POST /privacy-requests/by-agent` | anyone acting for a person, with their signed authorisation (the person confirms) |
//! | `GET /privacy-requests/{id}/authorisation` | the privacy officer |
//! | `GET /me/privacy-requests` | any signed-in person, their own requests |
//! | `GET /privacy-requests`, `GET /privacy-requests/{id}`, `POST /privacy-requests/{id}/extend`, `/complete`, `/deny`, `GET /privacy/dashboard`, `GET /privacy/record-of-processing`, `GET /privacy/logs` | the privacy officer |
//! | `GET /privacy/agents`, `POST /privacy/agents`, `POST /privacy/agents/{id}/revoke` | the privacy officer |
//! | `GET /privacy/notice-versions` | anyone |
//! | `POST /privacy/notice-versions` | the privacy officer |
//! | `GET /me/notice`, `POST /me/notice/accept` | any signed-in person, their own |
//! | `POST /drp/v1/agent/{agent-id}` (outside `/api/v1`) | a registered agent, by a message signed with its key |
//! | `GET /drp/v1/agent/{agent-id}`, `POST /drp/v1/data-rights-request`, `GET`/`DELETE /drp/v1/data-rights-request/{id}` | a registered agent, by its pair-wise token; a request only by the agent that made it |

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::drp::{self, AgentView, DrpError, NewAgent, Status};
use super::requests::{
    self, Clocks, NewRequest, OfficerView, QueueFilter, RequestView, Requester, Submitted,
};
use super::sharing::{self, ShareRequest, ShareView};
use super::versions::{self, MyNotice, NewVersion, Published, VersionView};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::http::ApiJson;
use crate::paging::{PageQuery, PageRequest, Paged};
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
        .post("/privacy-requests/by-agent", submit_by_agent)
        .get("/privacy-requests/{id}/authorisation", authorisation)
        .get("/privacy-requests", queue)
        .post("/privacy-requests/{id}/verify", verify)
        .post("/privacy-requests/{id}/extend", extend)
        .post("/privacy-requests/{id}/complete", complete)
        .post("/privacy-requests/{id}/deny", deny)
        .get("/privacy-requests/{id}", request)
        .get("/me/privacy-requests", mine)
        .get("/privacy/dashboard", dashboard)
        .get("/privacy/record-of-processing", record_of_processing)
        .get("/privacy/logs", person_logs)
        .get("/privacy/agents", agents)
        .post("/privacy/agents", register_agent)
        .post("/privacy/agents/{id}/revoke", revoke_agent)
        .get("/privacy/notice-versions", notice_versions)
        .post("/privacy/notice-versions", publish_notice)
        .get("/me/notice", my_notice)
        .post("/me/notice/accept", accept_notice);
}

/// The Data Rights Protocol's endpoints (DRP 0.9.4), outside `/api/v1`.
pub fn drp_routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/drp/v1")
        .post("/agent/{agent_id}", drp_pair)
        .get("/agent/{agent_id}", drp_agent)
        .post("/data-rights-request", drp_exercise)
        .post("/data-rights-request/", drp_exercise)
        .get("/data-rights-request/{request_id}", drp_status)
        .delete("/data-rights-request/{request_id}", drp_revoke);
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
                admit_public_request(conn, &auth, &address)?;
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

/// The authorised agents registered for the Data Rights Protocol.
#[utoipa::path(get, path = "/api/v1/privacy/agents", tag = "privacy", params(PageQuery),
    responses((status = 200, body = Paged<AgentView>)),
    security(("bearer" = [])))]
pub async fn agents(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let page = query.into_inner().checked()?;
    let list = state.db.run(move |conn| drp::agents(conn, page)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Register an authorised agent that speaks the Data Rights Protocol: its directory id, name,
/// Ed25519 verify key (base64) and the address its status callbacks must start with (409
/// `agent_registered` while an agent with this id is registered).
#[utoipa::path(post, path = "/api/v1/privacy/agents", tag = "privacy",
    request_body = NewAgent,
    responses(
        (status = 201, body = AgentView),
        (status = 409, description = "An agent with this id is registered already (agent_registered)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn register_agent(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<NewAgent>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let agent = body.into_inner()?;
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| drp::register(conn, user.id, &agent, now))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Revoke an agent: its token stops working at once; the requests it made go on.
#[utoipa::path(post, path = "/api/v1/privacy/agents/{id}/revoke", tag = "privacy",
    params(("id" = String, Path, description = "The agent's directory id")),
    responses(
        (status = 200, body = AgentView),
        (status = 404, description = "No agent has this id", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn revoke_agent(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| drp::revoke_agent(conn, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Runs protocol work on the database: the pool's failure or the protocol's refusal, both as
/// the protocol answers errors.
async fn on_db<T, F>(state: &AppState, work: F) -> Result<T, DrpError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, DrpError> + Send + 'static,
    T: Send + 'static,
{
    state.db.run(move |conn| Ok(work(conn))).await?
}

fn agent_token(req: &HttpRequest) -> Option<String> {
    crate::http::bearer_token(req)
}

/// DRP "Pair-wise Key Setup": a message signed with the agent's registered key (the protocol's
/// envelope: `agent-id`, `business-id`, `issued-at`, `expires-at`) answers `{agent-id, token}`;
/// any failure is a bare 403.
pub async fn drp_pair(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, DrpError> {
    let agent_id = path.into_inner();
    let keys = state.auth.keys.clone();
    let business = state.settings.drp_business_id.clone();
    let now = state.clock.naive();
    let id = agent_id.clone();
    let token = on_db(&state, move |conn| {
        drp::pair(conn, &keys, &id, &body, &business, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "agent-id": agent_id, "token": token })))
}

/// DRP "Agent Information": `{}` while the bearer token is this agent's; 403 otherwise.
pub async fn drp_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, DrpError> {
    let agent_id = path.into_inner();
    let keys = state.auth.keys.clone();
    let token = agent_token(&req);
    let agent = on_db(&state, move |conn| {
        drp::agent_for_token(conn, &keys, token.as_deref())
    })
    .await?;
    if agent.id != agent_id {
        return Err(DrpError::forbidden("This token belongs to another agent."));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// DRP "Data Rights Exercise": a signed request (text/plain, base64 of signature and JSON)
/// with the bearer token; answers the Exercise Status.
pub async fn drp_exercise(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, DrpError> {
    let keys = state.auth.keys.clone();
    let token = agent_token(&req);
    let business = state.settings.drp_business_id.clone();
    let url = state.settings.public_base();
    let now = state.clock.naive();
    let status: Status = on_db(&state, move |conn| {
        let agent = drp::agent_for_token(conn, &keys, token.as_deref())?;
        drp::exercise(conn, &keys, &agent, &body, &business, &url, now)
    })
    .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(status))
}

/// DRP "Data Rights Status": the Exercise Status of a request this agent made (another
/// agent's: 403).
pub async fn drp_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, DrpError> {
    let id = path.into_inner();
    let keys = state.auth.keys.clone();
    let token = agent_token(&req);
    let url = state.settings.public_base();
    let status = on_db(&state, move |conn| {
        let agent = drp::agent_for_token(conn, &keys, token.as_deref())?;
        drp::status(conn, &agent, &id, &url)
    })
    .await?;
    Ok(HttpResponse::Ok().json(status))
}

/// DRP "Data Rights Revoke": a signed `{reason}` withdraws a request still open or in
/// progress; answers the status, now `revoked`.
pub async fn drp_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, DrpError> {
    let id = path.into_inner();
    let keys = state.auth.keys.clone();
    let token = agent_token(&req);
    let business = state.settings.drp_business_id.clone();
    let url = state.settings.public_base();
    let now = state.clock.naive();
    let status = on_db(&state, move |conn| {
        let agent = drp::agent_for_token(conn, &keys, token.as_deref())?;
        drp::revoke(conn, &agent, &id, &body, &business, &url, now)
    })
    .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(status))
}

/// The privacy notice's published versions, newest first: what changed and when.
#[utoipa::path(get, path = "/api/v1/privacy/notice-versions", tag = "privacy", params(PageQuery),
    responses((status = 200, body = Paged<VersionView>)),
    security(()))]
pub async fn notice_versions(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = query.into_inner().checked()?;
    let list = state.db.run(move |conn| versions::list(conn, page)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Publish a version of the privacy notice: everyone with an account is mailed the changes
/// before `effective_on`; purposes it `adds` apply only to those who accept it (409
/// `version_exists` for a name used already).
#[utoipa::path(post, path = "/api/v1/privacy/notice-versions", tag = "privacy",
    request_body = NewVersion,
    responses(
        (status = 201, body = Published),
        (status = 409, description = "A version with this name is published already (version_exists)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn publish_notice(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<NewVersion>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    let new = body.into_inner()?;
    let url = state.auth.public_url.as_str().to_string();
    let now = state.clock.naive();
    let published = state
        .db
        .run(move |conn| versions::publish(conn, user.id, &new, &url, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(published))
}

/// The notice's versions for you, each with whether you accepted it.
#[utoipa::path(get, path = "/api/v1/me/notice", tag = "privacy",
    responses((status = 200, body = MyNotice)),
    security(("bearer" = [])))]
pub async fn my_notice(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let notice = state
        .db
        .run(move |conn| versions::mine(conn, user.id))
        .await?;
    Ok(HttpResponse::Ok().json(notice))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The published version you accept.
    pub version: String,
}

/// Accept a published version of the notice: the purposes it adds may then apply to you (if
/// you also say yes to them); 404 for a version never published.
#[utoipa::path(post, path = "/api/v1/me/notice/accept", tag = "privacy",
    request_body = AcceptBody,
    responses(
        (status = 200, body = MyNotice),
        (status = 404, description = "No published version has this name", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn accept_notice(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<AcceptBody>,
) -> AppResult<HttpResponse> {
    let version = body.into_inner()?.version;
    let now = state.clock.naive();
    let notice = state
        .db
        .run(move |conn| versions::accept(conn, user.id, &version, now))
        .await?;
    Ok(HttpResponse::Ok().json(notice))
}

/// Reads the form that carries an agent's signed authorisation: text fields, and the file of
/// the `authorisation` part (at most [`requests::AUTHORISATION_MAX_BYTES`], the whole body a
/// little more).
pub async fn read_agent_form(
    multipart: actix_multipart::Multipart,
) -> AppResult<crate::http::FormParts> {
    crate::http::read_form(
        multipart,
        "authorisation",
        requests::AUTHORISATION_MAX_BYTES + 64 * 1024,
        30,
    )
    .await
}

/// An agent's request for a person: checked, the authorisation stored, counted against the
/// network's hourly limit, made; the stored file removed again when it is not kept.
pub async fn make_agent_request(
    req: &HttpRequest,
    state: &AppState,
    request: NewRequest,
    file: Option<Vec<u8>>,
) -> AppResult<Submitted> {
    let mut errors = Vec::new();
    if let Err(e) = requests::validate(&request, true) {
        errors.extend(e.fields);
    }
    if request.agent_name.is_none() && !errors.iter().any(|e| e.field == "agent_name") {
        errors.push(crate::error::FieldError::new(
            "agent_name",
            "Type your name or your company's, as the authorisation names you.",
        ));
    }
    if request.agent_email.is_none() && !errors.iter().any(|e| e.field == "agent_email") {
        errors.push(crate::error::FieldError::new(
            "agent_email",
            "Type your email address: we tell you there that the request was received.",
        ));
    }
    let kind = match file.as_deref() {
        None => {
            errors.push(crate::error::FieldError::new(
                "authorisation",
                "Attach the authorisation the person signed (PDF, JPEG or PNG).",
            ));
            None
        }
        Some(bytes) if bytes.len() > requests::AUTHORISATION_MAX_BYTES => {
            errors.push(crate::error::FieldError::new(
                "authorisation",
                "The authorisation is larger than 5 MB: scan it at a lower resolution.",
            ));
            None
        }
        Some(bytes) => {
            let kind = requests::authorisation_kind(bytes);
            if kind.is_none() {
                errors.push(crate::error::FieldError::new(
                    "authorisation",
                    "Attach the signed authorisation as a PDF, JPEG or PNG file.",
                ));
            }
            kind
        }
    };
    let (Some((extension, content_type)), Some(bytes), true) = (kind, file, errors.is_empty())
    else {
        return Err(AppError::validation(errors));
    };
    // Counted against the network's hourly limit before anything is stored.
    let auth = state.auth.clone();
    let address = crate::http::client_address(req, state.settings.trust_proxy);
    state
        .db
        .run(move |conn| admit_public_request(conn, &auth, &address))
        .await?;
    let key = format!(
        "{}.{extension}",
        crate::storage::new_key("privacy-authorisations")
    );
    let scratch = state.settings.data_dir.join("tmp");
    tokio::fs::create_dir_all(&scratch)
        .await
        .map_err(AppError::internal)?;
    let temp = scratch.join(format!("authorisation-{}", crate::keys::random_token(12)));
    tokio::fs::write(&temp, &bytes)
        .await
        .map_err(AppError::internal)?;
    let stored = state.storage.put_file(&key, &temp, content_type).await;
    let _ = tokio::fs::remove_file(&temp).await;
    stored.map_err(|e| AppError::internal(anyhow::anyhow!("storing an authorisation: {e}")))?;
    let origin = super::requests::AgentOrigin {
        agent_name: request
            .agent_name
            .clone()
            .unwrap_or_default()
            .trim()
            .to_string(),
        agent_email: request
            .agent_email
            .as_deref()
            .map(|e| e.trim().to_lowercase()),
        authorisation_key: Some(key.clone()),
        public_url: state.auth.public_url.as_str().to_string(),
        ..Default::default()
    };
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let done = state
        .db
        .run(move |conn| requests::submit(conn, &keys, &Requester::Agent(origin), &request, now))
        .await;
    if !done.as_ref().is_ok_and(|s| s.kept_authorisation)
        && let Err(e) = state.storage.delete(&key).await
    {
        tracing::warn!(error = %e, "an unused authorisation stays in storage");
    }
    state.mail.wake();
    done
}

/// Make a privacy request for someone else, as their authorised agent: a
/// `multipart/form-data` form with the fields of `POST /privacy-requests` (`kind`, the
/// person's `email`, `name`, `street`, `zip`, `phone`), `agent_name`, `agent_email`, and the
/// person's signed authorisation as the file `authorisation` (PDF, JPEG or PNG, at most 5 MB).
/// The person is mailed a link at the address on file to confirm they asked you; nothing is
/// done until they do. You are mailed that it was received, in the same words whether or not
/// the person is on file.
#[utoipa::path(post, path = "/api/v1/privacy-requests/by-agent", tag = "privacy",
    request_body(content = String, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Submitted),
        (status = 429, description = "Too many privacy requests from this network in the last hour; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()))]
pub async fn submit_by_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    multipart: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let form = read_agent_form(multipart).await?;
    let text = |name: &str| {
        form.fields
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let request = NewRequest {
        kind: text("kind").unwrap_or_default(),
        email: text("email"),
        name: text("name"),
        zip: text("zip"),
        phone: text("phone"),
        street: text("street"),
        declaration: Some(true),
        details: text("details"),
        corrections: None,
        agent_name: text("agent_name"),
        agent_email: text("agent_email"),
    };
    let submitted = make_agent_request(&req, &state, request, form.file).await?;
    Ok(HttpResponse::Created().json(submitted))
}

/// The signed authorisation an agent sent with a request (PDF, JPEG or PNG); 404 when none
/// was kept.
#[utoipa::path(get, path = "/api/v1/privacy-requests/{id}/authorisation", tag = "privacy",
    params(("id" = i64, Path, description = "The request's id")),
    responses(
        (status = 200, content_type = "application/pdf", body = String),
        (status = 404, description = "No authorisation was kept with this request", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn authorisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(OFFICERS)?;
    authorisation_file(&state, path.into_inner()).await
}

/// The stored authorisation of request `id`, as a download (for the API and the officer's page).
pub async fn authorisation_file(state: &AppState, id: i64) -> AppResult<HttpResponse> {
    let key = state
        .db
        .run(move |conn| requests::authorisation_key(conn, id))
        .await?
        .ok_or_else(|| AppError::not_found("No authorisation was kept with this request."))?;
    let stream = state.storage.get(&key, None).await.map_err(|e| match e {
        crate::storage::StorageError::NotFound => {
            AppError::not_found("The authorisation is no longer stored.")
        }
        other => AppError::internal(anyhow::anyhow!("reading an authorisation: {other}")),
    })?;
    Ok(HttpResponse::Ok()
        .content_type(requests::authorisation_type(&key))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"authorisation-{id}.{}\"",
                key.rsplit('.').next().unwrap_or("bin")
            ),
        ))
        .streaming(stream))
}

/// Counts a privacy request made without an account (the public form, an agent's form)
/// against its network's hourly limit: 429 past it.
pub fn admit_public_request(
    conn: &mut crate::db::DbConnection,
    auth: &crate::auth::Auth,
    address: &str,
) -> AppResult<()> {
    crate::auth::service::admit_request(
        conn,
        auth,
        crate::auth::throttle::Request::PrivacyRequest,
        address,
    )
}
