//! Resumable uploads in the tus 1.0 protocol (core and creation, with termination), for long
//! recordings on phones that lose their connection: `POST /api/v1/assignments/{id}/uploads`
//! with `Upload-Length` creates an upload and answers its address (`/api/v1/uploads/{id}`);
//! `HEAD` tells how many bytes arrived (`Upload-Offset`); `PATCH` with those bytes' offset
//! appends more; `DELETE` gives it up. The bytes go to a file in the data directory as they
//! arrive (memory does not grow with the file); once the last byte is in, the file is checked
//! and stored as a multipart upload would be, and the answer carries its media id
//! (`Incognito-Media-Id`). A part-sent upload is kept a day.
//!
//! Uploads in progress live on the server that took them: behind several servers, a proxy
//! sends an upload's requests to the same one (its address names it).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::service::{self, Incoming};
use super::sniff;
use crate::auth::{CurrentUser, Role};
use crate::config::MediaLimits;
use crate::db::DbPool;
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, UserId};
use crate::storage::Storage;

/// The protocol version spoken.
pub const VERSION: &str = "1.0.0";
/// How long an upload not finished is kept.
pub const KEPT_HOURS: i64 = 24;

/// What an upload's requests need of the service.
pub struct Ctx<'a> {
    pub db: &'a DbPool,
    pub storage: &'a Storage,
    pub data_dir: &'a Path,
    pub limits: MediaLimits,
    pub now: NaiveDateTime,
}

/// An upload as kept beside its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub assignment_id: AssignmentId,
    pub user_id: UserId,
    pub length: u64,
    pub question: Option<String>,
    pub created_at: NaiveDateTime,
    /// The stored file, once the upload is complete and checked.
    pub media_id: Option<i64>,
}

/// Where uploads in progress are kept.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("uploads")
}

fn is_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn paths(data_dir: &Path, id: &str) -> (PathBuf, PathBuf) {
    let dir = folder(data_dir);
    (
        dir.join(format!("{id}.part")),
        dir.join(format!("{id}.json")),
    )
}

/// Uploads being appended to right now (one request at a time each).
static BUSY: std::sync::LazyLock<Mutex<HashSet<String>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashSet::new()));

struct Busy(String);

impl Busy {
    fn take(id: &str) -> Option<Busy> {
        let mut busy = BUSY.lock().unwrap_or_else(|p| p.into_inner());
        busy.insert(id.to_owned()).then(|| Busy(id.to_owned()))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

/// Every answer carries `Tus-Resumable`, problems included.
pub(crate) fn answer(result: AppResult<HttpResponse>) -> HttpResponse {
    let mut response = result.unwrap_or_else(|e| e.error_response());
    response.headers_mut().insert(
        header::HeaderName::from_static("tus-resumable"),
        header::HeaderValue::from_static(VERSION),
    );
    response
}

fn header_of<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A request must speak our version of the protocol (412 otherwise, naming it).
fn check_version(req: &HttpRequest) -> AppResult<()> {
    match header_of(req, "tus-resumable") {
        Some(VERSION) => Ok(()),
        _ => Err(AppError::new(
            StatusCode::PRECONDITION_FAILED,
            "tus_version",
            "This address speaks the tus resumable upload protocol 1.0.0: send the header Tus-Resumable: 1.0.0.",
        )),
    }
}

pub fn max_bytes(limits: MediaLimits) -> u64 {
    limits.recording_bytes.max(limits.photo_bytes)
}

fn too_large(bytes: u64, max: u64) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "This file is {} MB; the limit is {} MB. Record in a lower quality, or split the visit into two recordings.",
            super::photo::mb(bytes),
            super::photo::mb(max)
        ),
    )
}

/// `Upload-Metadata`: comma-separated pairs of a key and a base64 value. Only `question` is
/// kept; a file's name is never stored (it may name a person or a place).
fn question_of(metadata: Option<&str>) -> AppResult<Option<String>> {
    let Some(metadata) = metadata.filter(|m| !m.trim().is_empty()) else {
        return Ok(None);
    };
    if metadata.len() > 4096 {
        return Err(AppError::bad_request(
            "malformed_upload",
            "Upload-Metadata is longer than 4 KB.",
        ));
    }
    let mut question = None;
    for pair in metadata.split(',') {
        let mut words = pair.trim().splitn(2, ' ');
        let key = words.next().unwrap_or_default();
        let value = words.next().unwrap_or_default().trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| {
                AppError::bad_request(
                    "malformed_upload",
                    format!(
                        "Upload-Metadata: the value of `{}` is not base64.",
                        key.chars().take(40).collect::<String>()
                    ),
                )
            })?;
        if key == "question" {
            let name = String::from_utf8(decoded)
                .ok()
                .filter(|n| crate::reports::expr::is_name(n))
                .ok_or_else(|| AppError::field("question", "is not a question's name"))?;
            question = Some(name);
        }
    }
    Ok(question)
}

/// Creates an upload; its address is `prefix/{upload}` (the API's, or the report page's).
pub(crate) async fn create_upload(
    ctx: &Ctx<'_>,
    user: &CurrentUser,
    id: AssignmentId,
    req: &HttpRequest,
    prefix: &str,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    // Whose assignment it is comes first: another's is not found, whatever the headers.
    let (who, now) = (user.clone(), ctx.now);
    ctx.db
        .run(move |conn| {
            service::check_sender(conn, &who, id)?;
            crate::reports::service::check_file(conn, id, None, false, now)
        })
        .await?;
    check_version(req)?;
    let length: u64 = match header_of(req, "upload-length") {
        Some(v) => v.trim().parse().map_err(|_| {
            AppError::bad_request(
                "malformed_upload",
                "Upload-Length must be the file's size in bytes.",
            )
        })?,
        None => {
            return Err(AppError::bad_request(
                "malformed_upload",
                "Upload-Length is missing: send the file's size in bytes (a length given later is not taken).",
            ));
        }
    };
    let max = max_bytes(ctx.limits);
    if length > max {
        return Err(too_large(length, max));
    }
    if length == 0 {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file",
            sniff::Unknown::Empty.words(),
        ));
    }
    let question = question_of(header_of(req, "upload-metadata"))?;
    let upload = crate::storage::new_key("u")
        .trim_start_matches("u/")
        .to_owned();
    let (part, meta) = paths(ctx.data_dir, &upload);
    let pending = Pending {
        assignment_id: id,
        user_id: user.id,
        length,
        question,
        created_at: now,
        media_id: None,
    };
    let failed = |e: std::io::Error| AppError::internal(anyhow::anyhow!("upload folder: {e}"));
    tokio::fs::create_dir_all(folder(ctx.data_dir))
        .await
        .map_err(failed)?;
    tokio::fs::File::create(&part).await.map_err(failed)?;
    write_pending(&meta, &pending).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{prefix}/{upload}")))
        .finish())
}

async fn write_pending(meta: &Path, pending: &Pending) -> AppResult<()> {
    let json = serde_json::to_vec(pending)
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload record: {e}")))?;
    // Written whole or not at all: a crash leaves the old record.
    let temporary = meta.with_extension("json.new");
    tokio::fs::write(&temporary, json)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload record: {e}")))?;
    tokio::fs::rename(&temporary, meta)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload record: {e}")))
}

/// The upload `upload` of `user`, and its bytes so far. Another's, or an unknown one, is not
/// found.
async fn find(
    data_dir: &Path,
    user: &CurrentUser,
    upload: &str,
) -> AppResult<(Pending, u64, PathBuf, PathBuf)> {
    user.require(&[Role::Shopper])?;
    let gone = || AppError::not_found("No upload has this address; start the upload again.");
    if !is_upload_id(upload) {
        return Err(gone());
    }
    let (part, meta) = paths(data_dir, upload);
    let text = tokio::fs::read(&meta).await.map_err(|_| gone())?;
    let pending: Pending = serde_json::from_slice(&text)
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload record {upload}: {e}")))?;
    if pending.user_id != user.id {
        return Err(gone());
    }
    let offset = match tokio::fs::metadata(&part).await {
        Ok(m) => m.len(),
        // A finished upload keeps its record (with the media id) a while, not its bytes.
        Err(_) if pending.media_id.is_some() => pending.length,
        Err(_) => return Err(gone()),
    };
    Ok((pending, offset, part, meta))
}

fn with_offsets(
    mut builder: actix_web::HttpResponseBuilder,
    pending: &Pending,
    offset: u64,
) -> HttpResponse {
    builder
        .insert_header(("Upload-Offset", offset.to_string()))
        .insert_header(("Upload-Length", pending.length.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(id) = pending.media_id {
        builder.insert_header(("Incognito-Media-Id", id.to_string()));
    }
    builder.finish()
}

/// Where upload `upload` stands.
pub(crate) async fn head_upload(
    ctx: &Ctx<'_>,
    user: &CurrentUser,
    upload: &str,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    let (pending, offset, _, _) = find(ctx.data_dir, user, upload).await?;
    check_version(req)?;
    Ok(with_offsets(HttpResponse::Ok(), &pending, offset))
}

pub(crate) async fn append_bytes(
    ctx: &Ctx<'_>,
    user: &CurrentUser,
    upload: &str,
    req: &HttpRequest,
    mut body: web::Payload,
) -> AppResult<HttpResponse> {
    let data_dir = ctx.data_dir;
    let (mut pending, offset, part, meta) = find(data_dir, user, upload).await?;
    check_version(req)?;
    if header_of(req, "content-type").map(|t| t.split(';').next().unwrap_or("").trim())
        != Some("application/offset+octet-stream")
    {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "malformed_upload",
            "A part of an upload is sent as Content-Type: application/offset+octet-stream.",
        ));
    }
    let claimed: u64 = header_of(req, "upload-offset")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            AppError::bad_request(
                "malformed_upload",
                "Upload-Offset is missing: send the number of bytes already received (HEAD tells).",
            )
        })?;
    let _busy = Busy::take(upload).ok_or_else(|| {
        AppError::new(
            StatusCode::LOCKED,
            "upload_busy",
            "Another request is sending this upload right now; ask HEAD where it stands and go on from there.",
        )
    })?;
    if pending.media_id.is_some() {
        return Ok(with_offsets(HttpResponse::NoContent(), &pending, offset));
    }
    if claimed != offset {
        return Err(AppError::conflict(
            "upload_offset_mismatch",
            format!(
                "This upload has {offset} bytes, not {claimed}: go on from byte {offset} (HEAD tells)."
            ),
        ));
    }
    let (who, id) = (user.clone(), pending.assignment_id);
    ctx.db
        .run(move |conn| service::check_sender(conn, &who, id))
        .await?;
    let limits = ctx.limits;
    let failed = |e: std::io::Error| AppError::internal(anyhow::anyhow!("upload file: {e}"));
    // Written in blocks of 1 MB (each write of a file is a trip to a blocking thread); what a
    // broken connection left in the buffer is written before the answer.
    let mut out = tokio::io::BufWriter::with_capacity(
        1 << 20,
        tokio::fs::OpenOptions::new()
            .append(true)
            .open(&part)
            .await
            .map_err(failed)?,
    );
    let mut head = if offset > 0 {
        read_head(&part).await?
    } else {
        Vec::new()
    };
    let mut received = offset;
    let mut refusal = None;
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            // The connection broke: what arrived stays, and the phone goes on from there.
            break;
        };
        if received + chunk.len() as u64 > pending.length {
            refusal = Some(AppError::bad_request(
                "malformed_upload",
                format!(
                    "This part goes past the {} bytes the upload was created with.",
                    pending.length
                ),
            ));
            break;
        }
        if head.len() < sniff::SNIFF_BYTES {
            let wanted = sniff::SNIFF_BYTES - head.len();
            head.extend_from_slice(&chunk[..wanted.min(chunk.len())]);
        }
        out.write_all(&chunk).await.map_err(failed)?;
        received += chunk.len() as u64;
        if head.len() >= sniff::SNIFF_BYTES.min(pending.length as usize)
            && let Some(e) = refused_by_head(&head, pending.length, limits)
        {
            refusal = Some(e);
            break;
        }
    }
    out.flush().await.map_err(failed)?;
    drop(out);
    if let Some(e) = refusal {
        if e.status != StatusCode::BAD_REQUEST {
            // A file we will never take: nothing of it stays.
            forget(&part, &meta).await;
        } else {
            // Too many bytes: what was within the length stays, the rest is cut.
            truncate(&part, received).await?;
        }
        return Err(e);
    }
    if received < pending.length {
        return Ok(with_offsets(HttpResponse::NoContent(), &pending, received));
    }
    // The last byte is in: the file is checked and stored as any upload.
    let hash = hash_file(&part).await?;
    let incoming = Incoming {
        path: part.clone(),
        bytes: received,
        hash,
        question: pending.question.clone(),
    };
    let scratch = data_dir.join("tmp");
    tokio::fs::create_dir_all(&scratch).await.map_err(failed)?;
    match service::store_upload(
        ctx.db,
        ctx.storage,
        user,
        pending.assignment_id,
        incoming,
        limits,
        &scratch,
        ctx.now,
    )
    .await
    {
        Ok((view, _)) => {
            pending.media_id = Some(view.id);
            write_pending(&meta, &pending).await?;
            let _ = tokio::fs::remove_file(&part).await;
            Ok(with_offsets(HttpResponse::NoContent(), &pending, received))
        }
        Err(e) if e.status.is_client_error() => {
            forget(&part, &meta).await;
            Err(e)
        }
        // The service's fault: the bytes stay, and a PATCH of nothing at the end tries again.
        Err(e) => Err(e),
    }
}

/// A file refused by its first bytes: a kind we do not take, or past its kind's limit.
fn refused_by_head(head: &[u8], length: u64, limits: MediaLimits) -> Option<AppError> {
    match sniff::sniff(head) {
        Err(unknown) => Some(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file",
            unknown.words(),
        )),
        Ok(kind) if kind.is_image() && length > limits.photo_bytes => Some(
            super::routes::refused_early(head, length, limits)
                .unwrap_or_else(|| too_large(length, limits.photo_bytes)),
        ),
        Ok(kind) if !kind.is_image() && length > limits.recording_bytes => {
            Some(too_large(length, limits.recording_bytes))
        }
        Ok(_) => None,
    }
}

async fn read_head(part: &Path) -> AppResult<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::with_capacity(sniff::SNIFF_BYTES);
    let file = tokio::fs::File::open(part)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload file: {e}")))?;
    file.take(sniff::SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload file: {e}")))?;
    Ok(head)
}

async fn truncate(part: &Path, length: u64) -> AppResult<()> {
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(part)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload file: {e}")))?;
    file.set_len(length)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload file: {e}")))
}

/// SHA-256 of the whole file, read in blocks.
async fn hash_file(part: &Path) -> AppResult<String> {
    let path = part.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let mut hash = Sha256::new();
        let mut block = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut block)?;
            if n == 0 {
                break;
            }
            hash.update(&block[..n]);
        }
        Ok(crate::keys::hex(&hash.finalize()))
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("hashing stopped: {e}")))?
    .map_err(|e| AppError::internal(anyhow::anyhow!("upload file: {e}")))
}

async fn forget(part: &Path, meta: &Path) {
    let _ = tokio::fs::remove_file(part).await;
    let _ = tokio::fs::remove_file(meta).await;
}

/// Gives upload `upload` up.
pub(crate) async fn cancel_upload(
    ctx: &Ctx<'_>,
    user: &CurrentUser,
    upload: &str,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    let (_, _, part, meta) = find(ctx.data_dir, user, upload).await?;
    check_version(req)?;
    let _busy = Busy::take(upload).ok_or_else(|| {
        AppError::new(
            StatusCode::LOCKED,
            "upload_busy",
            "Another request is sending this upload right now; try again when it ends.",
        )
    })?;
    forget(&part, &meta).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes uploads started more than [`KEPT_HOURS`] ago (finished or not): (removed).
/// Removes every upload in progress of `user` (their data is being deleted): how many.
pub async fn forget_person(data_dir: &Path, user: UserId) -> usize {
    let dir = folder(data_dir);
    let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
            .filter(|id| is_upload_id(id))
            .map(str::to_owned)
        else {
            continue;
        };
        let theirs = tokio::fs::read(&path)
            .await
            .ok()
            .and_then(|text| serde_json::from_slice::<Pending>(&text).ok())
            .is_some_and(|p| p.user_id == user);
        if theirs {
            let (part, meta) = paths(data_dir, &id);
            forget(&part, &meta).await;
            removed += 1;
        }
    }
    removed
}

pub async fn sweep(data_dir: &Path, now: NaiveDateTime) -> usize {
    let dir = folder(data_dir);
    let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
            .filter(|id| is_upload_id(id))
            .map(str::to_owned)
        else {
            continue;
        };
        let old = match tokio::fs::read(&path).await {
            Ok(text) => serde_json::from_slice::<Pending>(&text)
                .map(|p| now - p.created_at > chrono::Duration::hours(KEPT_HOURS))
                .unwrap_or(true),
            Err(_) => false,
        };
        if old && let Some(_busy) = Busy::take(&id) {
            let (part, meta) = paths(data_dir, &id);
            forget(&part, &meta).await;
            removed += 1;
        }
    }
    removed
}
