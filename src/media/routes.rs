//! JSON routes of an assignment's files: its shopper sends a photo by multipart (field
//! `file`, optionally `question`), streamed to a scratch file and never held in memory; its
//! shopper and staff fetch a copy, streamed, with byte ranges; its shopper removes one before
//! the report is handed in; anyone signed in reads the limits.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::service::{self, Incoming, MediaView, Size};
use super::tus;
use crate::auth::{CurrentUser, Role};
use crate::config::MediaLimits;
use crate::error::{AppError, AppResult, Problem};
use crate::ids::AssignmentId;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/media/limits", limits)
        .post("/assignments/{id}/media", upload)
        .get("/media/{id}", fetch)
        .delete("/media/{id}", remove)
        // Resumable uploads (tus 1.0, src/media/tus.rs): HEAD, as the protocol asks, is
        // answered as GET without the body.
        .options("/assignments/{id}/uploads", upload_options)
        .post("/assignments/{id}/uploads", upload_create)
        .get("/uploads/{id}", upload_offset)
        .patch("/uploads/{id}", upload_append)
        .delete("/uploads/{id}", upload_cancel);
}

/// What a receipt, photo or recording may be, for a page to check a file before sending it.
#[utoipa::path(get, path = "/api/v1/media/limits", tag = "media",
    responses((status = 200, body = MediaLimits)),
    security(("bearer" = [])))]
pub async fn limits(state: web::Data<AppState>, _user: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.settings.media))
}

/// The refusal of a file still arriving: a kind we do not take, by its first bytes, or past
/// its kind's size limit (a photo's or a recording's); None while it may go on.
pub(crate) fn refused_early(head: &[u8], size: u64, limits: MediaLimits) -> Option<AppError> {
    if head.len() < super::sniff::SNIFF_BYTES {
        return None;
    }
    let kind = match super::sniff::sniff(head) {
        Ok(kind) => kind,
        Err(unknown) => {
            return Some(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_file",
                unknown.words(),
            ));
        }
    };
    let max = if kind.is_image() {
        limits.photo_bytes
    } else {
        limits.recording_bytes
    };
    (size > max).then(|| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            if kind.is_image() {
                format!(
                    "This photo is over {0} MB; the limit is {0} MB. Send a smaller copy (most phones offer one when sharing).",
                    super::photo::mb(max)
                )
            } else {
                format!(
                    "This recording is over {0} MB; the limit is {0} MB. Record in a lower quality, or split the visit into two recordings.",
                    super::photo::mb(max)
                )
            },
        )
    })
}

fn malformed(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request(
        "malformed_form",
        format!("The upload could not be read ({e}); send it again."),
    )
}

/// Sends a photo (JPEG, PNG or WebP; a HEIC photo is refused with what to do) or a recording
/// (MP3, M4A/AAC, WebM, WAV, Ogg, FLAC) as `multipart/form-data` with the field `file` and
/// optionally `question` (the media question it answers). Its kind is decided by its bytes. A
/// photo's web copy and thumbnail are kept without any metadata, the time taken and the
/// position apart for proof of visit; a recording is kept as sent, with its length read from
/// its container. Long recordings may also go through the resumable upload (tus). The same
/// file sent again answers 200 with the file stored before; a new one 201. Refused files: 413
/// too large, 415 a kind not taken, 422 unreadable or too many pixels, each in the shopper's
/// words, and nothing of them stays.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/media", tag = "media",
    params(("id" = i64, Path, description = "The assignment's id")),
    request_body(content = String, content_type = "multipart/form-data", description = "field `file`, and optionally `question`"),
    responses((status = 201, body = MediaView), (status = 200, body = MediaView),
        (status = 409, description = "The report was handed in", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a photo we take", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    multipart: Multipart,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let id = path.into_inner();
    // Who may send is settled before a byte of the body is read.
    let who = user.clone();
    state
        .db
        .run(move |conn| service::check_sender(conn, &who, id))
        .await?;
    let limits = state.settings.media;
    let scratch = state.settings.data_dir.join("tmp");
    let received = receive(multipart, &scratch, limits, false).await?;
    let file = received.file;
    let (bytes, hash, question) = (received.bytes, received.hash, received.question);
    let incoming = Incoming {
        path: file.path().to_path_buf(),
        bytes,
        hash,
        question,
    };
    let now = state.clock.naive();
    let (view, created) = service::store_upload(
        &state.db,
        &state.storage,
        &user,
        id,
        incoming,
        limits,
        &scratch,
        now,
    )
    .await?;
    drop(file);
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// A file sent as `multipart/form-data`, written to a scratch file as it arrived.
pub struct Received {
    /// Removed when dropped.
    pub file: tempfile::NamedTempFile,
    pub bytes: u64,
    /// SHA-256, hex.
    pub hash: String,
    pub question: Option<String>,
    /// A page's form token (`with_csrf`).
    pub csrf_token: Option<String>,
}

/// Reads a multipart upload: the part `file` streamed to a scratch file with its hash,
/// refused while it arrives once its kind or size is known to be refused; `question`; and
/// for a page's form (`with_csrf`) its `csrf_token`. Memory does not grow with the file.
pub async fn receive(
    mut multipart: Multipart,
    scratch: &std::path::Path,
    limits: MediaLimits,
    with_csrf: bool,
) -> AppResult<Received> {
    tokio::fs::create_dir_all(scratch)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("scratch folder: {e}")))?;
    let mut question = None;
    let mut csrf_token = None;
    let mut received: Option<(tempfile::NamedTempFile, u64, String)> = None;
    let mut parts = 0;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        parts += 1;
        if parts > 5 {
            return Err(malformed("more than five parts"));
        }
        match field.name().unwrap_or_default() {
            "file" => {
                let file = tempfile::NamedTempFile::new_in(scratch)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("scratch file: {e}")))?;
                // Written in blocks of 1 MB: each write of a file is a trip to a blocking
                // thread, and a form's pieces are small.
                let mut out = tokio::io::BufWriter::with_capacity(
                    1 << 20,
                    tokio::fs::File::create(file.path())
                        .await
                        .map_err(|e| AppError::internal(anyhow::anyhow!("scratch file: {e}")))?,
                );
                let mut hash = Sha256::new();
                let mut size: u64 = 0;
                let mut head: Vec<u8> = Vec::with_capacity(super::sniff::SNIFF_BYTES);
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(malformed)?;
                    size += chunk.len() as u64;
                    if head.len() < super::sniff::SNIFF_BYTES {
                        let wanted = super::sniff::SNIFF_BYTES - head.len();
                        head.extend_from_slice(&chunk[..wanted.min(chunk.len())]);
                    }
                    if let Some(refusal) = refused_early(&head, size, limits) {
                        // Stop reading: the scratch file goes with `file`.
                        return Err(refusal);
                    }
                    hash.update(&chunk);
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| AppError::internal(anyhow::anyhow!("scratch file: {e}")))?;
                }
                out.flush()
                    .await
                    .map_err(|e| AppError::internal(anyhow::anyhow!("scratch file: {e}")))?;
                let hex = crate::keys::hex(&hash.finalize());
                received = Some((file, size, hex));
            }
            "question" => {
                let mut text = Vec::new();
                while let Some(chunk) = field.next().await {
                    text.extend_from_slice(&chunk.map_err(malformed)?);
                    if text.len() > 64 {
                        return Err(AppError::field("question", "is not a question's name"));
                    }
                }
                let name = String::from_utf8(text)
                    .ok()
                    .filter(|n| crate::reports::expr::is_name(n))
                    .ok_or_else(|| AppError::field("question", "is not a question's name"))?;
                question = Some(name);
            }
            "csrf_token" if with_csrf => {
                let mut text = Vec::new();
                while let Some(chunk) = field.next().await {
                    text.extend_from_slice(&chunk.map_err(malformed)?);
                    if text.len() > 256 {
                        return Err(malformed("the form token is too long"));
                    }
                }
                csrf_token = Some(String::from_utf8_lossy(&text).into_owned());
            }
            other => {
                return Err(malformed(format!(
                    "the part `{}` is not one this upload takes (file, question)",
                    other.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    let Some((file, bytes, hash)) = received else {
        return Err(AppError::field(
            "file",
            "choose a photo or a recording to send",
        ));
    };
    Ok(Received {
        file,
        bytes,
        hash,
        question,
        csrf_token,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// `web` (the default: longest side 2,000 px), `thumb` (320 px) or `original` (a
    /// recording as sent, or a photo's original where its project keeps them).
    pub size: Option<String>,
}

/// A byte range asked for (`bytes=0-1`, `bytes=500-`, `bytes=-500`), within `size` bytes:
/// Ok(None) for the whole object (no range, or one this server ignores as RFC 9110 allows: an
/// unknown unit, several ranges, a malformed one), Err for one outside the object.
fn range_of(value: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let number = |t: &str| t.parse::<u64>().ok();
    let (start, end) = match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => return Ok(None),
            Some(0) => return Err(()),
            Some(_) if size == 0 => return Err(()),
            Some(n) => (size.saturating_sub(n), size - 1),
        },
        (from, "") => match number(from) {
            None => return Ok(None),
            Some(_) if size == 0 => return Err(()),
            Some(a) => (a, size - 1),
        },
        (from, to) => match (number(from), number(to)) {
            (Some(a), Some(b)) if a <= b => {
                if size == 0 {
                    return Err(());
                }
                (a, b.min(size - 1))
            }
            _ => return Ok(None),
        },
    };
    if start > end || start >= size {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// A file of a report: its shopper's, staff's (each read an access record), or a client
/// reviewer's when the report is released to their client (photos as web copies and
/// thumbnails; another file is 404). Streamed, with
/// `Range` (206 with `Content-Range`; 416 out of bounds), never cached, never sniffed; the web
/// copy and thumbnail inline, a recording as an attachment.
#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media",
    params(("id" = i64, Path, description = "The file's id"), SizeQuery),
    responses((status = 200, description = "The file (a photo's copies are JPEG)", content_type = "image/jpeg"),
        (status = 206, description = "The range asked for", content_type = "image/jpeg"),
        (status = 416, description = "A range outside the file", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn fetch(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<SizeQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[
        Role::Shopper,
        Role::Scheduler,
        Role::Qa,
        Role::Admin,
        Role::ClientReviewer,
    ])?;
    let size = Size::asked(query.size.as_deref())?;
    serve(&req, &state, user, path.into_inner(), size).await
}

/// File `id` in `size`, for `user` (see [`fetch`]): streamed, with byte ranges. Pages use it
/// too.
pub async fn serve(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    id: i64,
    size: Size,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let (_, key, content_type) = state
        .db
        .run(move |conn| service::object_for(conn, &user, id, size, now))
        .await?;
    let storage_error = |e: crate::storage::StorageError| match e {
        crate::storage::StorageError::NotFound => {
            AppError::internal(anyhow::anyhow!("media {id}: its object is missing"))
        }
        other => AppError::internal(anyhow::anyhow!("media {id}: {other}")),
    };
    let total = state
        .storage
        .size(&key)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("media {id}: its object is missing")))?;
    let asked = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let range = match range_of(asked, total) {
        Ok(r) => r,
        Err(()) => {
            use actix_web::ResponseError;
            let mut answer = AppError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("The file has {total} bytes; ask for a range within them."),
            )
            .error_response();
            if let Ok(value) = header::HeaderValue::from_str(&format!("bytes */{total}")) {
                answer.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(answer);
        }
    };
    let stream = state
        .storage
        .get(&key, range)
        .await
        .map_err(storage_error)?
        .map(|chunk| chunk.map_err(actix_web::error::ErrorInternalServerError));
    let disposition = match size {
        Size::Original => "attachment",
        _ => "inline",
    };
    let mut response = match range {
        Some((start, end)) => {
            let mut r = HttpResponse::PartialContent();
            r.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{total}"),
            ));
            r.no_chunking(end - start + 1);
            r
        }
        None => {
            let mut r = HttpResponse::Ok();
            r.no_chunking(total);
            r
        }
    };
    Ok(response
        .content_type(content_type)
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .streaming(stream))
}

/// Removes a file before the report is handed in (its shopper only).
#[utoipa::path(delete, path = "/api/v1/media/{id}", tag = "media",
    params(("id" = i64, Path, description = "The file's id")),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "The report was handed in", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn remove(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    service::remove(&state.db, &state.storage, &user, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What the resumable upload needs of the service.
pub fn upload_ctx(state: &AppState) -> tus::Ctx<'_> {
    tus::Ctx {
        db: &state.db,
        storage: &state.storage,
        data_dir: &state.settings.data_dir,
        limits: state.settings.media,
        now: state.clock.naive(),
    }
}

/// What this server takes: `Tus-Version`, `Tus-Extension`, `Tus-Max-Size`.
#[utoipa::path(options, path = "/api/v1/assignments/{id}/uploads", tag = "media",
    params(("id" = i64, Path, description = "The assignment's id")),
    responses((status = 204, description = "Tus-Version, Tus-Extension and Tus-Max-Size headers"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_options(
    state: web::Data<AppState>,
    _user: CurrentUser,
    _path: web::Path<AssignmentId>,
) -> HttpResponse {
    tus::answer(Ok(HttpResponse::NoContent()
        .insert_header(("Tus-Version", tus::VERSION))
        .insert_header(("Tus-Extension", "creation,termination"))
        .insert_header((
            "Tus-Max-Size",
            tus::max_bytes(state.settings.media).to_string(),
        ))
        .finish()))
}

/// Creates a resumable upload of a file for assignment `id` (its shopper, while the report
/// is open): `Upload-Length` (bytes), `Upload-Metadata` (optionally `question`, base64), and
/// `Tus-Resumable: 1.0.0`. Answers 201 with the upload's address in `Location`.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/uploads", tag = "media",
    params(("id" = i64, Path, description = "The assignment's id"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "`question` and its name in base64")),
    responses((status = 201, description = "Created: Location names the upload"),
        (status = 400, description = "Upload-Length or Upload-Metadata cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report is handed in or past its deadline", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Another protocol version", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "An empty file", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The question named is not a question's name", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_create(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<AssignmentId>,
    req: HttpRequest,
) -> HttpResponse {
    tus::answer(
        tus::create_upload(
            &upload_ctx(&state),
            &user,
            path.into_inner(),
            &req,
            "/api/v1/uploads",
        )
        .await,
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UploadPath {
    /// The upload's id, from the `Location` its creation answered.
    pub id: String,
}

/// How many bytes of the upload have arrived (`Upload-Offset`), and its `Upload-Length`; a
/// finished upload also names its file (`Incognito-Media-Id`). Asked with `HEAD` (tus) or
/// `GET`; the body is empty.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "media",
    params(UploadPath, ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses((status = 200, description = "Upload-Offset and Upload-Length headers"),
        (status = 404, description = "No such upload of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Another protocol version", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_offset(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UploadPath>,
    req: HttpRequest,
) -> HttpResponse {
    tus::answer(tus::head_upload(&upload_ctx(&state), &user, &path.id, &req).await)
}

/// Appends bytes at `Upload-Offset` (which must be the bytes already received: 409
/// otherwise), as `application/offset+octet-stream`. The answer's `Upload-Offset` is where the
/// next part starts; when the last byte is in, the file is checked and stored, and
/// `Incognito-Media-Id` names it (a file refused then is answered 4xx in the shopper's words,
/// and the upload is gone).
#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "media",
    params(UploadPath, ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "Bytes already received")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "Upload-Offset: the bytes received"),
        (status = 400, description = "Upload-Offset missing, or more bytes than Upload-Length", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Upload-Offset is not the bytes received, or the report is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Another protocol version", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than its kind's limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/offset+octet-stream, or not a file a report takes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be read, is too long, or does not fit its question", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "Another request is appending to this upload", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_append(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UploadPath>,
    req: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    tus::answer(tus::append_bytes(&upload_ctx(&state), &user, &path.id, &req, body).await)
}

/// Gives an upload up: its bytes and record go.
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "media",
    params(UploadPath, ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses((status = 204, description = "Given up"),
        (status = 404, description = "No such upload of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Another protocol version", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "Another request is appending to this upload", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UploadPath>,
    req: HttpRequest,
) -> HttpResponse {
    tus::answer(tus::cancel_upload(&upload_ctx(&state), &user, &path.id, &req).await)
}

#[cfg(test)]
mod tests {
    use super::range_of;

    #[test]
    fn ranges_are_read_as_browsers_send_them() {
        assert_eq!(range_of(None, 100), Ok(None));
        assert_eq!(range_of(Some("bytes=0-1"), 100), Ok(Some((0, 1))));
        assert_eq!(range_of(Some("bytes=90-"), 100), Ok(Some((90, 99))));
        assert_eq!(range_of(Some("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(range_of(Some("bytes=50-500"), 100), Ok(Some((50, 99))));
        for outside in ["bytes=100-", "bytes=-0", "bytes=200-300"] {
            assert_eq!(range_of(Some(outside), 100), Err(()), "{outside}");
        }
        // What a server may ignore is answered whole (200), not refused.
        for ignored in [
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=x-",
            "bytes=5-2",
            "bytes=7",
        ] {
            assert_eq!(range_of(Some(ignored), 100), Ok(None), "{ignored}");
        }
    }
}
