//! What every handler may reach: settings, the database pool, the clock, accounts, the mail
//! waker, metrics and this server's live matching index. It sits above the domain modules and
//! below the routes and pages; `app` builds it and wires the routes around it.

use std::sync::Arc;

use crate::auth::Auth;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::DbPool;
use crate::mail::MailWaker;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DbPool,
    /// The time every domain decision reads: the system clock, or a test clock tests move.
    pub clock: Clock,
    pub auth: Auth,
    pub mail: MailWaker,
    pub metrics: Arc<Metrics>,
    /// This server's live matching index (see `assignments::live`).
    pub live: Arc<crate::assignments::live::Live>,
    /// Where receipts, photos and recordings are kept: a folder or an S3 bucket.
    pub storage: crate::storage::Storage,
}

impl AppState {
    /// The mail and the words of assignment moves, in this panel's unit and zone.
    pub fn notifier(&self) -> crate::assignments::notify::Notifier {
        crate::assignments::notify::Notifier::new(&self.auth, self.settings.locale())
    }
}
