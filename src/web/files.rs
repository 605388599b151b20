//! The report page's files, for its shopper signed in on the web: a photo or recording sent
//! by a plain form (the page works without JavaScript), or by the page's script through the
//! resumable upload (tus, the same as the API's, with the form token in `X-CSRF-Token`), which
//! shows a progress bar and goes on after a lost connection; a file's copy shown in the page;
//! a file removed before the report is handed in.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, web};
use serde::Deserialize;

use super::PageResult;
use super::session::{check_csrf, page_user_in};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::ids::AssignmentId;
use crate::media::routes::{Received, receive, serve, upload_ctx};
use crate::media::service::{self, Incoming, Size};
use crate::media::tus;
use crate::routing::Routes;
use crate::state::AppState;

/// Where the page's resumable uploads live.
pub const UPLOADS: &str = "/shopper/uploads";

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .post("/shopper/assignments/{id}/report/files", send_file)
        .post("/shopper/media/{id}/remove", remove_file)
        .get("/shopper/media/{id}", show_file)
        .post("/shopper/assignments/{id}/uploads", create_upload)
        .get("/shopper/uploads/{id}", upload_offset)
        .patch("/shopper/uploads/{id}", append_upload)
        .delete("/shopper/uploads/{id}", cancel_upload);
}

fn report_of(id: AssignmentId) -> String {
    format!("/shopper/assignments/{id}/report")
}

/// A file sent by the page's plain form: stored, then back to the report with what happened,
/// in words.
async fn send_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    payload: web::Payload,
) -> PageResult {
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    // Read as multipart only once the visitor is known: a visitor signed out is sent to sign
    // in whatever the body.
    let multipart = Multipart::new(req.headers(), payload);
    let id = path.into_inner();
    let who = user.clone();
    state
        .db
        .run(move |conn| service::check_sender(conn, &who, id))
        .await?;
    let scratch = state.settings.data_dir.join("tmp");
    let to = report_of(id);
    let received: Received = match receive(multipart, &scratch, state.settings.media, true).await {
        Ok(r) => r,
        Err(e) if e.status.is_client_error() => {
            return Ok(super::form::done(&state, &to, &refusal(&e)));
        }
        Err(e) => return Err(e.into()),
    };
    check_csrf(&req, &state, received.csrf_token.as_deref().unwrap_or(""))?;
    let incoming = Incoming {
        path: received.file.path().to_path_buf(),
        bytes: received.bytes,
        hash: received.hash.clone(),
        question: received.question.clone(),
    };
    let stored = service::store_upload(
        &state.db,
        &state.storage,
        &user,
        id,
        incoming,
        state.settings.media,
        &scratch,
        state.clock.naive(),
    )
    .await;
    drop(received);
    match stored {
        Ok((view, created)) => {
            let what = if view.duration_ms.is_some() {
                "Recording"
            } else {
                "Photo"
            };
            let words = if created {
                format!("{what} sent.")
            } else {
                format!("{what} sent already: it is kept once.")
            };
            Ok(super::form::done(&state, &to, &words))
        }
        Err(e) if e.status.is_client_error() => Ok(super::form::done(&state, &to, &refusal(&e))),
        Err(e) => Err(e.into()),
    }
}

/// A refused file in the shopper's words, for the page's notice.
fn refusal(e: &AppError) -> String {
    let named: Vec<String> = e
        .fields
        .iter()
        .map(|f| {
            if f.field == "file" {
                format!("Choose a file: {}.", f.message)
            } else {
                f.message.clone()
            }
        })
        .collect();
    if named.is_empty() {
        format!("Not sent: {}", e.detail)
    } else {
        format!("Not sent: {}", named.join(" "))
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    csrf_token: String,
}

/// Removes a file before the report is handed in.
async fn remove_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RemoveForm>,
) -> PageResult {
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    check_csrf(&req, &state, &form.csrf_token)?;
    let media = path.into_inner();
    let row = state
        .db
        .run(move |conn| Ok(crate::media::store::find(conn, media)?))
        .await?;
    let to = row.as_ref().map_or_else(
        || "/shopper/assignments".to_string(),
        |r| report_of(r.assignment_id),
    );
    match service::remove(&state.db, &state.storage, &user, media).await {
        Ok(()) => Ok(super::form::done(&state, &to, "File removed.")),
        // Another's file is not found; a file of a report handed in is said in words.
        Err(e)
            if e.status.is_client_error() && e.status != actix_web::http::StatusCode::NOT_FOUND =>
        {
            Ok(super::form::done(&state, &to, &refusal(&e)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `?size=` of a file's page copy.
#[derive(Deserialize)]
pub(super) struct ShowQuery {
    size: Option<String>,
}

/// A file's copy in the page: the thumbnail or web copy of a photo, a recording as sent (to
/// play, with byte ranges).
async fn show_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> PageResult {
    show_copy(&req, &state, &[Role::Shopper], path.into_inner(), &query).await
}

/// File `id` in the size asked, for a visitor of one of `roles` (what each role may see of
/// it, `media::service::object_for` decides): the shopper's, QA's and the client's pages.
pub(super) async fn show_copy(
    req: &HttpRequest,
    state: &AppState,
    roles: &[Role],
    id: i64,
    query: &ShowQuery,
) -> PageResult {
    let user = page_user_in(req, state, roles).await?;
    let size = Size::asked(query.size.as_deref())?;
    Ok(serve(req, state, user, id, size).await?)
}

/// The page's script sends its form token in `X-CSRF-Token`.
fn script_csrf(req: &HttpRequest, state: &AppState) -> Result<(), super::PageError> {
    let token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    check_csrf(req, state, token)
}

async fn upload_user(req: &HttpRequest, state: &AppState) -> Result<CurrentUser, super::PageError> {
    page_user_in(req, state, &[Role::Shopper]).await
}

async fn create_upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
) -> PageResult {
    let user = upload_user(&req, &state).await?;
    script_csrf(&req, &state)?;
    Ok(tus::answer(
        tus::create_upload(&upload_ctx(&state), &user, path.into_inner(), &req, UPLOADS).await,
    ))
}

async fn upload_offset(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> PageResult {
    let user = upload_user(&req, &state).await?;
    Ok(tus::answer(
        tus::head_upload(&upload_ctx(&state), &user, &path, &req).await,
    ))
}

async fn append_upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Payload,
) -> PageResult {
    let user = upload_user(&req, &state).await?;
    script_csrf(&req, &state)?;
    Ok(tus::answer(
        tus::append_bytes(&upload_ctx(&state), &user, &path, &req, body).await,
    ))
}

async fn cancel_upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> PageResult {
    let user = upload_user(&req, &state).await?;
    script_csrf(&req, &state)?;
    Ok(tus::answer(
        tus::cancel_upload(&upload_ctx(&state), &user, &path, &req).await,
    ))
}
