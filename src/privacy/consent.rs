//! The consent ledger: one row for every yes or no a person gives to one purpose, never
//! changed or deleted while the account exists. The current choice is the latest row; no row
//! means no.

use crate::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::schema::consents;

/// The version of the privacy notice and shopper agreement shown with every choice.
pub const NOTICE_VERSION: &str = "2026-11-23";

/// What a person may say yes or no to. Every purpose defaults to no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Name and street address shared with friendly competitor companies.
    ShareNameAddress,
    /// Email and phone shared with friendly competitor companies (a separate, explicit yes).
    ShareContact,
    /// Emails offering a job.
    JobOfferEmails,
    /// The daily digest of new jobs nearby.
    DailyDigest,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::ShareNameAddress,
        Purpose::ShareContact,
        Purpose::JobOfferEmails,
        Purpose::DailyDigest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::ShareNameAddress => "share_name_address",
            Purpose::ShareContact => "share_contact",
            Purpose::JobOfferEmails => "job_offer_emails",
            Purpose::DailyDigest => "daily_digest",
        }
    }

    pub fn parse(value: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == value)
    }

    /// The choice named in a few words, as the history lists it.
    pub fn words(self) -> &'static str {
        match self {
            Purpose::ShareNameAddress => "sharing my name and street address",
            Purpose::ShareContact => "sharing my email and phone",
            Purpose::JobOfferEmails => "emails about job offers",
            Purpose::DailyDigest => "the daily digest of new jobs",
        }
    }

    /// What saying yes means, in the words the forms show.
    pub fn explanation(self) -> &'static str {
        match self {
            Purpose::ShareNameAddress => {
                "Share my name and street address with friendly mystery-shopping companies, so they can offer me work."
            }
            Purpose::ShareContact => {
                "Also share my email address and phone number with those companies."
            }
            Purpose::JobOfferEmails => "Email me when a job is offered to me.",
            Purpose::DailyDigest => "Email me a daily digest of new jobs near me.",
        }
    }
}

/// Where a choice was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SignUp,
    Profile,
    Api,
    /// A browser's Global Privacy Control signal, taken as a no to sharing.
    GlobalPrivacyControl,
    /// The unsubscribe link of a mail.
    UnsubscribeLink,
    /// A privacy request (an opt-out of sharing).
    PrivacyRequest,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::SignUp,
        Source::Profile,
        Source::Api,
        Source::GlobalPrivacyControl,
        Source::UnsubscribeLink,
        Source::PrivacyRequest,
    ];

    /// Where the choice was made, in words.
    pub fn words(self) -> &'static str {
        match self {
            Source::SignUp => "when I signed up",
            Source::Profile => "on these pages",
            Source::Api => "through the API",
            Source::GlobalPrivacyControl => "my browser's privacy signal (GPC)",
            Source::UnsubscribeLink => "the unsubscribe link in a mail",
            Source::PrivacyRequest => "my privacy request",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::SignUp => "signup",
            Source::Profile => "profile",
            Source::Api => "api",
            Source::GlobalPrivacyControl => "gpc",
            Source::UnsubscribeLink => "unsubscribe_link",
            Source::PrivacyRequest => "privacy_request",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = consents)]
pub struct ConsentRecord {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub user_id: UserId,
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    pub notice_version: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub recorded_at: NaiveDateTime,
}

impl ConsentRecord {
    /// The choice in words (the stored name where it is not known).
    pub fn purpose_words(&self) -> &str {
        match Purpose::parse(&self.purpose) {
            Some(p) => p.words(),
            None => &self.purpose,
        }
    }

    /// Where it was made, in words (the stored name where it is not known).
    pub fn source_words(&self) -> &str {
        match Source::ALL.into_iter().find(|s| s.as_str() == self.source) {
            Some(s) => s.words(),
            None => &self.source,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = consents)]
struct NewConsent<'a> {
    user_id: UserId,
    purpose: &'a str,
    granted: bool,
    source: &'a str,
    notice_version: &'a str,
    recorded_at: NaiveDateTime,
}

/// Appends a choice to the ledger, unless it repeats the current one.
pub fn record(
    conn: &mut DbConnection,
    user_id: UserId,
    purpose: Purpose,
    granted: bool,
    source: Source,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let before = latest(conn, user_id, purpose)?;
    if before == Some(granted) {
        return Ok(false);
    }
    // A sharing consent withdrawn: every earlier recipient is told to stop and delete.
    if before == Some(true)
        && !granted
        && matches!(purpose, Purpose::ShareNameAddress | Purpose::ShareContact)
    {
        super::sharing::notify_withdrawal(conn, user_id, purpose, now)?;
    }
    insert(conn, user_id, purpose, granted, source, now)?;
    Ok(true)
}

fn insert(
    conn: &mut DbConnection,
    user_id: UserId,
    purpose: Purpose,
    granted: bool,
    source: Source,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values(NewConsent {
            user_id,
            purpose: purpose.as_str(),
            granted,
            source: source.as_str(),
            notice_version: NOTICE_VERSION,
            recorded_at: now,
        })
        .execute(conn)
        .map(|_| ())
}

/// A Global Privacy Control signal on a signed-in shopper's request: an opt-out of both kinds
/// of sharing, recorded as the signal's, which overrides an earlier yes (earlier recipients are
/// told to stop). Recorded once: while the latest choice is already the signal's no, nothing is
/// written; a request without the signal changes nothing. Answers whether it wrote.
pub fn honour_signal(
    conn: &mut DbConnection,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let sharing = [Purpose::ShareNameAddress, Purpose::ShareContact];
    let rows: Vec<(String, bool, String)> = consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::purpose.eq_any(sharing.map(Purpose::as_str)))
        .order(consents::id.desc())
        .select((consents::purpose, consents::granted, consents::source))
        .load(conn)?;
    let signal_already = |p: Purpose| {
        rows.iter()
            .find(|(purpose, _, _)| purpose == p.as_str())
            .is_some_and(|(_, granted, source)| {
                !granted && source == Source::GlobalPrivacyControl.as_str()
            })
    };
    let due: Vec<Purpose> = sharing
        .into_iter()
        .filter(|p| !signal_already(*p))
        .collect();
    if due.is_empty() {
        return Ok(false);
    }
    crate::db::write_transaction(conn, |conn| {
        for purpose in due {
            if current(conn, user_id, purpose)? {
                super::sharing::notify_withdrawal(conn, user_id, purpose, now)?;
            }
            insert(
                conn,
                user_id,
                purpose,
                false,
                Source::GlobalPrivacyControl,
                now,
            )?;
        }
        Ok(true)
    })
}

/// When the browser's privacy signal was last recorded in a ledger (oldest first), if ever.
pub fn signal_seen(history: &[ConsentRecord]) -> Option<NaiveDateTime> {
    history
        .iter()
        .rev()
        .find(|r| r.source == Source::GlobalPrivacyControl.as_str())
        .map(|r| r.recorded_at)
}

/// What a Global Privacy Control signal means for choices a person sends: a yes to sharing
/// is refused (the signal is a no, and we honour it), and each no to sharing is recorded as
/// the signal's. The one rule for the API and the pages alike.
pub fn honour_gpc(
    choices: Vec<(Purpose, bool)>,
    signal: bool,
    source: Source,
) -> Result<Vec<(Purpose, bool, Source)>, crate::error::AppError> {
    let sharing = |p: Purpose| matches!(p, Purpose::ShareNameAddress | Purpose::ShareContact);
    if let Some((purpose, _)) = choices
        .iter()
        .find(|(p, yes)| signal && *yes && sharing(*p))
    {
        return Err(crate::error::AppError::field(purpose.as_str(), GPC_REFUSAL));
    }
    Ok(choices
        .into_iter()
        .map(|(p, yes)| {
            let source = if signal && sharing(p) {
                Source::GlobalPrivacyControl
            } else {
                source
            };
            (p, yes, source)
        })
        .collect())
}

pub const GPC_REFUSAL: &str = "Your browser sends a Global Privacy Control signal, which we honour \
    as a no to sharing. To share, turn the signal off in your browser first.";

/// Records several choices in one transaction.
pub fn record_choices(
    conn: &mut DbConnection,
    user_id: UserId,
    choices: &[(Purpose, bool, Source)],
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        for (purpose, granted, source) in choices {
            record(conn, user_id, *purpose, *granted, *source, now)?;
        }
        Ok(())
    })
}

/// The person's latest recorded choice for `purpose`, if any.
fn latest(conn: &mut DbConnection, user_id: UserId, purpose: Purpose) -> QueryResult<Option<bool>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .filter(consents::purpose.eq(purpose.as_str()))
        .order(consents::id.desc())
        .select(consents::granted)
        .first(conn)
        .optional()
}

/// The person's current choice for `purpose`: the latest row, or no.
pub fn current(conn: &mut DbConnection, user_id: UserId, purpose: Purpose) -> QueryResult<bool> {
    latest(conn, user_id, purpose).map(|g| g.unwrap_or(false))
}

/// Every purpose with the current choice.
pub fn all_current(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<(Purpose, bool)>> {
    Ok(current_from(&history(conn, user_id)?))
}

/// Every purpose with its current choice, from a person's ledger (oldest first).
pub fn current_from(history: &[ConsentRecord]) -> Vec<(Purpose, bool)> {
    Purpose::ALL
        .into_iter()
        .map(|p| {
            let granted = history
                .iter()
                .rev()
                .find(|r| r.purpose == p.as_str())
                .is_some_and(|r| r.granted);
            (p, granted)
        })
        .collect()
}

/// The whole ledger of one person, oldest first.
pub fn history(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<ConsentRecord>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::id.asc())
        .select(ConsentRecord::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_privacy_signal_refuses_a_yes_to_sharing_and_keeps_other_choices() {
        let yes_to_sharing = vec![
            (Purpose::JobOfferEmails, true),
            (Purpose::ShareContact, true),
        ];
        let refused = honour_gpc(yes_to_sharing.clone(), true, Source::Profile).unwrap_err();
        assert_eq!(refused.fields[0].field, "share_contact");
        // Without the signal the same choices are recorded as sent.
        let kept = honour_gpc(yes_to_sharing, false, Source::Profile).unwrap();
        assert!(kept.iter().all(|(_, yes, s)| *yes && *s == Source::Profile));
        // With it, a no to sharing is the signal's; other purposes keep their source.
        let noes = honour_gpc(
            vec![
                (Purpose::ShareNameAddress, false),
                (Purpose::DailyDigest, true),
            ],
            true,
            Source::Api,
        )
        .unwrap();
        assert_eq!(
            noes[0],
            (
                Purpose::ShareNameAddress,
                false,
                Source::GlobalPrivacyControl
            )
        );
        assert_eq!(noes[1], (Purpose::DailyDigest, true, Source::Api));
    }
}
