//! What must hold before the service starts: a writable data directory with its folders, and
//! an open, migrated database. A failure names the setting at fault, so that the command line
//! can say which one to change.

use std::time::Duration;

use crate::config::{MailUrl, Settings, StorageUrl};
use crate::db::{self, DbPool};

/// A failure to start, naming the setting at fault when there is one.
#[derive(Debug)]
pub struct StartupError {
    pub setting: Option<&'static str>,
    pub problem: String,
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.setting {
            Some(s) => write!(f, "{s}: {}", self.problem),
            None => f.write_str(&self.problem),
        }
    }
}

impl std::error::Error for StartupError {}

pub fn startup(setting: &'static str) -> impl Fn(String) -> StartupError {
    move |problem| StartupError {
        setting: Some(setting),
        problem,
    }
}

/// Creates the data directory and its folders, and checks that it is writable.
pub fn prepare_data_dir(settings: &Settings) -> Result<(), StartupError> {
    let dir = &settings.data_dir;
    let err = startup("INCOGNITO_DATA_DIR");
    if !dir.exists() {
        // Only the service's user may enter it: it holds the database, mail and keys.
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    }
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| err(format!("{} is not writable: {e}", dir.display())))?;
    if let StorageUrl::Folder(objects) = &settings.storage_url {
        std::fs::create_dir_all(objects).map_err(|e| {
            startup("INCOGNITO_STORAGE_URL")(format!("cannot create {}: {e}", objects.display()))
        })?;
    }
    if let MailUrl::Folder(outbox) = &settings.mail_url {
        std::fs::create_dir_all(outbox).map_err(|e| {
            startup("INCOGNITO_MAIL_URL")(format!("cannot create {}: {e}", outbox.display()))
        })?;
    }
    Ok(())
}

/// Opens the database and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<DbPool, StartupError> {
    let pool = DbPool::connect(
        &settings.database_url,
        settings.database_pool_size,
        Duration::from_secs(10),
    )
    .map_err(startup("INCOGNITO_DATABASE_URL"))?;
    let mut conn = pool
        .get()
        .map_err(|e| startup("INCOGNITO_DATABASE_URL")(format!("cannot connect: {e}")))?;
    let applied = db::run_migrations(&mut conn)
        .map_err(|e| startup("INCOGNITO_DATABASE_URL")(format!("migrations failed: {e:#}")))?;
    for name in &applied {
        tracing::info!(migration = %name, "migration applied");
    }
    let rekeyed = crate::organizations::store::rekey(&mut conn).map_err(|e| {
        startup("INCOGNITO_DATABASE_URL")(format!("organization keys not updated: {e}"))
    })?;
    if rekeyed.updated > 0 {
        tracing::info!(updated = rekeyed.updated, "organization name keys updated");
    }
    let keyed = crate::clients::store::key_store_names(&mut conn).map_err(|e| {
        startup("INCOGNITO_DATABASE_URL")(format!("store name keys not filled: {e}"))
    })?;
    if keyed > 0 {
        tracing::info!(stores = keyed, "store name keys filled");
    }
    for (newer, older) in &rekeyed.clashes {
        tracing::warn!(
            organization = newer,
            same_as = older,
            "two organizations are one company under the new name rules; merge them"
        );
    }
    Ok(pool)
}
