//! The background sender: claims due messages, delivers them, retries with backoff.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, TimeDelta};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use tokio::sync::watch;

use super::MailWaker;
use super::store::{self, OutboxMessage};
use crate::clock::Clock;
use crate::config::{MailUrl, SettingError};
use crate::db::DbPool;

/// How long a claimed message is reserved for one sender.
const CLAIM_LEASE: TimeDelta = TimeDelta::seconds(120);
/// Sent and failed messages are deleted after this long.
pub const OUTBOX_RETENTION_DAYS: i64 = 30;

pub enum MailTransport {
    /// Files in a folder, which is kept too, to apply the outbox's retention to the files.
    Folder(FileTransport, PathBuf),
    Smtp(Box<SmtpTransport>),
}

impl MailTransport {
    /// The transport a mail URL names; `ca_file` adds a root certificate for SMTP over TLS.
    pub fn from_settings(url: &MailUrl, ca_file: Option<&Path>) -> Result<Self, SettingError> {
        match url {
            MailUrl::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    SettingError::new(
                        "INCOGNITO_MAIL_URL",
                        format!("cannot create {}: {e}", dir.display()),
                    )
                })?;
                Ok(MailTransport::Folder(FileTransport::new(dir), dir.clone()))
            }
            MailUrl::Smtp(url) => {
                let url_error = |e: &dyn std::fmt::Display| {
                    SettingError::new("INCOGNITO_MAIL_URL", format!("not a usable SMTP URL: {e}"))
                };
                let mut builder = SmtpTransport::from_url(url.expose())
                    .map_err(|e| url_error(&e))?
                    .timeout(Some(Duration::from_secs(15)));
                if let Some(ca_file) = ca_file {
                    let parsed = url::Url::parse(url.expose()).map_err(|e| url_error(&e))?;
                    builder = builder.tls(tls_with_root(&parsed, ca_file)?);
                }
                Ok(MailTransport::Smtp(Box::new(builder.build())))
            }
        }
    }

    fn send(&self, message: &Message) -> Result<(), Failure> {
        match self {
            MailTransport::Folder(t, _) => t
                .send(message)
                .map(|_| ())
                .map_err(|e| Failure::Transient(e.to_string())),
            MailTransport::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| classify(&e)),
        }
    }
}

/// The TLS mode of the URL (`smtps://` → TLS, `?tls=required` → STARTTLS, `?tls=opportunistic`),
/// trusting the certificate in `ca_file` besides the public roots.
fn tls_with_root(url: &url::Url, ca_file: &Path) -> Result<Tls, SettingError> {
    let setting = "INCOGNITO_MAIL_CA_FILE";
    let pem = std::fs::read(ca_file).map_err(|e| {
        SettingError::new(setting, format!("cannot read {}: {e}", ca_file.display()))
    })?;
    let certificate = Certificate::from_pem(&pem).map_err(|e| {
        SettingError::new(
            setting,
            format!("{} is not a PEM certificate: {e}", ca_file.display()),
        )
    })?;
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let parameters = TlsParameters::builder(host.to_string())
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|e| SettingError::new(setting, format!("cannot set up TLS: {e}")))?;
    let mode = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    Ok(match (url.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(parameters),
        (_, Some("required")) => Tls::Required(parameters),
        (_, Some("opportunistic")) => Tls::Opportunistic(parameters),
        _ => Tls::None,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    pub poll: Duration,
}

impl RetryPolicy {
    /// base · 2^(attempts), capped at max.
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let factor = 2u32.saturating_pow(u32::try_from(attempts.clamp(0, 30)).unwrap_or(30));
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// Runs until `shutdown` turns true: delivers what is due, then sleeps until woken or the poll.
pub async fn run_sender(
    pool: DbPool,
    transport: MailTransport,
    from: Mailbox,
    policy: RetryPolicy,
    waker: MailWaker,
    clock: Clock,
    mut shutdown: watch::Receiver<bool>,
) {
    let transport = std::sync::Arc::new(transport);
    let mut last_purge: Option<NaiveDateTime> = None;
    loop {
        let (p, t, f, c) = (pool.clone(), transport.clone(), from.clone(), clock.clone());
        let outcome =
            tokio::task::spawn_blocking(move || deliver_due(&p, &t, &f, policy, &c)).await;
        match outcome {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "mail sender could not reach the outbox"),
            Err(e) => tracing::error!(error = %e, "mail sender task failed"),
        }
        let now = clock.naive();
        if last_purge.is_none_or(|at| now - at > TimeDelta::hours(1)) {
            last_purge = Some(now);
            let (p, t2) = (pool.clone(), transport.clone());
            let _ = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut conn = p.get()?;
                let mut purged = store::purge_finished_before(
                    &mut conn,
                    now - TimeDelta::days(OUTBOX_RETENTION_DAYS),
                )?;
                if let MailTransport::Folder(_, dir) = t2.as_ref() {
                    purged += purge_old_files(dir, OUTBOX_RETENTION_DAYS);
                }
                if purged > 0 {
                    tracing::info!(purged, "old outbox messages deleted");
                }
                Ok(())
            })
            .await;
        }
        tokio::select! {
            _ = waker.woken() => {}
            _ = tokio::time::sleep(policy.poll) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

/// Deletes `.eml` files older than `days` from the outbox folder; returns how many.
fn purge_old_files(dir: &Path, days: i64) -> usize {
    let max_age = std::time::Duration::from_secs(u64::try_from(days).unwrap_or(30) * 86_400);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > max_age)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// One round: claims one due message at a time (so a claim never outlives its lease while
/// others wait their turn), sends it, records the outcome. Returns how many were sent.
pub fn deliver_due(
    pool: &DbPool,
    transport: &MailTransport,
    from: &Mailbox,
    policy: RetryPolicy,
    clock: &Clock,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    loop {
        let now = clock.naive();
        // Millisecond precision: the lease is compared for equality, and PostgreSQL keeps
        // microseconds where chrono has nanoseconds.
        let lease = (now + CLAIM_LEASE).trunc_subsecs(3);
        let message = {
            let mut conn = pool.get()?;
            store::claim_next(&mut conn, now, lease)?
        };
        let Some(message) = message else {
            return Ok(sent);
        };
        let result = build(&message, from).and_then(|m| transport.send(&m));
        let mut conn = pool.get()?;
        let now = clock.naive();
        let recorded = match &result {
            Ok(()) => {
                sent += 1;
                tracing::info!(outbox_id = message.id, "mail sent");
                store::mark_sent(&mut conn, message.id, lease, now)?
            }
            Err(Failure::Final(error)) => {
                tracing::warn!(outbox_id = message.id, %error, "mail refused for good");
                store::mark_failed(&mut conn, message.id, lease, now, error)?
            }
            Err(Failure::Transient(error)) => {
                let delay = policy.delay_after(message.attempts);
                let next = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1));
                tracing::warn!(
                    outbox_id = message.id,
                    attempts = message.attempts + 1,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    %error,
                    "mail not sent, will retry"
                );
                store::mark_retry(&mut conn, message.id, lease, next, error)?
            }
        };
        if !recorded {
            tracing::error!(
                outbox_id = message.id,
                "the claim on a message expired while it was being sent"
            );
        }
    }
}

/// Why a message did not leave.
enum Failure {
    /// The server refused this recipient or message for good (5.1.x address errors, 5.5.2-3).
    Final(String),
    /// Anything else: connection, TLS, authentication, temporary refusals. Tried again later.
    Transient(String),
}

/// Only refusals that concern this message are final; a wrong SMTP password (535) or a
/// server refusing everything must not discard the queue.
fn classify(error: &lettre::transport::smtp::Error) -> Failure {
    let code = error.status().map(u16::from);
    match code {
        Some(550..=553) | Some(501) | Some(554) if error.is_permanent() => {
            Failure::Final(error.to_string())
        }
        _ => Failure::Transient(error.to_string()),
    }
}

fn build(message: &OutboxMessage, from: &Mailbox) -> Result<Message, Failure> {
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| Failure::Final(format!("bad recipient: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        // A stable Message-ID lets a receiving server or person spot a duplicate.
        .message_id(Some(format!("<{}@incognito>", message.message_id)))
        .header(ContentType::TEXT_PLAIN)
        .body(message.body_text.clone())
        .map_err(|e| Failure::Final(format!("cannot build the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_secs(5),
            max: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        };
        assert_eq!(p.delay_after(0), Duration::from_secs(5));
        assert_eq!(p.delay_after(1), Duration::from_secs(10));
        assert_eq!(p.delay_after(3), Duration::from_secs(40));
        assert_eq!(p.delay_after(4), Duration::from_secs(60));
        assert_eq!(p.delay_after(1000), Duration::from_secs(60));
    }
}
