//! The shopper's own JSON routes: application and profile, consents, who viewed my data, and
//! my data download. Every route here is for the `shopper` role and touches only the caller's
//! own rows (the id comes from the token, never from the request).

use crate::ids::{ShopperId, UserId};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{
    ConsentChoices, ProfileRequest, ProfileView, RatingRequest, RevealRequest, ShopperSummary,
    StaffShopperView, Status, StatusChangeRequest,
};
use super::service;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ApiJson;
use crate::paging::{PageQuery, PageRequest, Paged};
use crate::privacy::access::{self, AccessView};
use crate::privacy::consent::{self, ConsentRecord, Purpose, Source};
use crate::privacy::disclosure::{self, DisclosureView};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/me/profile", get_profile)
        .put("/me/profile", put_profile)
        .get("/me/consents", get_consents)
        .post("/me/consents", post_consents)
        .get("/me/access-log", access_log)
        .get("/me/disclosures", disclosures)
        .get("/me/export", export)
        .get("/me/export.zip", export_zip)
        .get("/privacy/export-schema", export_schema)
        .get("/shoppers", search_shoppers)
        .post("/shoppers/import", import_contacts)
        .get("/shoppers/{id}", get_shopper)
        .post("/shoppers/{id}/ratings", rate)
        .post("/shoppers/{id}/reveal", reveal)
        .post("/shoppers/{id}/approve", approve)
        .post("/shoppers/{id}/suspend", suspend)
        .post("/shoppers/{id}/reinstate", reinstate);
}

/// Who may rate a shopper's work.
pub const RATERS: &[Role] = &[Role::Scheduler, Role::Qa, Role::Admin];

/// Shoppers only: staff and client reviewers have no shopper profile.
fn shopper(user: &CurrentUser) -> AppResult<()> {
    user.require(&[Role::Shopper])
}

/// My profile (sealed values masked). 404 before the application is sent.
#[utoipa::path(get, path = "/api/v1/me/profile", tag = "panel",
    responses(
        (status = 200, body = ProfileView),
        (status = 403, description = "Not a shopper", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No application yet", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_profile(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    shopper(&user)?;
    let keys = state.auth.keys.clone();
    let view = state
        .db
        .run(move |conn| service::profile_view(conn, &keys, user.id))
        .await?
        .ok_or_else(|| AppError::not_found("You have not applied yet: PUT /api/v1/me/profile."))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Apply (the first time, with `accept_agreement: true`) or change my profile. A new address
/// is geocoded again. Errors name every bad field.
#[utoipa::path(put, path = "/api/v1/me/profile", tag = "panel", request_body = ProfileRequest,
    responses(
        (status = 200, body = ProfileView),
        (status = 403, description = "Not a shopper", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn put_profile(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ProfileRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    shopper(&user)?;
    let request = body.into_inner()?;
    let keys = state.auth.keys.clone();
    let view = service::submit_profile(
        &state.db,
        keys,
        &state.settings,
        user.id,
        request,
        Source::Api,
        now,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct ConsentState {
    pub purpose: Purpose,
    pub granted: bool,
    /// What saying yes means.
    pub explanation: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentsResponse {
    pub current: Vec<ConsentState>,
    /// The whole ledger, oldest first.
    pub history: Vec<ConsentRecord>,
}

async fn consents_response(state: &AppState, user_id: UserId) -> AppResult<ConsentsResponse> {
    state
        .db
        .run(move |conn| {
            let history = consent::history(conn, user_id)?;
            let current = consent::current_from(&history)
                .into_iter()
                .map(|(purpose, granted)| ConsentState {
                    purpose,
                    granted,
                    explanation: purpose.explanation(),
                })
                .collect();
            Ok(ConsentsResponse { current, history })
        })
        .await
}

/// My consents: each purpose's current choice, and the whole ledger.
#[utoipa::path(get, path = "/api/v1/me/consents", tag = "panel",
    responses(
        (status = 200, body = ConsentsResponse),
    ),
    security(("bearer" = [])))]
pub async fn get_consents(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    shopper(&user)?;
    Ok(HttpResponse::Ok().json(consents_response(&state, user.id).await?))
}

/// Change consents: each purpose sent is recorded (a repeat of the current choice is not).
/// A `Sec-GPC: 1` header is honoured: sharing cannot be turned on with it.
#[utoipa::path(post, path = "/api/v1/me/consents", tag = "panel", request_body = ConsentChoices,
    responses(
        (status = 200, body = ConsentsResponse),
    ),
    security(("bearer" = [])))]
pub async fn post_consents(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ConsentChoices>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    shopper(&user)?;
    let choices = body.into_inner()?.given();
    if choices.is_empty() {
        return Err(AppError::field(
            "consents",
            "send at least one of share_name_address, share_contact, job_offer_emails, daily_digest",
        ));
    }
    let choices = consent::honour_gpc(choices, crate::http::gpc(&req), Source::Api)?;
    let user_id = user.id;
    state
        .db
        .run(move |conn| Ok(consent::record_choices(conn, user_id, &choices, now)?))
        .await?;
    Ok(HttpResponse::Ok().json(consents_response(&state, user.id).await?))
}

/// Who among staff read my personal data, which categories and why, newest first.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "panel", params(PageQuery),
    responses(
        (status = 200, body = Paged<AccessView>),
    ),
    security(("bearer" = [])))]
pub async fn access_log(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    shopper(&user)?;
    let page = query.checked()?;
    let list = state
        .db
        .run(move |conn| Ok(access::page_for(conn, user.id, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Where my personal data went outside the service: which party received which categories,
/// why and when, newest first.
#[utoipa::path(get, path = "/api/v1/me/disclosures", tag = "panel", params(PageQuery),
    responses(
        (status = 200, body = Paged<DisclosureView>),
    ),
    security(("bearer" = [])))]
pub async fn disclosures(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    shopper(&user)?;
    let page = query.checked()?;
    let list = state
        .db
        .run(move |conn| Ok(disclosure::page_for(conn, user.id, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Everything we hold about me, as a JSON download valid against `GET
/// /privacy/export-schema` (a tax ID, a bank account and the password only as "on file").
/// Any signed-in person: the account itself is personal data.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "panel",
    responses(
        (status = 200, description = "A JSON document", content_type = "application/json"),
    ),
    security(("bearer" = [])))]
pub async fn export(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let keys = state.auth.keys.clone();
    let document = state
        .db
        .run(move |conn| crate::rights::access::document(conn, &keys, user.id, now))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"incognito-my-data.json\"",
        ))
        .json(document))
}

/// The whole copy of my data as one ZIP: `my-data.json`, `my-data.csv`, `schema.json`, a
/// `README.txt`, and my receipts, photos and recordings under `files/`.
#[utoipa::path(get, path = "/api/v1/me/export.zip", tag = "panel",
    responses(
        (status = 200, description = "A ZIP archive", content_type = "application/zip"),
    ),
    security(("bearer" = [])))]
pub async fn export_zip(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let bytes =
        crate::rights::access::archive(&state.db, &state.storage, &state.auth.keys, user.id, now)
            .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"incognito-my-data.zip\"",
        ))
        .body(bytes))
}

/// The JSON Schema (draft 2020-12) every copy of a person's data is valid against. Anyone.
#[utoipa::path(get, path = "/api/v1/privacy/export-schema", tag = "panel",
    responses(
        (status = 200, description = "A JSON Schema", content_type = "application/schema+json"),
    ))]
pub async fn export_schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(crate::rights::access::schema().to_string())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Part of a name, an email address or a shopper code.
    pub q: Option<String>,
    /// `applicant`, `active` or `suspended`.
    pub status: Option<String>,
    /// The page, from 1 (default 1).
    pub page: Option<i64>,
    /// Shoppers a page, 1–100 (default 50).
    pub per_page: Option<i64>,
    /// The former name of `per_page`.
    pub limit: Option<i64>,
}

/// Search the panel (staff). Every shopper listed gets an access record: staff read their name.
#[utoipa::path(get, path = "/api/v1/shoppers", tag = "panel", params(SearchQuery),
    responses((status = 200, body = Paged<ShopperSummary>)),
    security(("bearer" = [])))]
pub async fn search_shoppers(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let SearchQuery {
        q,
        status,
        page,
        per_page,
        limit,
    } = query.into_inner();
    let mut errors = Vec::new();
    let status = match status.as_deref() {
        None | Some("") => None,
        Some(s) => Status::parse(s).or_else(|| {
            errors.push(crate::error::FieldError::new(
                "status",
                "must be applicant, active or suspended",
            ));
            None
        }),
    };
    let request = match PageRequest::parse(page, per_page.or(limit)) {
        Ok(request) => Some(request),
        Err(e) => {
            errors.extend(e.fields.into_iter().map(|mut f| {
                if per_page.is_none() && f.field == "per_page" && limit.is_some() {
                    f.field = "limit".into();
                }
                f
            }));
            None
        }
    };
    let (Some(request), true) = (request, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let q = q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    let list = state
        .db
        .run(move |conn| {
            let total = crate::panel::store::count_matching(
                conn,
                q.as_deref(),
                status.map(Status::as_str),
            )?;
            let items = service::search_shoppers(
                conn,
                user.id,
                &service::ShopperSearch {
                    text: q.as_deref(),
                    status,
                    sort: crate::panel::store::ShopperSort::Newest,
                    offset: request.offset(),
                    limit: request.limit(),
                },
                now,
            )?;
            Ok(Paged::new(items, request, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One shopper as staff see them (sealed values masked). Writes an access record.
#[utoipa::path(get, path = "/api/v1/shoppers/{id}", tag = "panel",
    params(("id" = i64, Path, description = "The shopper's id")),
    responses((status = 200, body = StaffShopperView)),
    security(("bearer" = [])))]
pub async fn get_shopper(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ShopperId>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let keys = state.auth.keys.clone();
    let view = state
        .db
        .run(move |conn| {
            service::staff_view(
                conn,
                &keys,
                user.id,
                id,
                "GET /api/v1/shoppers/{id} (shopper record)",
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Every status change, whichever route it came by (schedulers only).
async fn change_status(
    state: &AppState,
    user: CurrentUser,
    id: ShopperId,
    action: service::StatusAction,
    body: ApiJson<StatusChangeRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let reason = body.into_inner()?.reason;
    let keys = state.auth.keys.clone();
    let notifier = state.notifier();
    let view = state
        .db
        .run(move |conn| {
            crate::assignments::service::change_shopper_status(
                conn,
                &notifier,
                user.id,
                id,
                action,
                reason.as_deref(),
                now,
            )?;
            service::staff_view(
                conn,
                &keys,
                user.id,
                id,
                "status change (shopper record)",
                now,
            )
        })
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(view))
}

/// One route per change, each a thin door to [`change_status`].
macro_rules! status_route {
    ($(#[$doc:meta])* $name:ident, $action:expr) => {
        $(#[$doc])*
        pub async fn $name(
            state: web::Data<AppState>,
            user: CurrentUser,
            path: web::Path<ShopperId>,
            body: ApiJson<StatusChangeRequest>,
        ) -> AppResult<HttpResponse> {
            change_status(&state, user, path.into_inner(), $action, body).await
        }
    };
}

status_route!(
    /// Approve an applicant (applicant → active), with a note; the shopper is mailed.
    #[utoipa::path(post, path = "/api/v1/shoppers/{id}/approve", tag = "panel", request_body = StatusChangeRequest,
        params(("id" = i64, Path, description = "The shopper's id")),
        responses((status = 200, body = StaffShopperView),
            (status = 409, description = "Not an applicant (the detail gives the status)", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    approve, service::StatusAction::Approve
);

status_route!(
    /// Suspend an applicant or a member, with a reason: their open requests and offers are
    /// withdrawn.
    #[utoipa::path(post, path = "/api/v1/shoppers/{id}/suspend", tag = "panel", request_body = StatusChangeRequest,
        params(("id" = i64, Path, description = "The shopper's id")),
        responses((status = 200, body = StaffShopperView),
            (status = 409, description = "Suspended already", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    suspend, service::StatusAction::Suspend
);

status_route!(
    /// Reinstate a suspended shopper (suspended → active), with a reason.
    #[utoipa::path(post, path = "/api/v1/shoppers/{id}/reinstate", tag = "panel", request_body = StatusChangeRequest,
        params(("id" = i64, Path, description = "The shopper's id")),
        responses((status = 200, body = StaffShopperView),
            (status = 409, description = "Not suspended", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    reinstate, service::StatusAction::Reinstate
);

/// Rate a shopper's work, 1–10, optionally citing what it was for.
#[utoipa::path(post, path = "/api/v1/shoppers/{id}/ratings", tag = "panel", request_body = RatingRequest,
    params(("id" = i64, Path, description = "The shopper's id")),
    responses((status = 201, description = "Recorded")),
    security(("bearer" = [])))]
pub async fn rate(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ShopperId>,
    body: ApiJson<RatingRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(RATERS)?;
    let id = path.into_inner();
    let request = body.into_inner()?;
    state
        .db
        .run(move |conn| service::add_rating(conn, user.id, id, &request, now))
        .await?;
    Ok(HttpResponse::Created().finish())
}

#[derive(Serialize, ToSchema)]
pub struct RevealResponse {
    pub field: String,
    /// None when the shopper has not given it.
    pub value: Option<String>,
}

/// Reveal one sealed value (admins only), for a stated purpose that the shopper will see in
/// their access log.
#[utoipa::path(post, path = "/api/v1/shoppers/{id}/reveal", tag = "panel", request_body = RevealRequest,
    params(("id" = i64, Path, description = "The shopper's id")),
    responses((status = 200, body = RevealResponse),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reveal(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ShopperId>,
    body: ApiJson<RevealRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(&[Role::Admin])?;
    let id = path.into_inner();
    let request = body.into_inner()?;
    let keys = state.auth.keys.clone();
    let field = request.field.clone();
    let value = state
        .db
        .run(move |conn| service::reveal(conn, &keys, user.id, id, &request, now))
        .await?;
    Ok(HttpResponse::Ok().json(RevealResponse { field, value }))
}

/// Import contact details of shoppers already on the panel from another system, as CSV:
/// `email` and any of `legal_name, street, city, state, zip, phone`. Nobody is added; a field
/// the shopper corrected through a privacy request is kept as corrected (listed in
/// `kept_corrected`); bad rows are reported with their line.
#[utoipa::path(post, path = "/api/v1/shoppers/import", tag = "panel",
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = crate::rights::correct::ContactImport),
        (status = 415, description = "Not sent as text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn import_contacts(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: crate::http::CsvText,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let text = body.into_inner()?;
    let now = state.clock.naive();
    let report = state
        .db
        .run(move |conn| crate::rights::correct::import_contacts(conn, &text, now))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
