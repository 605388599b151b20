//! The sweep after a crash: objects that no row names (written before a row that never
//! committed), uploads left unfinished for a day, and scratch files a stopped request left.
//! Objects are written before their row, so an object younger than the sweep's age may belong
//! to an upload still committing: only older ones go.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::DbPool;
use crate::storage::Storage;

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub objects: usize,
    pub uploads: usize,
    pub scratch: usize,
}

/// The sweep's usual age: an object no row names after an hour is an orphan.
pub const ORPHAN_AGE: chrono::Duration = chrono::Duration::hours(1);

/// Removes orphaned objects and scratch files older than `age`, and unfinished uploads older
/// than a day (the server every hour, and `incognito sweep`).
pub async fn sweep(
    db: &DbPool,
    storage: &Storage,
    data_dir: &Path,
    now: NaiveDateTime,
    age: chrono::Duration,
) -> anyhow::Result<Swept> {
    let cutoff = Utc::now() - age;
    // Listed first, then the rows read: a row committed in between is seen, so its objects stay.
    let listed = storage
        .list("media")
        .await
        .map_err(|e| anyhow::anyhow!("storage: {e}"))?;
    let named: std::collections::HashSet<String> = db
        .run(|conn| Ok(super::store::all_keys(conn)?))
        .await
        .map_err(|e| anyhow::anyhow!("media keys: {}", e.detail))?
        .into_iter()
        .collect();
    let mut swept = Swept::default();
    for object in listed {
        let old = object.modified.is_some_and(|m| m < cutoff);
        if old && !named.contains(&object.key) {
            match storage.delete(&object.key).await {
                Ok(()) => swept.objects += 1,
                Err(e) => tracing::warn!(key = object.key, error = %e, "an orphan stays"),
            }
        }
    }
    swept.uploads = super::tus::sweep(data_dir, now).await;
    swept.scratch = sweep_scratch(&data_dir.join("tmp"), cutoff).await;
    Ok(swept)
}

async fn sweep_scratch(dir: &Path, cutoff: DateTime<Utc>) -> usize {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let old = entry
            .metadata()
            .await
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .is_some_and(|m| DateTime::<Utc>::from(m) < cutoff);
        if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
            removed += 1;
        }
    }
    removed
}
