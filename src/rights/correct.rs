//! Correcting a shopper's data at their request, and keeping it corrected.
//!
//! A request to correct names each field and what it should say (see
//! `privacy::requests::FieldCorrection`). Completing it writes the values into the profile (a new
//! ZIP or state moves the home point to that ZIP), and notes each corrected field in
//! `corrections`. An import of contact details from another system (staff's
//! `POST /shoppers/import`) then leaves every corrected field as the person corrected it and
//! says so, rather than bring the old value back.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::clients::csv_import::{self, RowError};
use crate::db::schema::{corrections, shoppers, users};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::privacy::requests::{self, FieldCorrection, OfficerView, check_correction, field_words};

/// The contact details of a shopper a correction or an import may change.
#[derive(Debug, Clone, Queryable)]
struct Contact {
    legal_name: String,
    street: String,
    city: String,
    state: String,
    zip: String,
    phone: Option<String>,
}

impl Contact {
    fn load(conn: &mut DbConnection, user: UserId) -> QueryResult<Option<Contact>> {
        shoppers::table
            .find(user.0)
            .select((
                shoppers::legal_name,
                shoppers::street,
                shoppers::city,
                shoppers::state,
                shoppers::zip,
                shoppers::phone,
            ))
            .first(conn)
            .optional()
    }

    fn set(&mut self, field: &str, value: String) {
        match field {
            "legal_name" => self.legal_name = value,
            "street" => self.street = value,
            "city" => self.city = value,
            "state" => self.state = value,
            "zip" => self.zip = value,
            "phone" => self.phone = Some(value),
            _ => {}
        }
    }

    /// Writes the details back; a changed ZIP or state moves the home point (the ZIP must be
    /// in the state).
    fn save(
        &self,
        conn: &mut DbConnection,
        user: UserId,
        moved: bool,
        now: NaiveDateTime,
    ) -> Result<(), String> {
        let point = if moved {
            let zip = crate::geocode::Zip::parse(&self.zip).map_err(|e| e.to_string())?;
            Some(crate::geocode::geocode(&self.state, &zip).map_err(|(_, why)| why)?)
        } else {
            None
        };
        let written = diesel::update(shoppers::table.find(user.0))
            .set((
                shoppers::legal_name.eq(&self.legal_name),
                shoppers::street.eq(&self.street),
                shoppers::city.eq(&self.city),
                shoppers::state.eq(&self.state),
                shoppers::zip.eq(&self.zip),
                shoppers::phone.eq(&self.phone),
                shoppers::updated_at.eq(now),
            ))
            .execute(conn)
            .and_then(|_| match point {
                Some(p) => diesel::update(shoppers::table.find(user.0))
                    .set((
                        shoppers::latitude.eq(p.lat()),
                        shoppers::longitude.eq(p.lon()),
                    ))
                    .execute(conn)
                    .map(|_| ()),
                None => Ok(()),
            });
        written.map_err(|e| format!("the profile could not be written: {e}"))
    }
}

/// Completes a verified request to correct: the values are written, each field is noted as
/// corrected, and the answer names what changed.
pub fn complete(
    conn: &mut DbConnection,
    by: UserId,
    id: i64,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    write_transaction(conn, |conn| {
        let row = requests::for_completion(conn, id)?;
        let asked = row.corrections();
        if asked.is_empty() {
            return Err(AppError::conflict(
                "not_automated",
                "This request says in words what to correct, without naming a field: ask the person to make it again choosing the field, or deny it with an explanation.",
            ));
        }
        let Some(user) = row.subject_id.map(UserId) else {
            return Err(AppError::conflict(
                "no_account",
                "This request matched no account: there is nothing to correct. Deny it as no_data.",
            ));
        };
        let Some(mut contact) = Contact::load(conn, user)? else {
            return Err(AppError::conflict(
                "staff_record",
                "This account has no shopper profile to correct. Deny it as exempt, with an explanation.",
            ));
        };
        let mut moved = false;
        for c in &asked {
            let value = check_correction(c).map_err(|m| AppError::field("corrections", m))?;
            moved |= matches!(c.field.as_str(), "zip" | "state");
            contact.set(&c.field, value);
            diesel::delete(
                corrections::table
                    .filter(corrections::user_id.eq(user.0))
                    .filter(corrections::field.eq(&c.field)),
            )
            .execute(conn)?;
            diesel::insert_into(corrections::table)
                .values((
                    corrections::user_id.eq(user.0),
                    corrections::field.eq(&c.field),
                    corrections::corrected_at.eq(now),
                    corrections::request_id.eq(id),
                ))
                .execute(conn)?;
        }
        if let Err(why) = contact.save(conn, user, moved, now) {
            return Err(AppError::conflict(
                "correction_invalid",
                format!(
                    "The correction cannot be made as asked: {why}. Deny it with an explanation, or ask the person to make it again."
                ),
            ));
        }
        let fields: Vec<&str> = asked.iter().map(|c| field_words(&c.field)).collect();
        let mut answer = format!(
            "Corrected: {}. We keep it as you corrected it: an update from another system will not bring the old value back.",
            fields.join(", ")
        );
        let note = note.trim();
        if !note.is_empty() {
            answer = format!("{note}\n\n{answer}");
        }
        requests::fulfil(conn, by, &row, &answer, false, now)?;
        requests::find(conn, id, now)
    })
}

/// A field an import left as the person corrected it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeptCorrection {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub field: String,
}

/// What an import of contact details did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ContactImport {
    /// Shoppers whose details changed.
    pub updated: usize,
    /// Rows that changed nothing.
    pub unchanged: usize,
    /// Fields left as their shopper corrected them (at most 100 listed).
    pub kept_corrected: Vec<KeptCorrection>,
    pub kept_corrected_total: usize,
    /// Rows left out, each with why (at most 100 listed).
    pub errors: Vec<RowError>,
    pub errors_total: usize,
}

const LISTED: usize = 100;

fn error(report: &mut ContactImport, line: u64, field: &str, message: String) {
    report.errors_total += 1;
    if report.errors.len() < LISTED {
        report.errors.push(RowError {
            line,
            field: field.to_string(),
            message,
        });
    }
}
const COLUMNS: [&str; 6] = ["legal_name", "street", "city", "state", "zip", "phone"];

/// Imports contact details of shoppers already on the panel, found by email: `email` and any
/// of `legal_name, street, city, state, zip, phone`. Nobody is added (people join by signing
/// up). A field the shopper corrected at their request is kept as corrected. Good rows are
/// written together in one transaction; bad rows are reported with their line.
pub fn import_contacts(
    conn: &mut DbConnection,
    text: &str,
    now: NaiveDateTime,
) -> AppResult<ContactImport> {
    let rows = csv_import::read(text, &["email"], &COLUMNS)?;
    if rows.len() > csv_import::MAX_ROWS {
        return Err(AppError::field(
            "csv",
            format!(
                "the file has {} rows; import at most {} at a time",
                rows.len(),
                csv_import::MAX_ROWS
            ),
        ));
    }
    let mut report = ContactImport::default();
    write_transaction(conn, |conn| {
        let mut seen = HashSet::new();
        for row in &rows {
            let email = row
                .get("email")
                .map(|e| e.trim().to_lowercase())
                .unwrap_or_default();
            if !seen.insert(email.clone()) {
                error(
                    &mut report,
                    row.line,
                    "email",
                    "this email is on an earlier line too".into(),
                );
                continue;
            }
            let user: Option<UserId> = users::table
                .filter(users::email.eq(&email))
                .filter(users::erased_at.is_null())
                .select(users::id)
                .first(conn)
                .optional()?;
            let Some((user, mut contact)) = user
                .map(|u| Contact::load(conn, u).map(|c| c.map(|c| (u, c))))
                .transpose()?
                .flatten()
            else {
                error(
                    &mut report,
                    row.line,
                    "email",
                    "no shopper has this email; people join the panel by signing up themselves"
                        .into(),
                );
                continue;
            };
            let corrected: HashSet<String> = corrections::table
                .filter(corrections::user_id.eq(user.0))
                .select(corrections::field)
                .load::<String>(conn)?
                .into_iter()
                .collect();
            let mut values: HashMap<&str, String> = HashMap::new();
            let mut bad = false;
            for field in COLUMNS {
                let Some(raw) = row.get(field) else { continue };
                match check_correction(&FieldCorrection {
                    field: field.to_string(),
                    value: raw.clone(),
                }) {
                    Ok(v) => {
                        values.insert(field, v);
                    }
                    Err(message) => {
                        error(&mut report, row.line, field, message);
                        bad = true;
                    }
                }
            }
            if bad {
                continue;
            }
            let before = format!("{contact:?}");
            let mut moved = false;
            for field in COLUMNS {
                let Some(value) = values.remove(field) else {
                    continue;
                };
                if corrected.contains(field) {
                    report.kept_corrected_total += 1;
                    if report.kept_corrected.len() < LISTED {
                        report.kept_corrected.push(KeptCorrection {
                            line: row.line,
                            field: field.to_string(),
                        });
                    }
                    continue;
                }
                moved |= matches!(field, "zip" | "state");
                contact.set(field, value);
            }
            if format!("{contact:?}") == before {
                report.unchanged += 1;
                continue;
            }
            match contact.save(conn, user, moved, now) {
                Ok(()) => report.updated += 1,
                Err(why) => error(&mut report, row.line, "zip", why),
            }
        }
        Ok::<(), AppError>(())
    })?;
    Ok(report)
}
