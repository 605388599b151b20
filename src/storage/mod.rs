//! Object storage behind one interface: a folder in the data directory (the default), or a
//! bucket of any S3-compatible store (rust-s3, path-style for local servers). Objects are
//! written from a file on disk and read as a stream of chunks, whole or a byte range, so that
//! memory never grows with an object's size. Keys are random and carry no personal data; the
//! database names them, and a sweep removes objects that no row names.

use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use rand::RngCore;

use crate::config::{S3Url, StorageUrl};

/// Bytes read at a time from a folder's file.
const CHUNK: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no object has this key")]
    NotFound,
    #[error("the key `{0}` is not one this storage writes")]
    BadKey(String),
    #[error("storage failed: {0}")]
    Failed(String),
}

fn failed(e: impl std::fmt::Display) -> StorageError {
    StorageError::Failed(e.to_string())
}

/// An object's bytes, a chunk at a time.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>> + Send>>;

/// An object as a listing names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// When the object was written (UTC), where the store says.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Clone)]
pub enum Storage {
    Folder(PathBuf),
    S3(Box<s3::Bucket>),
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Folder(dir) => write!(f, "Storage::Folder({})", dir.display()),
            Storage::S3(bucket) => write!(f, "Storage::S3({})", bucket.name()),
        }
    }
}

/// A new random key under `prefix` (`media/3f9c…`): 128 bits, nothing about the person.
pub fn new_key(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}/{hex}")
}

/// Whether `key` is one this storage writes: lower-case letters, digits, `-`, `_`, `.` in
/// parts separated by `/`, no part empty or a dot-only name. A folder never reads outside
/// itself.
fn checked(key: &str) -> Result<&str, StorageError> {
    let fine = !key.is_empty()
        && key.len() <= 200
        && key.split('/').all(|part| {
            !part.is_empty()
                && !part.chars().all(|c| c == '.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
        });
    if fine {
        Ok(key)
    } else {
        Err(StorageError::BadKey(key.chars().take(60).collect()))
    }
}

fn s3_bucket(url: &S3Url) -> Result<Box<s3::Bucket>, String> {
    let region = s3::Region::Custom {
        region: url.region.clone(),
        endpoint: url.endpoint.clone(),
    };
    let credentials = s3::creds::Credentials::new(
        Some(&url.access_key),
        Some(&url.secret_key),
        None,
        None,
        None,
    )
    .map_err(|e| format!("the S3 credentials are not usable: {e}"))?;
    let bucket = s3::Bucket::new(&url.bucket, region, credentials)
        .map_err(|e| format!("the bucket cannot be reached: {e}"))?;
    Ok(if url.path_style {
        bucket.with_path_style()
    } else {
        bucket
    })
}

impl Storage {
    /// The storage of the setting: a folder is made if missing; a bucket is made if missing
    /// (so a fresh S3 server works at once), and refused with the store's answer otherwise.
    pub async fn connect(url: &StorageUrl) -> Result<Storage, String> {
        match url {
            StorageUrl::Folder(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("cannot make the folder {}: {e}", dir.display()))?;
                Ok(Storage::Folder(dir.clone()))
            }
            StorageUrl::S3(url) => {
                let bucket = s3_bucket(url)?;
                // A listing of one key answers when the bucket exists; otherwise it is made
                // (one that exists already is fine: 409).
                let exists = bucket
                    .list_page(String::new(), None, None, None, Some(1))
                    .await
                    .is_ok_and(|(_, status)| (200..300).contains(&status));
                if !exists {
                    let region = s3::Region::Custom {
                        region: url.region.clone(),
                        endpoint: url.endpoint.clone(),
                    };
                    let credentials = bucket.credentials().await.map_err(|e| e.to_string())?;
                    let config = s3::BucketConfiguration::default();
                    let made = if url.path_style {
                        s3::Bucket::create_with_path_style(&url.bucket, region, credentials, config)
                            .await
                    } else {
                        s3::Bucket::create(&url.bucket, region, credentials, config).await
                    }
                    .map_err(|e| {
                        format!("the bucket {} cannot be reached or made: {e}", url.bucket)
                    })?;
                    if !made.success() && made.response_code != 409 {
                        return Err(format!(
                            "the bucket {} cannot be reached or made: the store answered {} {}",
                            url.bucket, made.response_code, made.response_text
                        ));
                    }
                }
                Ok(Storage::S3(bucket))
            }
        }
    }

    fn path_of(dir: &Path, key: &str) -> Result<PathBuf, StorageError> {
        Ok(dir.join(checked(key)?))
    }

    /// Writes the file at `file` as object `key`, streaming it; its size.
    pub async fn put_file(
        &self,
        key: &str,
        file: &Path,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let key = checked(key)?;
        let size = tokio::fs::metadata(file).await.map_err(failed)?.len();
        match self {
            Storage::Folder(dir) => {
                let target = Self::path_of(dir, key)?;
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(failed)?;
                }
                // Copied beside the target, then renamed: a reader never sees half an object.
                let partial = target.with_extension("partial");
                tokio::fs::copy(file, &partial).await.map_err(failed)?;
                tokio::fs::rename(&partial, &target).await.map_err(failed)?;
            }
            Storage::S3(bucket) => {
                if size < PART as u64 {
                    let bytes = tokio::fs::read(file).await.map_err(failed)?;
                    let done = bucket
                        .put_object_with_content_type(key, &bytes, content_type)
                        .await
                        .map_err(failed)?;
                    if !(200..300).contains(&done.status_code()) {
                        return Err(StorageError::Failed(format!(
                            "the store answered {} to a write",
                            done.status_code()
                        )));
                    }
                } else {
                    put_in_parts(bucket, key, file, content_type).await?;
                }
            }
        }
        Ok(size)
    }

    /// The object's size, or `None` when there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StorageError> {
        let key = checked(key)?;
        match self {
            Storage::Folder(dir) => match tokio::fs::metadata(Self::path_of(dir, key)?).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(failed(e)),
            },
            Storage::S3(bucket) => {
                let (head, status) = bucket.head_object(key).await.map_err(failed)?;
                match status {
                    200..=299 => Ok(Some(head.content_length.unwrap_or(0).max(0) as u64)),
                    404 => Ok(None),
                    other => Err(StorageError::Failed(format!(
                        "the store answered {other} to a head"
                    ))),
                }
            }
        }
    }

    /// The object's bytes, all of them or `range` (first and last byte, inclusive, within
    /// the object: the caller checks it against `size`).
    pub async fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<ByteStream, StorageError> {
        let key = checked(key)?;
        match self {
            Storage::Folder(dir) => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                let mut file = match tokio::fs::File::open(Self::path_of(dir, key)?).await {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(StorageError::NotFound);
                    }
                    Err(e) => return Err(failed(e)),
                };
                let size = file.metadata().await.map_err(failed)?.len();
                let (start, end) = range.unwrap_or((0, size.saturating_sub(1)));
                file.seek(std::io::SeekFrom::Start(start))
                    .await
                    .map_err(failed)?;
                let left = if size == 0 { 0 } else { end + 1 - start };
                let stream =
                    futures_util::stream::unfold((file, left), |(mut file, left)| async move {
                        if left == 0 {
                            return None;
                        }
                        let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                        let mut buf = vec![0u8; want];
                        match file.read(&mut buf).await {
                            Ok(0) => None,
                            Ok(n) => {
                                buf.truncate(n);
                                Some((Ok(Bytes::from(buf)), (file, left - n as u64)))
                            }
                            Err(e) => Some((Err(failed(e)), (file, 0))),
                        }
                    });
                Ok(Box::pin(stream))
            }
            Storage::S3(bucket) => {
                use futures_util::StreamExt;
                match range {
                    None => {
                        let response = bucket.get_object_stream(key).await.map_err(failed)?;
                        match response.status_code {
                            200..=299 => {
                                Ok(Box::pin(response.bytes.map(|chunk| chunk.map_err(failed))))
                            }
                            404 => Err(StorageError::NotFound),
                            other => Err(StorageError::Failed(format!(
                                "the store answered {other} to a read"
                            ))),
                        }
                    }
                    Some((start, end)) => {
                        // A range is at most what one answer carries: read it whole.
                        let response = bucket
                            .get_object_range(key, start, Some(end))
                            .await
                            .map_err(failed)?;
                        match response.status_code() {
                            200..=299 => {
                                let bytes = response.bytes().clone();
                                Ok(Box::pin(futures_util::stream::once(
                                    async move { Ok(bytes) },
                                )))
                            }
                            404 => Err(StorageError::NotFound),
                            other => Err(StorageError::Failed(format!(
                                "the store answered {other} to a ranged read"
                            ))),
                        }
                    }
                }
            }
        }
    }

    /// Removes the object; an object already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let key = checked(key)?;
        match self {
            Storage::Folder(dir) => match tokio::fs::remove_file(Self::path_of(dir, key)?).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(failed(e)),
            },
            Storage::S3(bucket) => {
                let done = bucket.delete_object(key).await.map_err(failed)?;
                match done.status_code() {
                    200..=299 | 404 => Ok(()),
                    other => Err(StorageError::Failed(format!(
                        "the store answered {other} to a delete"
                    ))),
                }
            }
        }
    }

    /// Every object whose key starts with `prefix/` (for the sweep).
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let prefix = checked(prefix)?;
        match self {
            Storage::Folder(dir) => {
                let root = dir.clone();
                let start = Self::path_of(dir, prefix)?;
                tokio::task::spawn_blocking(move || list_folder(&root, &start))
                    .await
                    .map_err(failed)?
            }
            Storage::S3(bucket) => {
                let pages = bucket
                    .list(format!("{prefix}/"), None)
                    .await
                    .map_err(failed)?;
                Ok(pages
                    .into_iter()
                    .flat_map(|page| page.contents)
                    .map(|o| ObjectInfo {
                        modified: chrono::DateTime::parse_from_rfc3339(&o.last_modified)
                            .ok()
                            .map(|t| t.with_timezone(&chrono::Utc)),
                        key: o.key,
                        size: o.size,
                    })
                    .collect())
            }
        }
    }

    /// An address the browser may fetch the object from directly for `secs` seconds (S3), or
    /// `None` where objects are served only through the service (a folder).
    pub async fn presigned(&self, key: &str, secs: u32) -> Result<Option<String>, StorageError> {
        let key = checked(key)?;
        match self {
            Storage::Folder(_) => Ok(None),
            Storage::S3(bucket) => Ok(Some(
                bucket.presign_get(key, secs, None).await.map_err(failed)?,
            )),
        }
    }
}

/// A part of a large object: S3's smallest but the last.
const PART: usize = 5 * 1024 * 1024;
/// Parts sent at once. With the part being read, memory stays near three parts (about 16 MB)
/// whatever the file's size; rust-s3's own streaming upload sizes its parts to the machine's
/// free memory and held about 190 MB for a 200 MB file here (`cargo bench --bench upload`).
const PARTS_AT_ONCE: usize = 2;

/// Writes a large file as a multipart upload, a few parts in flight, given up (aborted) on
/// any failure so that no half object stays.
async fn put_in_parts(
    bucket: &s3::Bucket,
    key: &str,
    file: &Path,
    content_type: &str,
) -> Result<(), StorageError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncReadExt;
    let upload = bucket
        .initiate_multipart_upload(key, content_type)
        .await
        .map_err(failed)?;
    let id = upload.upload_id;
    let sent = async {
        let mut reader = tokio::fs::File::open(file).await.map_err(failed)?;
        let mut parts = Vec::new();
        let mut in_flight = futures_util::stream::FuturesOrdered::new();
        let mut number: u32 = 1;
        loop {
            let mut chunk = Vec::with_capacity(PART);
            while chunk.len() < PART {
                let n = (&mut reader)
                    .take((PART - chunk.len()) as u64)
                    .read_to_end(&mut chunk)
                    .await
                    .map_err(failed)?;
                if n == 0 {
                    break;
                }
            }
            if chunk.is_empty() {
                break;
            }
            while in_flight.len() >= PARTS_AT_ONCE {
                if let Some(part) = in_flight.next().await {
                    parts.push(part?);
                }
            }
            let (bucket, key, id, content_type) = (
                bucket.clone(),
                key.to_string(),
                id.clone(),
                content_type.to_string(),
            );
            in_flight.push_back(async move {
                bucket
                    .put_multipart_chunk(chunk, &key, number, &id, &content_type)
                    .await
                    .map_err(failed)
            });
            number += 1;
        }
        while let Some(part) = in_flight.next().await {
            parts.push(part?);
        }
        bucket
            .complete_multipart_upload(key, &id, parts)
            .await
            .map_err(failed)?;
        Ok::<(), StorageError>(())
    }
    .await;
    if sent.is_err() {
        let _ = bucket.abort_upload(key, &id).await;
    }
    sent
}

fn list_folder(root: &Path, start: &Path) -> Result<Vec<ObjectInfo>, StorageError> {
    let mut found = Vec::new();
    let mut pending = vec![start.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(failed(e)),
        };
        for entry in entries {
            let entry = entry.map_err(failed)?;
            let path = entry.path();
            let meta = entry.metadata().map_err(failed)?;
            if meta.is_dir() {
                pending.push(path);
            } else if path.extension().is_none_or(|e| e != "partial")
                && let Ok(relative) = path.strip_prefix(root)
            {
                found.push(ObjectInfo {
                    key: relative.to_string_lossy().replace('\\', "/"),
                    size: meta.len(),
                    modified: meta
                        .modified()
                        .ok()
                        .map(chrono::DateTime::<chrono::Utc>::from),
                });
            }
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_inside_the_storage() {
        for bad in [
            "",
            "../x",
            "media/../../etc/passwd",
            "media//x",
            "/abs",
            "Media/X",
            "a/./b",
            "a b",
        ] {
            assert!(checked(bad).is_err(), "{bad:?}");
        }
        let key = new_key("media");
        assert!(checked(&key).is_ok(), "{key}");
        assert_eq!(key.len(), "media/".len() + 32);
        assert_ne!(new_key("media"), key, "random");
    }
}
