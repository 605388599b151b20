//! JSON routes of friendly-competitor sharing: scheduling staff and admins make shares and
//! download their lists; the privacy officer reads them too; the recipient downloads its list
//! once by the mailed link (`/shares/download?token=…`, no account).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::sharing::{self, ShareRequest, ShareView};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::http::ApiJson;
use crate::routing::Routes;
use crate::state::AppState;

/// Who makes shares and downloads their lists: scheduling staff and admins.
pub const SHARERS: &[Role] = &[Role::Scheduler, Role::Admin];
/// Who reads a share (no person's data): the sharers and the privacy officer.
pub const SHARE_READERS: &[Role] = &[Role::Scheduler, Role::Admin, Role::PrivacyOfficer];

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .post("/shares", create)
        .get("/shares/{id}.csv", list_csv)
        .get("/shares/{id}", share);
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
