//! Carrying out privacy requests across every module: the ledger of requests lives in
//! `privacy::requests` (below the panel); the work that reaches into the panel, the reports,
//! the files and pay lives here, above them.

pub mod access;
pub mod correct;
pub mod erase;
pub mod retention;

use chrono::NaiveDateTime;

use crate::db::DbPool;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::privacy::requests::{self, Kind, OfficerView};
use crate::storage::Storage;

/// The privacy officer completes request `id`: a deletion is carried out here (see
/// [`erase`]), a correction too (see [`correct`]), a request to know or for a copy is answered
/// (see [`access`]); the other kinds are closed with the officer's note.
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
    let note = note.trim().to_string();
    if kind == Kind::Correct.as_str() {
        return db
            .run(move |conn| correct::complete(conn, by, id, &note, now))
            .await;
    }
    if kind == Kind::Know.as_str() || kind == Kind::Access.as_str() {
        return db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    let row = requests::for_completion(conn, id)?;
                    let verified = matches!(row.verification.as_str(), "account" | "verified");
                    let subject = row.subject_id.map(UserId);
                    let mut answer = access::know(conn, subject, verified)?;
                    if row.kind() == Kind::Access && verified && subject.is_some() {
                        answer = format!("{}\n\n{answer}", COPY_READY);
                    }
                    if !note.is_empty() {
                        answer = format!("{note}\n\n{answer}");
                    }
                    requests::fulfil(conn, by, &row, &answer, false, now)?;
                    requests::find(conn, id, now)
                })
            })
            .await;
    }
    db.run(move |conn| requests::complete(conn, by, id, &note, now))
        .await
}

/// What the answer to a request for a copy says first.
pub const COPY_READY: &str = "Your copy is ready. Sign in and download it from your privacy requests page (/shopper/privacy-requests): one ZIP file with your data as JSON and as CSV, the JSON Schema that describes it, and your receipts, photos and recordings. Your tax ID, bank account and password are not in it: it says whether one is on file.";
