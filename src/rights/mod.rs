//! Carrying out privacy requests across every module: the ledger of requests lives in
//! `privacy::requests` (below the panel); the work that reaches into the panel, the reports,
//! the files and pay lives here, above them.

pub mod erase;

use chrono::NaiveDateTime;

use crate::db::DbPool;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::privacy::requests::{self, Kind, OfficerView};
use crate::storage::Storage;

/// The privacy officer completes request `id`: a deletion is carried out here (see
/// [`erase`]); the other kinds are closed with the officer's note.
pub async fn complete(
    db: &DbPool,
    storage: &Storage,
    data_dir: &std::path::Path,
    by: UserId,
    id: i64,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    let kind = db
        .run(move |conn| Ok(requests::find(conn, id, now)?.request.kind))
        .await?;
    if kind == Kind::Delete.as_str() {
        return erase::complete(db, storage, data_dir, by, id, note, now).await;
    }
    let note = note.to_string();
    db.run(move |conn| requests::complete(conn, by, id, &note, now))
        .await
}
