//! Deleting a person at their request (CCPA §1798.105, GDPR Art. 17).
//!
//! In one transaction: the account becomes an empty, disabled shell (`users.erased_at`; its id
//! keeps released reports pseudonymous for the client under the shopper's code); the profile is
//! emptied; consents, access records, disclosures, share rows, certifications, affiliations,
//! ratings, citations, status history, disqualifications, sessions and tokens are deleted; open
//! assignments are cancelled; reports handed in are kept for the client with the shopper's
//! written answers and appeal removed and their identifiers struck from others' words; files
//! are deleted (their objects after the commit); mail to them leaves the outbox and their
//! identifiers are struck from mail to others; every company that received them in a share is
//! told to delete them. Kept, and named in the answer with why: pay still owed (name, bank
//! account, tax ID, until paid), tax records of payments (name, tax ID, amounts, 7 years), and
//! the record of the request (24 months, no address).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::assignments::model::State;
use crate::auth::Role;
use crate::db::schema::{
    access_records, affiliations, assignment_events, assignments, batch_items, certifications,
    citations, consents, corrections, digests, disclosures, disputes, disqualifications,
    ledger_lines, mail_outbox, media, one_time_tokens, ratings, refresh_tokens, report_edits,
    reports, review_events, sessions, share_rows, shopper_status_changes, shoppers, users,
};
use crate::db::{DbConnection, DbPool, write_transaction};
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, ShopperId, UserId};
use crate::money::Money;
use crate::privacy::requests::{self, Kind, OfficerView};
use crate::privacy::sharing;
use crate::storage::Storage;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What a person's written answers become.
pub const REMOVED: &str = "[removed at the shopper's request]";
/// What a person's name, address, email or phone become in others' words.
pub const STRUCK: &str = "[deleted person]";

/// What a deletion kept, and why, in the requester's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub what: String,
    pub why: String,
}

/// What the database part of a deletion did.
#[derive(Debug, Clone, Default)]
pub struct Erased {
    pub kept: Vec<Kept>,
    /// Storage keys of the person's files, to delete once the transaction commits.
    pub objects: Vec<String>,
    pub files: usize,
    pub cancelled: usize,
    pub notices: sharing::DeletionNotices,
}

impl Erased {
    /// The answer to the requester, in words.
    pub fn answer(&self) -> String {
        let mut out = String::from(
            "We deleted your account, your profile, your choices, the records of who viewed your data, your files and everything you wrote.",
        );
        if self.cancelled > 0 {
            out.push_str(&format!(
                " Your {} open assignment{} {} cancelled.",
                self.cancelled,
                if self.cancelled == 1 { "" } else { "s" },
                if self.cancelled == 1 { "was" } else { "were" }
            ));
        }
        if !self.notices.told.is_empty() {
            out.push_str(&format!(
                " We told {} to delete what we shared with them.",
                self.notices.told.join(", ")
            ));
        }
        if !self.notices.untold.is_empty() {
            out.push_str(&format!(
                " We hold no address for {}, which received data about you from us; we have no way to tell them.",
                self.notices.untold.join(", ")
            ));
        }
        out.push_str("\n\nWhat we keep, and why:");
        for k in &self.kept {
            out.push_str(&format!("\n- {}: {}", k.what, k.why));
        }
        out
    }
}

/// Replaces every occurrence of each identifier in `text` (any case), if any.
fn struck(text: &str, identifiers: &[String]) -> Option<String> {
    let mut out = text.to_string();
    let mut changed = false;
    for id in identifiers {
        if let Some(new) = crate::qa::service::redacted(&out, id) {
            out = new.replace(crate::qa::service::REDACTED, STRUCK);
            changed = true;
        }
    }
    changed.then_some(out)
}

/// Why a person is deleted: they asked, or the retention schedule's time came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Asked,
    Expired,
}

/// The database part of deleting `user`, in the caller's transaction.
pub fn erase_rows(
    conn: &mut DbConnection,
    user: UserId,
    why: Why,
    now: NaiveDateTime,
) -> AppResult<Erased> {
    let (email, role, erased_at): (String, String, Option<NaiveDateTime>) = users::table
        .filter(users::id.eq(user))
        .select((users::email, users::role, users::erased_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No account has this id."))?;
    if erased_at.is_some() {
        return Err(AppError::conflict(
            "erased",
            "This person's data was deleted already.",
        ));
    }
    if !matches!(
        Role::parse(&role),
        Some(Role::Shopper | Role::ClientReviewer)
    ) {
        return Err(AppError::conflict(
            "staff_record",
            "A staff account's data is an employment record: deny the request as exempt, or disable the account.",
        ));
    }
    let shopper = ShopperId::from(user);
    type Profile = (String, String, String, String, Option<String>, String);
    let profile: Option<Profile> = shoppers::table
        .filter(shoppers::user_id.eq(user))
        .select((
            shoppers::legal_name,
            shoppers::street,
            shoppers::zip,
            shoppers::city,
            shoppers::phone,
            shoppers::code,
        ))
        .first(conn)
        .optional()?;
    let mut identifiers = vec![email.clone()];
    if let Some((name, street, _, _, phone, _)) = &profile {
        identifiers.push(name.clone());
        identifiers.push(street.clone());
        identifiers.extend(phone.clone());
    }
    identifiers.retain(|i| i.trim().chars().count() >= 3);
    let mut done = Erased::default();

    // Exceptions: pay still owed, and tax records of payments made.
    let lines: Vec<(String, i64, Option<NaiveDateTime>)> = ledger_lines::table
        .filter(ledger_lines::shopper_id.eq(shopper))
        .select((
            ledger_lines::state,
            ledger_lines::amount_cents,
            ledger_lines::paid_at,
        ))
        .load(conn)?;
    let owed: i64 = lines
        .iter()
        .filter(|(state, _, _)| state == "pending" || state == "approved")
        .map(|(_, cents, _)| cents)
        .sum();
    let paid_years: std::collections::BTreeSet<i32> = lines
        .iter()
        .filter_map(|(_, _, paid)| paid.map(|p| chrono::Datelike::year(&p)))
        .collect();
    if owed > 0 {
        done.kept.push(Kept {
            what: format!("pay still owed to you ({})", Money::from_cents(owed)),
            why: "we keep your name, bank account and tax ID to pay it, then as tax law requires"
                .into(),
        });
    }
    if !paid_years.is_empty() {
        let years: Vec<String> = paid_years.iter().map(i32::to_string).collect();
        done.kept.push(Kept {
            what: format!("records of payments to you in {}", years.join(", ")),
            why: "tax law requires us to keep them with your name and tax ID for 7 years after the year paid; they are used for nothing else".into(),
        });
    }
    let keep_name = owed > 0 || !paid_years.is_empty();

    // Companies that received them are told, before the records of it go.
    done.notices = sharing::notify_deletion(conn, user, why == Why::Asked, now)?;

    // Assignments: the open ones are cancelled; their files go, with every other file.
    let theirs: Vec<(AssignmentId, State)> = assignments::table
        .filter(assignments::shopper_id.eq(shopper))
        .select((assignments::id, assignments::state))
        .load(conn)?;
    let reason = match why {
        Why::Asked => "cancelled: the shopper asked to be deleted",
        Why::Expired => "cancelled: the shopper left the panel",
    };
    for (id, state) in &theirs {
        if matches!(
            state,
            State::Requested | State::Offered | State::Accepted | State::Visited
        ) && crate::assignments::store::set_state(
            conn,
            *id,
            *state,
            State::Cancelled,
            Some(reason),
            now,
        )? {
            crate::assignments::store::add_event(
                conn,
                *id,
                State::Cancelled,
                None,
                Some(reason),
                now,
            )?;
            done.cancelled += 1;
        }
    }
    let ids: Vec<AssignmentId> = theirs.iter().map(|(id, _)| *id).collect();
    for chunk in ids.chunks(500) {
        let files: Vec<(Option<String>, Option<String>, Option<String>)> = media::table
            .filter(media::assignment_id.eq_any(chunk))
            .select((media::web_key, media::thumb_key, media::original_key))
            .load(conn)?;
        done.files += files.len();
        for (web, thumb, original) in files {
            done.objects
                .extend([web, thumb, original].into_iter().flatten());
        }
        diesel::delete(media::table.filter(media::assignment_id.eq_any(chunk))).execute(conn)?;
        // Their words: notes on their assignments, their edits' history.
        diesel::update(
            assignment_events::table.filter(assignment_events::assignment_id.eq_any(chunk)),
        )
        .set(assignment_events::note.eq(None::<String>))
        .execute(conn)?;
        diesel::update(
            assignments::table
                .filter(assignments::id.eq_any(chunk))
                .filter(assignments::reason.ne(reason)),
        )
        .set(assignments::reason.eq(None::<String>))
        .execute(conn)?;
        diesel::delete(report_edits::table.filter(report_edits::assignment_id.eq_any(chunk)))
            .execute(conn)?;
    }
    // Reports: drafts go; handed-in ones stay for the client without their words.
    for id in &ids {
        let Some(report) = crate::reports::store::find_report(conn, *id)? else {
            continue;
        };
        if report.status == crate::reports::store::ReportStatus::Draft {
            diesel::delete(review_events::table.filter(review_events::assignment_id.eq(id)))
                .execute(conn)?;
            diesel::delete(reports::table.filter(reports::assignment_id.eq(id))).execute(conn)?;
            continue;
        }
        let written = crate::qa::service::questionnaire_of(conn, *id)
            .map(|q| q.text_questions())
            .unwrap_or_default();
        let mut answers: crate::reports::Answers =
            serde_json::from_str(&report.answers).unwrap_or_default();
        for (name, answer) in answers.0.iter_mut() {
            if let crate::reports::Answer::Choice(text) = answer {
                if written.contains(name) && !text.is_empty() {
                    *text = REMOVED.to_string();
                } else if let Some(new) = struck(text, &identifiers) {
                    *text = new;
                }
            }
        }
        let answers = serde_json::to_string(&answers)
            .map_err(|e| AppError::internal(anyhow::anyhow!("report {id}: {e}")))?;
        let (review, comments): (Option<String>, Option<String>) = reports::table
            .filter(reports::assignment_id.eq(id))
            .select((reports::review, reports::revision_comments))
            .first(conn)?;
        let review = review.as_deref().and_then(|r| struck(r, &identifiers));
        let comments = comments.as_deref().and_then(|r| struck(r, &identifiers));
        diesel::update(reports::table.filter(reports::assignment_id.eq(id)))
            .set((
                reports::answers.eq(answers),
                reports::appeal.eq(None::<String>),
            ))
            .execute(conn)?;
        if let Some(review) = review {
            diesel::update(reports::table.filter(reports::assignment_id.eq(id)))
                .set(reports::review.eq(review))
                .execute(conn)?;
        }
        if let Some(comments) = comments {
            diesel::update(reports::table.filter(reports::assignment_id.eq(id)))
                .set(reports::revision_comments.eq(comments))
                .execute(conn)?;
        }
        let reasons: Vec<(i64, String)> = review_events::table
            .filter(review_events::assignment_id.eq(id))
            .filter(review_events::reason.is_not_null())
            .select((review_events::id, review_events::reason.assume_not_null()))
            .load(conn)?;
        for (event, reason) in reasons {
            if let Some(new) = struck(&reason, &identifiers) {
                diesel::update(review_events::table.find(event))
                    .set(review_events::reason.eq(new))
                    .execute(conn)?;
            }
        }
        let dispute: Option<(String, Option<String>)> = disputes::table
            .find(id)
            .select((disputes::reason, disputes::answer))
            .first(conn)
            .optional()?;
        if let Some((reason, answer)) = dispute {
            let reason = struck(&reason, &identifiers).unwrap_or(reason);
            let answer = answer.map(|a| struck(&a, &identifiers).unwrap_or(a));
            diesel::update(disputes::table.find(id))
                .set((disputes::reason.eq(reason), disputes::answer.eq(answer)))
                .execute(conn)?;
        }
    }
    if ids.iter().any(|id| {
        theirs
            .iter()
            .any(|(a, s)| a == id && matches!(s, State::Submitted))
    }) {
        let code = profile.as_ref().map_or("", |p| p.5.as_str());
        done.kept.push(Kept {
            what: format!("the reports you handed in, under your shopper code {code}"),
            why: "they are the clients' records of their stores' visits; they no longer hold your name, your files or anything you wrote".into(),
        });
    }

    // Everything else about them.
    diesel::delete(consents::table.filter(consents::user_id.eq(user))).execute(conn)?;
    diesel::delete(corrections::table.filter(corrections::user_id.eq(user.0))).execute(conn)?;
    diesel::delete(access_records::table.filter(access_records::subject_id.eq(user)))
        .execute(conn)?;
    diesel::delete(disclosures::table.filter(disclosures::subject_id.eq(user))).execute(conn)?;
    diesel::delete(share_rows::table.filter(share_rows::shopper_id.eq(user))).execute(conn)?;
    diesel::delete(certifications::table.filter(certifications::shopper_id.eq(shopper)))
        .execute(conn)?;
    diesel::delete(affiliations::table.filter(affiliations::shopper_id.eq(shopper)))
        .execute(conn)?;
    diesel::delete(
        shopper_status_changes::table.filter(shopper_status_changes::shopper_id.eq(shopper)),
    )
    .execute(conn)?;
    diesel::delete(ratings::table.filter(ratings::shopper_id.eq(shopper))).execute(conn)?;
    diesel::delete(citations::table.filter(citations::shopper_id.eq(shopper))).execute(conn)?;
    diesel::delete(disqualifications::table.filter(disqualifications::shopper_id.eq(shopper)))
        .execute(conn)?;
    diesel::delete(digests::table.filter(digests::user_id.eq(user))).execute(conn)?;
    diesel::update(batch_items::table.filter(batch_items::shopper_id.eq(shopper)))
        .set((
            batch_items::metres.eq(None::<i64>),
            batch_items::reason.eq(None::<String>),
        ))
        .execute(conn)?;
    let session_ids: Vec<i64> = sessions::table
        .filter(sessions::user_id.eq(user))
        .select(sessions::id)
        .load(conn)?;
    for chunk in session_ids.chunks(500) {
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(chunk)))
            .execute(conn)?;
    }
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)?;
    diesel::delete(one_time_tokens::table.filter(one_time_tokens::user_id.eq(user)))
        .execute(conn)?;

    // Mail: theirs goes; their identifiers are struck from mail to others.
    diesel::delete(mail_outbox::table.filter(mail_outbox::recipient.eq(&email))).execute(conn)?;
    for identifier in &identifiers {
        // A prefilter any database runs alike: the longest ASCII run of the identifier, in
        // lower case, against the body in lower case; `struck` then matches it exactly.
        let piece = identifier
            .split(|c: char| !c.is_ascii_alphanumeric())
            .max_by_key(|p| p.len())
            .unwrap_or("")
            .to_ascii_lowercase();
        if piece.len() < 3 {
            continue;
        }
        let rows: Vec<(i64, String)> = mail_outbox::table
            .filter(lower(mail_outbox::body_text).like(format!("%{piece}%")))
            .select((mail_outbox::id, mail_outbox::body_text))
            .load(conn)?;
        for (id, body) in rows {
            if let Some(new) = struck(&body, &identifiers) {
                diesel::update(mail_outbox::table.find(id))
                    .set(mail_outbox::body_text.eq(new))
                    .execute(conn)?;
            }
        }
    }

    // The profile, emptied (the name and tax ID stay where pay or tax law needs them).
    if let Some((name, ..)) = &profile {
        diesel::update(shoppers::table.filter(shoppers::user_id.eq(user)))
            .set((
                shoppers::status.eq("suspended"),
                shoppers::legal_name.eq(if keep_name {
                    name.as_str()
                } else {
                    "Deleted shopper"
                }),
                shoppers::street.eq(""),
                shoppers::city.eq(""),
                shoppers::state.eq(""),
                shoppers::zip.eq(""),
                shoppers::phone.eq(None::<String>),
                shoppers::date_of_birth.eq(None::<String>),
                shoppers::latitude.eq(0.0),
                shoppers::longitude.eq(0.0),
                shoppers::travel_radius_km.eq(0.0),
                shoppers::languages.eq("[]"),
                shoppers::vehicle.eq(false),
                shoppers::updated_at.eq(now),
                shoppers::status_changed_at.eq(now),
            ))
            .execute(conn)?;
        if owed == 0 {
            diesel::update(shoppers::table.filter(shoppers::user_id.eq(user)))
                .set(shoppers::bank_account.eq(None::<String>))
                .execute(conn)?;
        }
        if !keep_name {
            diesel::update(shoppers::table.filter(shoppers::user_id.eq(user)))
                .set(shoppers::tax_id.eq(None::<String>))
                .execute(conn)?;
        }
    }
    diesel::update(users::table.filter(users::id.eq(user)))
        .set((
            users::email.eq(format!("erased-{}@erased.invalid", user.0)),
            users::password_hash.eq("!"),
            users::disabled_at.eq(now),
            users::hot_alerts.eq(false),
            users::erased_at.eq(now),
        ))
        .execute(conn)?;
    let authorisations = requests::forget_requester(conn, user)?;
    done.objects.extend(authorisations);
    done.kept.push(Kept {
        what: "the record of this request".into(),
        why: "the law asks us to keep a record of privacy requests for 24 months; it holds no address or name, and is used for nothing else".into(),
    });
    Ok(done)
}

/// Completes deletion request `id`: the person is deleted, the request closed with the answer
/// (which names what was kept and why) and the answer mailed, the mail then leaving the outbox;
/// their files' objects and uploads in progress are deleted after the commit.
pub async fn complete(
    db: &DbPool,
    storage: &Storage,
    data_dir: &std::path::Path,
    by: UserId,
    id: i64,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    let note = note.trim().to_string();
    let (view, objects, subject) = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let row = requests::for_completion(conn, id)?;
                if row.kind() != Kind::Delete {
                    return Err(AppError::internal(anyhow::anyhow!(
                        "request {id} is not a deletion"
                    )));
                }
                let subject = row.subject_id.map(UserId).ok_or_else(|| {
                    AppError::conflict(
                        "no_account",
                        "No account matched this request, so there is nothing to delete: deny it as no_data.",
                    )
                })?;
                let erased = erase_rows(conn, subject, Why::Asked, now)?;
                let mut answer = erased.answer();
                if !note.is_empty() {
                    answer = format!("{note}\n\n{answer}");
                }
                requests::fulfil(conn, by, &row, &answer, true, now)?;
                let view = requests::find(conn, id, now)?;
                Ok((view, erased.objects, subject))
            })
        })
        .await?;
    for key in &objects {
        if let Err(e) = storage.delete(key).await {
            tracing::warn!(key, error = %e, "an object of a deleted person was left for the sweep");
        }
    }
    crate::media::tus::forget_person(data_dir, subject).await;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_struck_in_any_case_and_others_words_stay() {
        let ids = vec!["Ana Sharer".to_string(), "ana@example.com".to_string()];
        assert_eq!(
            struck("Spoke with ANA SHARER (ana@example.com) at the till.", &ids).as_deref(),
            Some("Spoke with [deleted person] ([deleted person]) at the till.")
        );
        assert_eq!(struck("The fries were cold.", &ids), None);
    }

    #[test]
    fn the_answer_names_what_was_kept_and_who_was_told() {
        let erased = Erased {
            kept: vec![Kept {
                what: "records of payments to you in 2026".into(),
                why: "tax law".into(),
            }],
            cancelled: 1,
            notices: sharing::DeletionNotices {
                told: vec!["Friendly Shops".into()],
                untold: vec![],
            },
            ..Erased::default()
        };
        let answer = erased.answer();
        assert!(answer.contains("Your 1 open assignment was cancelled."));
        assert!(answer.contains("We told Friendly Shops"));
        assert!(answer.contains("- records of payments to you in 2026: tax law"));
    }
}
