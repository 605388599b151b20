//! Mail: a durable outbox table and a background sender.
//!
//! Flows put messages in the outbox inside their own transaction, so a message exists exactly
//! when the change that caused it does. The sender claims due messages, delivers them through
//! lettre (files in an outbox folder by default, SMTP in production) and retries failures with
//! exponential backoff. A claim expires, so a sender that dies mid-way leaves nothing stuck; a
//! message is marked sent right after the server accepts it.

pub mod sender;
pub mod store;

use std::sync::Arc;

use tokio::sync::Notify;

pub use sender::{MailTransport, RetryPolicy, run_sender};

/// A message to put in the outbox.
#[derive(Clone)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies carry single-use links; recipients are personal data.
        f.debug_struct("Outgoing")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Wakes the sender when something was queued, so mail leaves at once rather than at the next poll.
#[derive(Clone, Default)]
pub struct MailWaker(Arc<Notify>);

impl MailWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub async fn woken(&self) {
        self.0.notified().await;
    }
}
