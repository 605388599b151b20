//! Mail about assignments, put in the outbox inside the transaction of the change it tells
//! about. Offers and the daily digest are optional (the shopper's `job_offer_emails` and
//! `daily_digest` consents) and carry an unsubscribe link; confirmations, reminders, lapsed
//! offers and taken-back visits are part of the service and always sent.

use crate::ids::{ShopperId, UserId};
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use url::Url;

use super::model::AssignmentRow;
use crate::auth::service::Auth;
use crate::clients::store as clients;
use crate::db::DbConnection;
use crate::db::schema::users;
use crate::error::AppResult;
use crate::keys::Keys;
use crate::mail::{Outgoing, store as outbox};
use crate::privacy::consent::{self, Purpose};
use crate::zones::Locale;

/// What mail needs: where the service is, and the key that signs unsubscribe links.
#[derive(Clone)]
pub struct Notifier {
    pub public_url: Url,
    pub keys: Arc<Keys>,
    /// The unit and zone of the words it writes (mail, and the reasons of a refused move).
    pub locale: Locale,
}

impl Notifier {
    pub fn new(auth: &Auth, locale: Locale) -> Self {
        Self {
            public_url: auth.public_url.clone(),
            keys: auth.keys.clone(),
            locale,
        }
    }

    /// The same notifier, its reasons in `unit`: the JSON API words distances in kilometres, as
    /// its numbers are.
    pub fn in_unit(mut self, unit: crate::units::DistanceUnit) -> Self {
        self.locale.unit = unit;
        self
    }

    fn page(&self, path: &str) -> String {
        self.public_url
            .join(path)
            .map_or_else(|_| path.to_string(), |u| u.to_string())
    }

    fn unsubscribe_token(&self, user_id: UserId, purpose: Purpose) -> String {
        let value = format!("{user_id}.{}", purpose.as_str());
        let mac = self.keys.keyed_hash("unsubscribe", &value);
        format!("{value}.{mac}")
    }

    /// A link that turns `purpose` off for the user, after one click on the page it opens.
    pub fn unsubscribe_link(&self, user_id: UserId, purpose: Purpose) -> String {
        let mut url = self
            .public_url
            .join("unsubscribe")
            .unwrap_or_else(|_| self.public_url.clone());
        url.query_pairs_mut()
            .append_pair("token", &self.unsubscribe_token(user_id, purpose));
        url.to_string()
    }

    /// The user and purpose of a genuine unsubscribe token.
    pub fn check_unsubscribe(&self, token: &str) -> Option<(UserId, Purpose)> {
        let mut parts = token.splitn(3, '.');
        let user_id: UserId = parts.next()?.parse().ok()?;
        let purpose = Purpose::parse(parts.next()?)?;
        let mac = parts.next()?;
        let expected = self.unsubscribe_token(user_id, purpose);
        let expected_mac = expected.rsplit('.').next()?;
        // Constant-time enough for a hex MAC of fixed length: compare every byte.
        let same = mac.len() == expected_mac.len()
            && mac
                .bytes()
                .zip(expected_mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        same.then_some((user_id, purpose))
    }

    /// Carries out a genuine unsubscribe token: records a no to its purpose, from the link.
    /// `None` when the token is not genuine or its account is gone (deleted since the mail).
    pub fn unsubscribe(
        &self,
        conn: &mut DbConnection,
        token: &str,
        now: NaiveDateTime,
    ) -> AppResult<Option<Purpose>> {
        let Some((user_id, purpose)) = self.check_unsubscribe(token) else {
            return Ok(None);
        };
        crate::db::write_transaction(conn, |conn| {
            if crate::auth::store::find_user(conn, user_id)
                .optional()?
                .is_none()
            {
                return Ok(None);
            }
            consent::record(
                conn,
                user_id,
                purpose,
                false,
                consent::Source::UnsubscribeLink,
                now,
            )?;
            Ok(Some(purpose))
        })
    }
}

fn email_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<String> {
    users::table.find(user_id).select(users::email).first(conn)
}

/// The job's lines of a mail: code, area, window, fee.
fn job_lines(conn: &mut DbConnection, row: &AssignmentRow) -> AppResult<String> {
    let job = clients::find_job(conn, row.job_id)?;
    let location = clients::find_location(conn, job.location_id)?;
    Ok(format!(
        "Job {} in {}, {}\nWindow: {} to {}\nFee: {}{}\n",
        job.code,
        location.city,
        location.state,
        job.window_start,
        job.window_end,
        job.fee_cents,
        if !job.bonus_cents.is_zero() {
            format!(" + bonus {}", job.bonus_cents)
        } else {
            String::new()
        }
    ))
}

fn send(
    conn: &mut DbConnection,
    user_id: UserId,
    subject: String,
    body: String,
    now: NaiveDateTime,
) -> AppResult<()> {
    let to = email_of(conn, user_id)?;
    outbox::enqueue(conn, &Outgoing { to, subject, body }, now)?;
    Ok(())
}

impl Notifier {
    /// An applicant approved: they are on the panel and may take jobs now. A service mail,
    /// sent whatever the mail choices (it is about the account itself).
    pub fn approved(
        &self,
        conn: &mut DbConnection,
        shopper_id: ShopperId,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let body = format!(
            "Hello,\n\nWelcome to the panel: your application is approved, and you may take jobs now.\n\n\
             The jobs near you that you qualify for:\n{}\n\n\
             Keep your profile up to date, so that the jobs you see fit you:\n{}\n\n— Incognito\n",
            self.page("shopper/jobs"),
            self.page("shopper/profile"),
        );
        send(
            conn,
            shopper_id.into(),
            "You are on the panel".into(),
            body,
            now,
        )
    }

    /// An offer, with the page to accept it, if the shopper wants offer mail.
    pub fn offer_made(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        if !consent::current(conn, row.shopper_id.into(), Purpose::JobOfferEmails)? {
            return Ok(());
        }
        let zone = crate::panel::store::zone_of(conn, row.shopper_id, &self.locale)?;
        let deadline = row
            .offer_expires_at
            .map(|d| format!("Please answer by {}.\n", crate::zones::shown(d, zone)))
            .unwrap_or_default();
        let body = format!(
            "Hello,\n\nA job is offered to you:\n\n{}\n{deadline}Accept or decline it here:\n{}\n\n\
             You get this mail because you asked for job offers by email. To stop them:\n{}\n\n— Incognito\n",
            job_lines(conn, row)?,
            self.page("shopper/assignments"),
            self.unsubscribe_link(row.shopper_id.into(), Purpose::JobOfferEmails),
        );
        send(
            conn,
            row.shopper_id.into(),
            "A job is offered to you".into(),
            body,
            now,
        )
    }

    /// A service mail about one job: `intro`, the job's lines, then `after`.
    fn about_job(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        subject: &str,
        intro: &str,
        after: &str,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let body = format!(
            "Hello,\n\n{intro}\n\n{}\n{after}\n\n— Incognito\n",
            job_lines(conn, row)?
        );
        send(conn, row.shopper_id.into(), subject.into(), body, now)
    }

    /// The job is the shopper's: accepted, assigned by staff or taken themselves.
    pub fn confirmed(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let after = format!(
            "The store's address and your calendar file are on your assignments page:\n{}",
            self.page("shopper/assignments")
        );
        let intro = "The job is yours:";
        self.about_job(
            conn,
            row,
            "Your assignment is confirmed",
            intro,
            &after,
            now,
        )
    }

    /// The offer lapsed unanswered.
    pub fn expired(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let after = format!("More jobs near you:\n{}", self.page("shopper/jobs"));
        let intro = "The offer of this job lapsed because it was not accepted in time:";
        self.about_job(conn, row, "A job offer has expired", intro, &after, now)
    }

    /// A day before the window ends, the visit not reported yet.
    pub fn reminder(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let after = format!(
            "Please make the visit and report it on your assignments page:\n{}",
            self.page("shopper/assignments")
        );
        let intro = "The window of this job ends tomorrow:";
        self.about_job(
            conn,
            row,
            "Reminder: your visit is due tomorrow",
            intro,
            &after,
            now,
        )
    }

    /// The window ended and the visit is not reported.
    pub fn overdue(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        grace_days: i64,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let after = format!(
            "If you made the visit, report it now on your assignments page:\n{}\nAfter {grace_days} days the job is taken back and noted on your record.",
            self.page("shopper/assignments")
        );
        let intro = "The window of this job has ended and the visit is not reported:";
        self.about_job(conn, row, "Your visit is overdue", intro, &after, now)
    }

    /// The visit was overdue past the grace period and the job was taken back.
    pub fn taken_back(
        &self,
        conn: &mut DbConnection,
        row: &AssignmentRow,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let intro = "Nothing was reported for this job by the end of its window and the grace period after it, so it was taken back and noted on your record:";
        let after = "If this is a mistake, reply to your scheduler.";
        self.about_job(
            conn,
            row,
            "An overdue assignment was taken back",
            intro,
            after,
            now,
        )
    }

    /// New jobs near the shopper (already filtered to those they may take).
    pub fn digest(
        &self,
        conn: &mut DbConnection,
        shopper_id: ShopperId,
        jobs: &[super::board::JobCard],
        now: NaiveDateTime,
    ) -> AppResult<()> {
        let mut lines = String::new();
        for j in jobs {
            lines.push_str(&format!(
                "- {} in {} ({} km), {} to {}, fee {}\n  {}\n",
                j.code,
                j.area,
                j.distance_km,
                j.window_start,
                j.window_end,
                j.fee_cents,
                self.page(&format!("shopper/jobs/{}", j.id)),
            ));
        }
        let body = format!(
            "Hello,\n\nNew jobs near you that you can take:\n\n{lines}\nYou get this digest because you asked for it. To stop it:\n{}\n\n— Incognito\n",
            self.unsubscribe_link(shopper_id.into(), Purpose::DailyDigest),
        );
        let n = jobs.len();
        send(
            conn,
            shopper_id.into(),
            format!("{n} new job{} near you", if n == 1 { "" } else { "s" }),
            body,
            now,
        )
    }
}
