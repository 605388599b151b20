//! The right to know and the right of access (and portability): what categories of data we
//! hold about a person, from where, why and who received it, in words; and the specific pieces
//! as a JSON document valid against a published JSON Schema, the same as CSV, and their
//! receipts and recordings, in one ZIP archive. A tax ID, a bank account and a password never
//! appear: the copy says whether one is on file.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::archive::Zip;
use crate::db::schema::{assignments, ledger_lines, media, privacy_requests, reports};
use crate::db::{DbConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, ShopperId, UserId};
use crate::keys::Keys;
use crate::privacy::inventory::{Category, Classification, INVENTORY};
use crate::storage::Storage;

/// The specific pieces of data about `user`, as JSON (see [`schema`]).
pub fn document(
    conn: &mut DbConnection,
    keys: &Keys,
    user: UserId,
    now: NaiveDateTime,
) -> AppResult<Value> {
    let mut doc = crate::panel::service::export(conn, keys, user, now)?;
    let shopper = ShopperId::from(user);
    type Assignment = (
        AssignmentId,
        i64,
        String,
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
        NaiveDateTime,
    );
    let theirs: Vec<Assignment> = assignments::table
        .filter(assignments::shopper_id.eq(shopper))
        .order(assignments::id.asc())
        .select((
            assignments::id,
            assignments::job_id,
            assignments::state,
            assignments::visit_on,
            assignments::visited_on,
            assignments::created_at,
        ))
        .load(conn)?;
    let ids: Vec<AssignmentId> = theirs.iter().map(|a| a.0).collect();
    doc["assignments"] = theirs
        .iter()
        .map(|(id, job, state, visit_on, visited_on, created_at)| {
            json!({"id": id, "job_id": job, "state": state, "visit_on": visit_on,
                   "visited_on": visited_on, "created_at": created_at})
        })
        .collect();
    let mut report_list = Vec::new();
    let mut file_list = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(AssignmentId, String, String, Option<NaiveDateTime>)> = reports::table
            .filter(reports::assignment_id.eq_any(chunk))
            .order(reports::assignment_id.asc())
            .select((
                reports::assignment_id,
                reports::status,
                reports::answers,
                reports::submitted_at,
            ))
            .load(conn)?;
        for (id, status, answers, submitted_at) in rows {
            let answers: Value = serde_json::from_str(&answers).unwrap_or(Value::Null);
            report_list.push(json!({"assignment_id": id, "status": status,
                                    "submitted_at": submitted_at, "answers": answers}));
        }
        let files: Vec<(
            i64,
            AssignmentId,
            Option<String>,
            String,
            i64,
            NaiveDateTime,
        )> = media::table
            .filter(media::assignment_id.eq_any(chunk))
            .order(media::id.asc())
            .select((
                media::id,
                media::assignment_id,
                media::question,
                media::kind,
                media::bytes,
                media::created_at,
            ))
            .load(conn)?;
        for (id, assignment, question, kind, bytes, created_at) in files {
            file_list.push(
                json!({"id": id, "assignment_id": assignment, "question": question,
                                  "kind": kind, "bytes": bytes, "created_at": created_at,
                                  "file": file_name(id, &kind)}),
            );
        }
    }
    doc["reports"] = Value::Array(report_list);
    doc["files"] = Value::Array(file_list);
    let lines: Vec<(
        AssignmentId,
        String,
        i64,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = ledger_lines::table
        .filter(ledger_lines::shopper_id.eq(shopper))
        .order(ledger_lines::id.asc())
        .select((
            ledger_lines::assignment_id,
            ledger_lines::kind,
            ledger_lines::amount_cents,
            ledger_lines::state,
            ledger_lines::earned_at,
            ledger_lines::paid_at,
        ))
        .load(conn)?;
    doc["earnings"] = lines
        .into_iter()
        .map(|(a, kind, cents, state, earned, paid)| {
            json!({"assignment_id": a, "kind": kind, "amount_cents": cents, "state": state,
                   "earned_at": earned, "paid_at": paid})
        })
        .collect();
    let asked: Vec<(i64, String, String, NaiveDateTime, Option<NaiveDateTime>)> =
        privacy_requests::table
            .filter(privacy_requests::subject_id.eq(user.0))
            .order(privacy_requests::id.asc())
            .select((
                privacy_requests::id,
                privacy_requests::kind,
                privacy_requests::status,
                privacy_requests::received_at,
                privacy_requests::closed_at,
            ))
            .load(conn)?;
    doc["privacy_requests"] = asked
        .into_iter()
        .map(|(id, kind, status, received, closed)| {
            json!({"id": id, "kind": kind, "status": status, "received_at": received,
                   "closed_at": closed})
        })
        .collect();
    Ok(doc)
}

/// A stored file's name in the archive.
fn file_name(id: i64, kind: &str) -> String {
    let ext = match kind {
        "jpeg" | "photo" | "receipt" => "jpg",
        "png" => "png",
        "heic" => "heic",
        "webm" => "webm",
        "ogg" => "ogg",
        "mp4" | "m4a" => "m4a",
        "mp3" => "mp3",
        "wav" => "wav",
        _ => "bin",
    };
    format!("files/{id}.{ext}")
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

/// The JSON Schema (draft 2020-12) the copy of a person's data is valid against.
pub fn schema() -> Value {
    let object = |properties: Value, required: &[&str]| {
        json!({"type": "object", "properties": properties, "required": required,
               "additionalProperties": false})
    };
    let list = |items: Value| json!({"type": "array", "items": items});
    let on_file = json!({"type": "string", "enum": ["on file", "none on file"],
        "description": "Never the value itself: whether one is on file."});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/api/v1/privacy/export-schema",
        "title": "A copy of the personal data Incognito holds about you",
        "type": "object",
        "additionalProperties": false,
        "required": ["exported_at", "account", "shopper", "consents", "access_log",
                     "disclosures", "assignments", "reports", "files", "earnings",
                     "privacy_requests"],
        "properties": {
            "exported_at": {"type": "string"},
            "account": object(json!({
                "email": {"type": "string"}, "role": {"type": "string"},
                "email_verified_at": nullable("string"), "created_at": {"type": "string"},
                "password": {"type": "string", "enum": ["on file"]}
            }), &["email", "role", "created_at", "password"]),
            "shopper": {"oneOf": [{"type": "null"}, object(json!({
                "code": {"type": "string"}, "status": {"type": "string"},
                "legal_name": {"type": "string"}, "street": {"type": "string"},
                "city": {"type": "string"}, "state": {"type": "string"}, "zip": {"type": "string"},
                "phone": nullable("string"), "date_of_birth": nullable("string"),
                "tax_id": on_file, "bank_account": on_file,
                "latitude": {"type": "number"}, "longitude": {"type": "number"},
                "travel_radius_km": {"type": "number"},
                "languages": list(json!({"type": "string"})), "vehicle": {"type": "boolean"},
                "agreement_version": {"type": "string"}, "privacy_notice_version": {"type": "string"},
                "agreed_at": {"type": "string"}, "created_at": {"type": "string"},
                "updated_at": {"type": "string"},
                "certifications": list(json!({"type": "object"})),
                "affiliations": list(json!({"type": "object"})),
                "status_history": list(json!({"type": "object"}))
            }), &["code", "status", "legal_name", "street", "city", "state", "zip",
                  "tax_id", "bank_account", "languages"])]},
            "consents": list(json!({"type": "object", "required": ["purpose", "granted", "source", "recorded_at"]})),
            "access_log": list(json!({"type": "object"})),
            "disclosures": list(json!({"type": "object"})),
            "assignments": list(object(json!({
                "id": {"type": "integer"}, "job_id": {"type": "integer"}, "state": {"type": "string"},
                "visit_on": nullable("string"), "visited_on": nullable("string"),
                "created_at": {"type": "string"}
            }), &["id", "job_id", "state", "created_at"])),
            "reports": list(object(json!({
                "assignment_id": {"type": "integer"}, "status": {"type": "string"},
                "submitted_at": nullable("string"), "answers": {"type": ["object", "null"]}
            }), &["assignment_id", "status", "answers"])),
            "files": list(object(json!({
                "id": {"type": "integer"}, "assignment_id": {"type": "integer"},
                "question": nullable("string"), "kind": {"type": "string"},
                "bytes": {"type": "integer"}, "created_at": {"type": "string"},
                "file": {"type": "string", "description": "Its name in the archive."}
            }), &["id", "assignment_id", "kind", "bytes", "file"])),
            "earnings": list(object(json!({
                "assignment_id": {"type": "integer"}, "kind": {"type": "string"},
                "amount_cents": {"type": "integer"}, "state": {"type": "string"},
                "earned_at": {"type": "string"}, "paid_at": nullable("string")
            }), &["assignment_id", "kind", "amount_cents", "state"])),
            "privacy_requests": list(object(json!({
                "id": {"type": "integer"}, "kind": {"type": "string"}, "status": {"type": "string"},
                "received_at": {"type": "string"}, "closed_at": nullable("string")
            }), &["id", "kind", "status", "received_at"]))
        }
    })
}

/// Every leaf of the document as a CSV row `field,value`, the field a path like
/// `shopper.languages.0`.
pub fn csv_of(doc: &Value) -> AppResult<String> {
    fn walk(path: &str, v: &Value, rows: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, v, rows);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&format!("{path}.{i}"), v, rows);
                }
            }
            Value::Null => rows.push((path.to_string(), String::new())),
            Value::String(s) => rows.push((path.to_string(), s.clone())),
            other => rows.push((path.to_string(), other.to_string())),
        }
    }
    let mut rows = Vec::new();
    walk("", doc, &mut rows);
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::internal(anyhow::anyhow!("csv: {e}"));
    out.write_record(["field", "value"]).map_err(fail)?;
    for (field, value) in rows {
        out.write_record([field, crate::text::neutral_cell(&value)])
            .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))
}

/// The whole copy as one ZIP: `my-data.json`, `my-data.csv`, `schema.json`, a `README.txt`,
/// and every file under `files/`.
pub async fn archive(
    db: &DbPool,
    storage: &Storage,
    keys: &Keys,
    user: UserId,
    now: NaiveDateTime,
) -> AppResult<Vec<u8>> {
    use futures_util::StreamExt;
    let keys = keys.clone();
    let (doc, objects) = db
        .run(move |conn| {
            let doc = document(conn, &keys, user, now)?;
            let ids: Vec<i64> = doc["files"]
                .as_array()
                .map(|f| f.iter().filter_map(|f| f["id"].as_i64()).collect())
                .unwrap_or_default();
            let mut objects = Vec::new();
            for chunk in ids.chunks(500) {
                let rows: Vec<(i64, String, Option<String>, Option<String>)> = media::table
                    .filter(media::id.eq_any(chunk))
                    .select((media::id, media::kind, media::original_key, media::web_key))
                    .load(conn)?;
                for (id, kind, original, web) in rows {
                    if let Some(key) = original.or(web) {
                        objects.push((file_name(id, &kind), key));
                    }
                }
            }
            Ok((doc, objects))
        })
        .await?;
    let fail = |e: crate::archive::TooLarge| AppError::internal(anyhow::anyhow!("{e}"));
    let mut zip = Zip::new();
    let json = serde_json::to_vec_pretty(&doc).map_err(AppError::internal)?;
    zip.add("my-data.json", &json).map_err(fail)?;
    zip.add("my-data.csv", csv_of(&doc)?.as_bytes())
        .map_err(fail)?;
    let schema = serde_json::to_vec_pretty(&schema()).map_err(AppError::internal)?;
    zip.add("schema.json", &schema).map_err(fail)?;
    zip.add("README.txt", README.as_bytes()).map_err(fail)?;
    for (name, key) in objects {
        let mut stream = storage
            .get(&key, None)
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("{key}: {e}")))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(
                &chunk.map_err(|e| AppError::internal(anyhow::anyhow!("{key}: {e}")))?,
            );
        }
        zip.add(&name, &bytes).map_err(fail)?;
    }
    zip.finish().map_err(fail)
}

const README: &str = "A copy of the personal data Incognito holds about you.\n\n\
my-data.json  every piece of it, as JSON; schema.json describes it (JSON Schema).\n\
my-data.csv   the same, one row per piece: where it is in the JSON, and its value.\n\
files/        your receipts, photos and recordings, named by their id in my-data.json.\n\n\
Your tax ID, bank account and password are not in it: the copy says whether one is on file.\n";

/// The answer to a request to know, in words: the categories held, their sources and
/// purposes, and (when the person is verified) who received their data. From the data
/// inventory and the disclosure log.
pub fn know(conn: &mut DbConnection, user: Option<UserId>, specific: bool) -> AppResult<String> {
    let mut purposes: BTreeMap<char, (Category, BTreeSet<&'static str>)> = BTreeMap::new();
    for entry in INVENTORY {
        if let Classification::Personal {
            category, purpose, ..
        } = entry.classification
        {
            purposes
                .entry(category.letter())
                .or_insert_with(|| (category, BTreeSet::new()))
                .1
                .insert(purpose);
        }
    }
    let mut out = String::from("The kinds of personal data we collect about shoppers, and why:\n");
    for (category, why) in purposes.values() {
        out.push_str(&format!(
            "\n- {} ({}):",
            crate::text::capitalise(category.words()),
            category.letter()
        ));
        for p in why.iter().take(6) {
            out.push_str(&format!("\n    to {p};"));
        }
        if why.len() > 6 {
            out.push_str(&format!(
                "\n    and {} more uses, each listed in the privacy notice.",
                why.len() - 6
            ));
        }
    }
    out.push_str("\n\nWhere it comes from: you (your application, profile, choices, reports and files); our staff (reviews, ratings, the jobs offered to you); clients (disputes about a report); your browser (sign-in records and its privacy signal).\n\nWe do not sell personal data. We share a shopper's name and street address with friendly mystery-shopping companies only with their consent, and their email and phone only with a separate consent.");
    match (user, specific) {
        (Some(user), true) => {
            let received = crate::privacy::disclosure::list_for(conn, user)?;
            if received.is_empty() {
                out.push_str("\n\nYour data has not been sent to anyone outside the company.");
            } else {
                out.push_str("\n\nWho received your data:");
                for d in received {
                    out.push_str(&format!(
                        "\n- {}, on {}: {} ({})",
                        d.recipient,
                        d.disclosed_at.format("%b %-d, %Y"),
                        crate::privacy::inventory::categories_in_words(&d.categories),
                        d.purpose
                    ));
                }
            }
        }
        _ => out.push_str("\n\nWe could not confirm enough details to tell you what we hold about you in particular, so this answer lists the kinds of data we hold about every shopper."),
    }
    Ok(out)
}
