//! Throttling that a stranger cannot turn against an account's owner: OWASP's device cookies
//! for sign-in, and per-address limits on the requests that send mail.
//!
//! A browser or client that signs in to an account receives a **device token** (the
//! `incognito_device` cookie on the pages, `device_token` in the API's answer, sent back with
//! the next sign-in). Failed sign-ins are then counted:
//! - with a valid device token of that account: per device token only, so strangers' failures,
//!   and an address the owner shares with them, never slow the owner's own browser;
//! - without one: per account and client address, per account over every client it does not
//!   know (a higher limit, against guessing from many addresses), and per client address over
//!   every account (against trying one password on many accounts).
//!
//! An attempt is written before it is checked, so parallel guesses cannot all slip past the
//! check; one answered 429 is taken back at once, so refused attempts never count and a lock
//! ends when its window has passed, however often a stranger keeps knocking.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use super::service::Auth;
use super::store;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::keys::{constant_time_eq, random_token};

/// How long a device token lets its browser past strangers' locks.
pub const DEVICE_TOKEN_DAYS: i64 = 365;

/// At most `max` attempts under `subject` within `window`.
#[derive(Debug, Clone)]
pub struct Limit {
    pub subject: String,
    pub max: u32,
    pub window: TimeDelta,
}

/// What a 429 says was refused.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub code: &'static str,
    pub what: &'static str,
}

pub const SIGN_IN_REFUSED: Refusal = Refusal {
    code: "too_many_attempts",
    what: "Too many failed sign-ins to this account from here; browsers and apps that signed in to it before still get in.",
};

impl Limit {
    fn new(subject: String, max: u32, window: std::time::Duration) -> Self {
        Self {
            subject,
            max,
            window: as_delta(window),
        }
    }
}

/// A window as a `TimeDelta` (the settings keep it far below where the conversion fails).
fn as_delta(window: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(window).unwrap_or(TimeDelta::minutes(15))
}

/// Which requests a per-address limit counts; each kind has its own count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    SignUp,
    PasswordReset,
    ConfirmationLink,
    /// A privacy request through the public form (it mails the address typed).
    PrivacyRequest,
}

impl Request {
    pub fn refusal(self) -> Refusal {
        Refusal {
            code: "too_many_requests",
            what: match self {
                Self::SignUp => "Too many sign-ups from your network in the last hour.",
                Self::PasswordReset => {
                    "Too many password-reset requests from your network in the last hour."
                }
                Self::ConfirmationLink => {
                    "Too many requests for confirmation links from your network in the last hour."
                }
                Self::PrivacyRequest => {
                    "Too many privacy requests from your network in the last hour."
                }
            },
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::SignUp => "signup",
            Self::PasswordReset => "reset",
            Self::ConfirmationLink => "confirm",
            Self::PrivacyRequest => "privacy",
        }
    }
}

/// The keyed hash of a client address. An IPv6 address counts by its /64 network: one
/// subscriber usually holds a whole /64, and would otherwise have 2^64 addresses to rotate.
fn address_key(auth: &Auth, address: &str) -> String {
    let network = match address.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.to_string(),
    };
    auth.keys.keyed_hash("throttle-address", &network)
}

/// The limits of requests of `kind` from one client address: an hour's window.
pub fn request_limits(auth: &Auth, kind: Request, address: &str) -> Vec<Limit> {
    vec![Limit::new(
        format!("{}:{}", kind.key(), address_key(auth, address)),
        auth.limits.requests_per_address_per_hour,
        std::time::Duration::from_secs(3600),
    )]
}

/// The limits a sign-in to `email` counts against. `device` is the device token's subject
/// when the client showed a valid token of this account.
pub fn sign_in_limits(auth: &Auth, email: &str, address: &str, device: Option<&str>) -> Vec<Limit> {
    let l = &auth.limits;
    let account = auth.keys.keyed_hash("throttle-account", email);
    match device {
        Some(device) => vec![Limit::new(
            format!("device:{device}"),
            l.failures_per_client,
            l.failure_window,
        )],
        None => {
            let address = address_key(auth, address);
            vec![
                Limit::new(
                    format!("account-address:{account}:{address}"),
                    l.failures_per_client,
                    l.failure_window,
                ),
                Limit::new(
                    unknown_clients_subject(&account),
                    l.unknown_failures_per_account,
                    l.failure_window,
                ),
                Limit::new(
                    format!("address:{address}"),
                    l.failures_per_address,
                    l.failure_window,
                ),
            ]
        }
    }
}

fn unknown_clients_subject(account_key: &str) -> String {
    format!("account:{account_key}")
}

/// The subject counting an account's failures from clients it does not know.
pub fn unknown_clients_of(auth: &Auth, email: &str) -> String {
    unknown_clients_subject(&auth.keys.keyed_hash("throttle-account", email))
}

/// Records this attempt under each limit's subject and returns the ids written; when a limit
/// is exceeded, takes them back and answers 429 with the seconds until one more is allowed.
pub fn admit(
    conn: &mut DbConnection,
    limits: &[Limit],
    refusal: Refusal,
    t: NaiveDateTime,
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(limits.len());
    let mut wait = 0i64;
    for limit in limits {
        ids.push(store::record_attempt(conn, &limit.subject, t)?);
        let since = t - limit.window;
        let count = store::attempts_since(conn, &limit.subject, since)?;
        let max = i64::from(limit.max);
        if count > max {
            // Allowed again when enough of the oldest attempts have left the window that one
            // more stays within the limit (the one just written is not among them: it goes).
            if let Some(at) = store::nth_attempt_since(conn, &limit.subject, since, count - max)? {
                wait = wait.max((at + limit.window - t).num_seconds() + 1);
            }
        }
    }
    if wait > 0 {
        store::delete_attempts(conn, &ids)?;
        return Err(AppError::too_many_requests(
            refusal.code,
            refusal.what,
            u64::try_from(wait).unwrap_or(1),
        ));
    }
    Ok(ids)
}

/// The attempts recorded under `subject` within `window` before `t`.
pub fn count(
    conn: &mut DbConnection,
    subject: &str,
    window: std::time::Duration,
    t: NaiveDateTime,
) -> AppResult<i64> {
    Ok(store::attempts_since(conn, subject, t - as_delta(window))?)
}

fn device_mac(auth: &Auth, user: UserId, nonce: &str, issued: i64) -> String {
    auth.keys
        .keyed_hash("device-token", &format!("{user}.{nonce}.{issued}"))
}

/// A new device token for `user`: `d1.<nonce>.<issued unix seconds>.<keyed hash>`. Nothing of
/// it is stored; it is checked by recomputing the hash.
pub fn issue_device_token(auth: &Auth, user: UserId, t: DateTime<Utc>) -> String {
    let nonce = random_token(12);
    let issued = t.timestamp();
    let mac = device_mac(auth, user, &nonce, issued);
    format!("d1.{nonce}.{issued}.{mac}")
}

/// The subject of a device token when it is `user`'s and younger than a year; None otherwise.
pub fn device_subject(auth: &Auth, user: UserId, token: &str, t: DateTime<Utc>) -> Option<String> {
    let mut parts = token.split('.');
    let (Some("d1"), Some(nonce), Some(issued), Some(mac), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let issued: i64 = issued.parse().ok()?;
    let age = t.timestamp() - issued;
    if !(0..=DEVICE_TOKEN_DAYS * 24 * 3600).contains(&age) {
        return None;
    }
    let expected = device_mac(auth, user, nonce, issued);
    constant_time_eq(expected.as_bytes(), mac.as_bytes())
        .then(|| auth.keys.keyed_hash("throttle-device", nonce))
}
