//! Proof of visit from a report's files: the evidence the flags are read from (times and
//! places in the photos, recordings' lengths, the same receipt in other assignments), and the
//! flags themselves (`reports::flags`, which says what each means).

use crate::assignments::store as assignments;
use crate::clients::store as clients;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::ids::AssignmentId;
use crate::reports::flags::{Duplicate, Evidence, Flag, Photo, flags};
use crate::reports::model::QuestionKind;
use crate::reports::store as reports;

use super::likeness;

/// The proof-of-visit flags of assignment `id`'s report, for staff (the caller has checked
/// that the reader may see the report).
pub fn flags_of(conn: &mut DbConnection, id: AssignmentId) -> AppResult<Vec<Flag>> {
    let row = assignments::find(conn, id)?
        .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    let job = clients::find_job(conn, row.job_id)?;
    let project = clients::find_project(conn, job.project_id)?;
    let report = reports::find_report(conn, id)?;
    let report = report.as_ref();
    let version = crate::reports::service::version_for(conn, report, project.id)?;
    let q = crate::reports::service::document(&version)?;
    let store = clients::find_location(conn, job.location_id)?;
    let files = super::store::of_assignment(conn, id)?;
    let is_receipt = |name: &Option<String>| {
        name.as_deref()
            .and_then(|n| q.question(n))
            .is_some_and(|question| question.kind == QuestionKind::Receipt)
    };
    let photos: Vec<Photo> = files
        .iter()
        .filter(|f| f.web_key.is_some())
        .map(|f| Photo {
            media_id: f.id,
            receipt: is_receipt(&f.question),
            taken_at: f.taken_at,
            position: f.latitude.zip(f.longitude),
        })
        .collect();
    let recordings_ms = files
        .iter()
        .filter(|f| f.web_key.is_none())
        .filter_map(|f| f.duration_ms)
        .collect();
    // The receipts seen elsewhere: the same bytes, or a likeness within the threshold.
    let mut duplicates = Vec::new();
    let receipts: Vec<&super::store::MediaRow> = files
        .iter()
        .filter(|f| f.web_key.is_some() && is_receipt(&f.question))
        .collect();
    if !receipts.is_empty() {
        let elsewhere = super::store::photos_elsewhere(conn, id)?;
        for receipt in receipts {
            let mine = receipt.perceptual_hash.as_deref().and_then(unhex);
            for (other, hash, likeness_hex) in &elsewhere {
                if *hash == receipt.content_hash {
                    duplicates.push(Duplicate {
                        media_id: receipt.id,
                        other: *other,
                        exact: true,
                        bits: 0,
                    });
                    continue;
                }
                let theirs = likeness_hex.as_deref().and_then(unhex);
                if let (Some(a), Some(b)) = (&mine, &theirs)
                    && let Some(bits) = likeness::distance(a, b)
                    && bits <= likeness::SAME_RECEIPT
                {
                    duplicates.push(Duplicate {
                        media_id: receipt.id,
                        other: *other,
                        exact: false,
                        bits,
                    });
                }
            }
        }
    }
    let visit = report
        .and_then(|r| r.visit_started_at.zip(r.visit_ended_at))
        .map(|(start, end)| (start.and_utc(), end.and_utc()));
    Ok(flags(&Evidence {
        window: (job.window_start, job.window_end),
        zone: crate::zones::of_place(
            &store.state,
            store.latitude,
            store.longitude,
            chrono_tz::UTC,
        ),
        store: (store.latitude, store.longitude),
        visit,
        receipt_cents: report.and_then(|r| r.receipt_cents),
        cap_cents: job.reimbursement_cap_cents.cents(),
        tolerance_minutes: i64::from(project.photo_time_tolerance_minutes),
        distance_limit_m: i64::from(project.photo_distance_limit_m),
        photos,
        recordings_ms,
        duplicates,
    }))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    text.len()
        .is_multiple_of(2)
        .then(|| {
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}
