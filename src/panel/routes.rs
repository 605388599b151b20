//! The shopper's own JSON routes: application and profile, consents, who viewed my data, and
//! my data download. Every route here is for the `shopper` role and touches only the caller's
//! own rows (the id comes from the token, never from the request).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{ConsentChoices, ProfileRequest, ProfileView};
use super::service;
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ApiJson;
use crate::privacy::access::{self, AccessView};
use crate::privacy::consent::{self, ConsentRecord, Purpose, Source};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/profile", web::get().to(get_profile))
        .route("/me/profile", web::put().to(put_profile))
        .route("/me/consents", web::get().to(get_consents))
        .route("/me/consents", web::post().to(post_consents))
        .route("/me/access-log", web::get().to(access_log))
        .route("/me/export", web::get().to(export));
}

/// Shoppers only: staff and client reviewers have no shopper profile.
fn shopper(user: &CurrentUser) -> AppResult<()> {
    user.require(&[Role::Shopper])
}

/// My profile (sealed values masked). 404 before the application is sent.
#[utoipa::path(get, path = "/api/v1/me/profile", tag = "panel",
    responses(
        (status = 200, body = ProfileView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
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
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a shopper", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn put_profile(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ProfileRequest>,
) -> AppResult<HttpResponse> {
    shopper(&user)?;
    let keys = state.auth.keys.clone();
    let request = body.0;
    let view = state
        .db
        .run(move |conn| {
            let profile = request.validate(service::now().date())?;
            service::save_profile(conn, &keys, user.id, &profile, Source::Api)
        })
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

async fn consents_response(state: &AppState, user_id: i64) -> AppResult<ConsentsResponse> {
    state
        .db
        .run(move |conn| {
            let current = consent::all_current(conn, user_id)?
                .into_iter()
                .map(|(purpose, granted)| ConsentState {
                    purpose,
                    granted,
                    explanation: purpose.explanation(),
                })
                .collect();
            Ok(ConsentsResponse {
                current,
                history: consent::history(conn, user_id)?,
            })
        })
        .await
}

/// My consents: each purpose's current choice, and the whole ledger.
#[utoipa::path(get, path = "/api/v1/me/consents", tag = "panel",
    responses(
        (status = 200, body = ConsentsResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
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
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn post_consents(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ConsentChoices>,
) -> AppResult<HttpResponse> {
    shopper(&user)?;
    let choices = body.0.given();
    if choices.is_empty() {
        return Err(AppError::field(
            "consents",
            "send at least one of share_name_address, share_contact, job_offer_emails, daily_digest",
        ));
    }
    let gpc = req
        .headers()
        .get("sec-gpc")
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    if gpc
        && choices
            .iter()
            .any(|(p, g)| *g && matches!(p, Purpose::ShareNameAddress | Purpose::ShareContact))
    {
        return Err(AppError::field(
            "share_name_address",
            "your browser sends a Global Privacy Control signal, which we honour as a no to sharing",
        ));
    }
    let user_id = user.id;
    state
        .db
        .run(move |conn| {
            let now = service::now();
            crate::db::write_transaction(conn, |conn| {
                for (purpose, granted) in choices {
                    consent::record(conn, user_id, purpose, granted, Source::Api, now)?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(consents_response(&state, user.id).await?))
}

/// Who among staff read my personal data, which categories and why, newest first.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "panel",
    responses(
        (status = 200, body = [AccessView]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn access_log(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    shopper(&user)?;
    let list = state
        .db
        .run(move |conn| Ok(access::list_for(conn, user.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Everything we hold about me, as a JSON download (sealed values in the clear: they are
/// mine). Any signed-in person: the account itself is personal data.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "panel",
    responses(
        (status = 200, description = "A JSON document", content_type = "application/json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let keys = state.auth.keys.clone();
    let document = state
        .db
        .run(move |conn| service::export(conn, &keys, user.id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"incognito-my-data.json\"",
        ))
        .json(document))
}
