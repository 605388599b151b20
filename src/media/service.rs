//! Decisions about an assignment's files: who may send, see and remove them, and the order in
//! which an upload becomes objects and a row: every object is written before the row commits,
//! so no row ever names a missing object, and a file refused at any step leaves nothing behind.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::audio::{self, RecordingLimits};
use super::photo::{self, PhotoLimits};
use super::sniff::{self, Kind};
use super::store::{self, MediaRow, NewMedia};
use crate::assignments::model::State;
use crate::assignments::store as assignments;
use crate::auth::{CurrentUser, Role};
use crate::config::MediaLimits;
use crate::db::{DbConnection, DbPool, write_transaction};
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, ShopperId};
use crate::privacy::access;
use crate::privacy::inventory::Category;
use crate::storage::{Storage, new_key};

/// Photos decoded at once: one per core.
static PHOTO_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// A file as it arrived: written to a scratch file while its hash was computed.
pub struct Incoming {
    pub path: PathBuf,
    pub bytes: u64,
    /// SHA-256 of the content, hex.
    pub hash: String,
    /// The media question it answers, if the page said.
    pub question: Option<String>,
}

/// A stored file, as its shopper and staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MediaView {
    pub id: i64,
    pub assignment_id: AssignmentId,
    pub question: Option<String>,
    /// `jpeg`, `png`, `webp` (stored as a JPEG web copy and thumbnail), or a recording's kind.
    pub kind: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    /// When the photo says it was taken (from its EXIF, the camera's local time).
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub taken_at: Option<NaiveDateTime>,
    /// Whether the photo carried a position (kept for proof of visit; never sent to a client).
    pub has_position: bool,
    /// Where to fetch it: `web` and `thumb` for a photo (and `original` where its project keeps
    /// originals), `original` for a recording.
    pub links: Vec<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
}

impl MediaView {
    fn of(row: &MediaRow) -> Self {
        let mut links = Vec::new();
        if row.web_key.is_some() {
            links.push(format!("/api/v1/media/{}?size=web", row.id));
        }
        if row.thumb_key.is_some() {
            links.push(format!("/api/v1/media/{}?size=thumb", row.id));
        }
        if row.original_key.is_some() {
            links.push(format!("/api/v1/media/{}?size=original", row.id));
        }
        Self {
            id: row.id,
            assignment_id: row.assignment_id,
            question: row.question.clone(),
            kind: row.kind.clone(),
            bytes: row.bytes,
            width: row.width,
            height: row.height,
            duration_ms: row.duration_ms,
            taken_at: row.taken_at,
            has_position: row.latitude.is_some(),
            links,
            created_at: row.created_at,
        }
    }
}

/// Whether `user` may add or remove files of assignment `id`: its shopper, while the report is
/// not handed in. Another shopper's assignment is not found.
pub fn check_sender(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
) -> AppResult<()> {
    let row = assignments::find(conn, id)?
        .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    if user.role != Role::Shopper {
        return Err(AppError::forbidden(
            "forbidden",
            "Only the assignment's shopper sends its files.",
        ));
    }
    if row.shopper_id != ShopperId::from(user.id) {
        return Err(AppError::not_found("No assignment has this id."));
    }
    match row.state() {
        State::Accepted | State::Visited => Ok(()),
        // Sent back by QA: the shopper fixes it, files too, until the revision is due.
        State::Submitted if crate::reports::review::revision_due(conn, id)?.is_some() => Ok(()),
        State::Submitted => Err(AppError::conflict(
            "report_closed",
            "This report was handed in already: its files cannot change.",
        )),
        other => Err(AppError::conflict(
            "report_closed",
            format!(
                "The assignment is {}: there is no report to add files to.",
                other.words()
            ),
        )),
    }
}

/// A file that is not taken, in the shopper's words: 415 for a kind we do not take, 413 for
/// one too large, 422 for one we cannot read.
fn refused(status: u16, code: &'static str, words: impl Into<String>) -> AppError {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY);
    AppError::new(status, code, words)
}

/// Stores an uploaded file of assignment `id`: sniffed, held to the limits, a photo processed
/// (its web copy and thumbnail written, its original kept without metadata only where the
/// project asks), then the row. The same
/// content sent again is the file stored before: (view, created).
#[allow(clippy::too_many_arguments)]
pub async fn store_upload(
    db: &DbPool,
    storage: &Storage,
    user: &CurrentUser,
    id: AssignmentId,
    incoming: Incoming,
    limits: MediaLimits,
    scratch: &Path,
    now: NaiveDateTime,
) -> AppResult<(MediaView, bool)> {
    let head = read_head(&incoming.path)?;
    let kind = sniff::sniff(&head).map_err(|u| refused(415, "unsupported_file", u.words()))?;
    let (who, hash, question) = (
        user.clone(),
        incoming.hash.clone(),
        incoming.question.clone(),
    );
    let (known, keep_original) = db
        .run(move |conn| {
            check_sender(conn, &who, id)?;
            // The same file again is the one stored before, whatever else changed since.
            if let Some(row) = store::by_hash(conn, id, &hash)? {
                return Ok((Some(row), false));
            }
            crate::reports::service::check_file(
                conn,
                id,
                question.as_deref(),
                kind.is_image(),
                now,
            )?;
            Ok((None, keeps_originals(conn, id)?))
        })
        .await?;
    if let Some(row) = known {
        return Ok((MediaView::of(&row), false));
    }
    let prepared = if kind.is_image() {
        prepare_photo(&incoming.path, kind, limits, keep_original).await?
    } else {
        prepare_recording(&incoming.path, kind, incoming.bytes, limits).await?
    };
    // The objects first; the row names them only once they exist.
    let keys: Vec<String> = prepared.objects.iter().map(|_| new_key("media")).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    if let Err(e) = write_objects(storage, scratch, &keys, &prepared.objects).await {
        forget(storage, &key_refs).await;
        return Err(e);
    }
    crash_point("media_after_objects");
    let (who, question, hash) = (
        user.clone(),
        incoming.question.clone(),
        incoming.hash.clone(),
    );
    let named = keys.clone();
    let is_image = kind.is_image();
    let outcome = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                check_sender(conn, &who, id)?;
                // Two tabs sending the same file at once: the first one's row stands.
                if let Some(row) = store::by_hash(conn, id, &hash)? {
                    return Ok((row, false));
                }
                // Two different files at once for a question with room for one: one is refused.
                crate::reports::service::check_file(conn, id, question.as_deref(), is_image, now)?;
                let key_of = |role: ObjectRole| {
                    prepared
                        .objects
                        .iter()
                        .position(|o| o.role == role)
                        .map(|i| named[i].as_str())
                };
                let new = NewMedia {
                    assignment_id: id,
                    question: question.as_deref(),
                    kind: kind_name(kind),
                    content_hash: &hash,
                    web_key: key_of(ObjectRole::Web),
                    thumb_key: key_of(ObjectRole::Thumb),
                    original_key: key_of(ObjectRole::Original),
                    bytes: prepared.bytes,
                    width: prepared.width,
                    height: prepared.height,
                    duration_ms: prepared.duration_ms,
                    taken_at: prepared.taken_at,
                    latitude: prepared.position.map(|p| p.0),
                    longitude: prepared.position.map(|p| p.1),
                    perceptual_hash: prepared.perceptual_hash.as_deref(),
                };
                let media_id = store::insert(conn, &new, now)?;
                let row = store::find(conn, media_id)?
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("media row vanished")))?;
                Ok((row, true))
            })
        })
        .await;
    match outcome {
        Ok((row, created)) => {
            if !created {
                forget(storage, &key_refs).await;
            }
            Ok((MediaView::of(&row), created))
        }
        Err(e) => {
            forget(storage, &key_refs).await;
            Err(e)
        }
    }
}

/// Whether the project of assignment `id` keeps photos' originals.
fn keeps_originals(conn: &mut DbConnection, id: AssignmentId) -> AppResult<bool> {
    let assignment = crate::assignments::store::find(conn, id)?
        .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    let job = crate::clients::store::find_job(conn, assignment.job_id)?;
    Ok(crate::clients::store::find_project(conn, job.project_id)?.keep_photo_originals)
}

/// For the crash test: with `INCOGNITO_FAILPOINT` set to `name`, the process stops dead here,
/// as a power cut would (no unwinding, no clean-up).
fn crash_point(name: &str) {
    if std::env::var("INCOGNITO_FAILPOINT").is_ok_and(|v| v == name) {
        tracing::error!(failpoint = name, "stopping dead at a failpoint");
        std::process::abort();
    }
}

/// Which copy an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectRole {
    Web,
    Thumb,
    Original,
}

/// What an object is written from: bytes made here, or the file as it arrived.
enum Payload {
    Bytes(Vec<u8>),
    File(PathBuf),
}

struct Object {
    role: ObjectRole,
    payload: Payload,
    content_type: &'static str,
}

/// A file made ready to store: its objects and what its row says.
struct Prepared {
    objects: Vec<Object>,
    bytes: i64,
    width: Option<i32>,
    height: Option<i32>,
    duration_ms: Option<i64>,
    taken_at: Option<NaiveDateTime>,
    position: Option<(f64, f64)>,
    perceptual_hash: Option<String>,
}

/// A photo: its web copy and thumbnail, and its original without metadata when the project
/// keeps originals (`keep_original`); read one per core at a time.
async fn prepare_photo(
    path: &Path,
    kind: Kind,
    limits: MediaLimits,
    keep_original: bool,
) -> AppResult<Prepared> {
    let path = path.to_path_buf();
    let limits_of_photo = PhotoLimits {
        max_bytes: limits.photo_bytes,
        max_pixels: limits.photo_pixels,
    };
    // One photo decoded per core at a time: each may take hundreds of MB at the pixel limit.
    let _slot = PHOTO_SLOTS
        .acquire()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("photo slots closed: {e}")))?;
    let processed = tokio::task::spawn_blocking(move || {
        let processed = photo::process(&path, kind, limits_of_photo)?;
        let original = if keep_original {
            let sent =
                std::fs::read(&path).map_err(|e| photo::PhotoError::Failed(e.to_string()))?;
            Some(
                super::strip::strip(kind, &sent, processed.orientation)
                    .map_err(|_| photo::PhotoError::Unreadable)?,
            )
        } else {
            None
        };
        Ok((processed, original))
    })
    .await
    .map_err(|e| AppError::internal(anyhow::anyhow!("photo processing stopped: {e}")))?
    .map_err(|e: photo::PhotoError| match &e {
        photo::PhotoError::TooLarge { .. } => refused(413, "file_too_large", e.words()),
        photo::PhotoError::TooManyPixels { .. } => refused(422, "file_too_large", e.words()),
        photo::PhotoError::Unreadable | photo::PhotoError::Appended => {
            refused(422, "unreadable_file", e.words())
        }
        photo::PhotoError::Failed(cause) => {
            AppError::internal(anyhow::anyhow!("photo processing failed: {cause}"))
        }
    })?;
    let (processed, original) = processed;
    let web_bytes = processed.web.len();
    let mut objects = vec![
        Object {
            role: ObjectRole::Web,
            payload: Payload::Bytes(processed.web),
            content_type: "image/jpeg",
        },
        Object {
            role: ObjectRole::Thumb,
            payload: Payload::Bytes(processed.thumb),
            content_type: "image/jpeg",
        },
    ];
    if let Some(original) = original {
        objects.push(Object {
            role: ObjectRole::Original,
            payload: Payload::Bytes(original),
            content_type: kind.content_type(),
        });
    }
    Ok(Prepared {
        bytes: i64::try_from(web_bytes).unwrap_or(i64::MAX),
        width: i32::try_from(processed.width).ok(),
        height: i32::try_from(processed.height).ok(),
        duration_ms: None,
        taken_at: processed.taken_at,
        position: processed.position,
        perceptual_hash: Some(crate::keys::hex(&processed.perceptual_hash)),
        objects,
    })
}

/// A recording: probed for its length (never decoded), kept as sent.
async fn prepare_recording(
    path: &Path,
    kind: Kind,
    bytes: u64,
    limits: MediaLimits,
) -> AppResult<Prepared> {
    let file = path.to_path_buf();
    let limits_of_recording = RecordingLimits {
        max_bytes: limits.recording_bytes,
        max_seconds: limits.recording_seconds,
    };
    let probed =
        tokio::task::spawn_blocking(move || audio::probe(&file, kind, limits_of_recording))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("recording probe stopped: {e}")))?
            .map_err(|e| match &e {
                audio::AudioError::TooLarge { .. } => refused(413, "file_too_large", e.words()),
                audio::AudioError::TooLong { .. } => refused(422, "recording_too_long", e.words()),
                audio::AudioError::NoAudio | audio::AudioError::Unreadable => {
                    refused(422, "unreadable_file", e.words())
                }
            })?;
    Ok(Prepared {
        bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
        width: None,
        height: None,
        duration_ms: Some(probed.duration_ms),
        taken_at: None,
        position: None,
        perceptual_hash: None,
        objects: vec![Object {
            role: ObjectRole::Original,
            payload: Payload::File(path.to_path_buf()),
            content_type: kind.content_type(),
        }],
    })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Jpeg => "jpeg",
        Kind::Png => "png",
        Kind::Webp => "webp",
        Kind::Mp3 => "mp3",
        Kind::M4a => "m4a",
        Kind::Webm => "webm",
        Kind::Wav => "wav",
        Kind::Ogg => "ogg",
        Kind::Flac => "flac",
    }
}

fn read_head(path: &Path) -> AppResult<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(sniff::SNIFF_BYTES);
    std::fs::File::open(path)
        .and_then(|f| f.take(sniff::SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| AppError::internal(anyhow::anyhow!("upload unreadable: {e}")))?;
    Ok(head)
}

async fn write_objects(
    storage: &Storage,
    scratch: &Path,
    keys: &[String],
    objects: &[Object],
) -> AppResult<()> {
    let failed = |e: &dyn std::fmt::Display| AppError::internal(anyhow::anyhow!("storage: {e}"));
    for (key, object) in keys.iter().zip(objects) {
        match &object.payload {
            Payload::File(path) => storage
                .put_file(key, path, object.content_type)
                .await
                .map(|_| ())
                .map_err(|e| failed(&e))?,
            Payload::Bytes(bytes) => {
                let file = tempfile::NamedTempFile::new_in(scratch).map_err(|e| failed(&e))?;
                std::fs::write(file.path(), bytes).map_err(|e| failed(&e))?;
                storage
                    .put_file(key, file.path(), object.content_type)
                    .await
                    .map(|_| ())
                    .map_err(|e| failed(&e))?;
            }
        }
    }
    Ok(())
}

/// Removes objects no row will name (a refused or duplicate upload); what fails here is left
/// to the sweep.
async fn forget(storage: &Storage, keys: &[&str]) {
    for key in keys {
        if let Err(e) = storage.delete(key).await {
            tracing::warn!(key, error = %e, "an object was left for the sweep");
        }
    }
}

/// Which copy of a file a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Web,
    Thumb,
    Original,
}

impl Size {
    /// `?size=`: `web` (the default), `thumb` or `original`; anything else is named.
    pub fn asked(size: Option<&str>) -> AppResult<Size> {
        match size {
            None | Some("web") => Ok(Size::Web),
            Some("thumb") => Ok(Size::Thumb),
            Some("original") => Ok(Size::Original),
            Some(_) => Err(AppError::field("size", "must be web, thumb or original")),
        }
    }
}

/// The object of file `id` in `size`, for `user`: its shopper, or staff (each staff read is an
/// access record). (row, key, content type).
pub fn object_for(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
    size: Size,
    now: NaiveDateTime,
) -> AppResult<(MediaRow, String, &'static str)> {
    let row = store::find(conn, id)?.ok_or_else(|| AppError::not_found("No file has this id."))?;
    let assignment = assignments::find(conn, row.assignment_id)?
        .ok_or_else(|| AppError::not_found("No file has this id."))?;
    match user.role {
        Role::Shopper if assignment.shopper_id == ShopperId::from(user.id) => {}
        Role::Scheduler | Role::Qa | Role::Admin => {
            access::record(
                conn,
                user.id,
                assignment.shopper_id.into(),
                &[Category::H],
                "GET /api/v1/media/{id} (a file of a shopper's report)",
                now,
            )?;
        }
        Role::Shopper => return Err(AppError::not_found("No file has this id.")),
        // A client reviewer: the files of their own client's released reports, photos as web
        // copies only; anything else is not theirs to know of.
        Role::ClientReviewer => {
            let job = crate::clients::store::find_job(conn, assignment.job_id)?;
            let project = crate::clients::store::find_project(conn, job.project_id)?;
            let released = crate::reports::review::find(conn, assignment.id)?
                .is_some_and(|r| r.review == Some(crate::reports::review::Review::Released));
            let photo_original = row.web_key.is_some() && size == Size::Original;
            if user.client_id != Some(project.client_id) || !released || photo_original {
                return Err(AppError::not_found("No file has this id."));
            }
            access::record(
                conn,
                user.id,
                assignment.shopper_id.into(),
                &[Category::H],
                "a client reviewer opened a file of a released report",
                now,
            )?;
        }
        _ => {
            return Err(AppError::forbidden(
                "forbidden",
                "Your role does not see shoppers' files.",
            ));
        }
    }
    let (key, content_type) = match size {
        Size::Web => (row.web_key.clone(), "image/jpeg"),
        Size::Thumb => (row.thumb_key.clone(), "image/jpeg"),
        Size::Original => (row.original_key.clone(), original_type(&row.kind)),
    };
    let key = key.ok_or_else(|| {
        AppError::not_found(match size {
            Size::Original => "This photo's original was not kept (its project keeps the web copy and thumbnail only); ask for size=web or size=thumb.",
            _ => "A recording has no web copy or thumbnail; ask for size=original.",
        })
    })?;
    Ok((row, key, content_type))
}

/// The type a kept original is served with, by the kind its row names.
fn original_type(kind: &str) -> &'static str {
    const KINDS: [Kind; 9] = [
        Kind::Jpeg,
        Kind::Png,
        Kind::Webp,
        Kind::Mp3,
        Kind::M4a,
        Kind::Webm,
        Kind::Wav,
        Kind::Ogg,
        Kind::Flac,
    ];
    KINDS
        .into_iter()
        .find(|k| kind_name(*k) == kind)
        .map_or("application/octet-stream", Kind::content_type)
}

/// Removes a file before the report is handed in: the row first, then its objects.
pub async fn remove(db: &DbPool, storage: &Storage, user: &CurrentUser, id: i64) -> AppResult<()> {
    let who = user.clone();
    let row = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let row = store::find(conn, id)?
                    .ok_or_else(|| AppError::not_found("No file has this id."))?;
                check_sender(conn, &who, row.assignment_id).map_err(|e| {
                    if e.status == actix_web::http::StatusCode::NOT_FOUND {
                        AppError::not_found("No file has this id.")
                    } else {
                        e
                    }
                })?;
                store::delete(conn, id)?;
                Ok(row)
            })
        })
        .await?;
    let keys: Vec<&str> = row.keys();
    forget(storage, &keys).await;
    Ok(())
}
