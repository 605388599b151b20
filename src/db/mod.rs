//! The database: one connection type over SQLite and PostgreSQL, the pool, and the migrations.
//!
//! The backend is chosen by the URL's scheme (see `config::DatabaseUrl`). Stores take
//! `&mut DbConnection` and return `QueryResult`, so the same function runs in or out of a
//! transaction and on either backend.

pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;
use crate::error::{AppError, AppResult};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Whose rows a per-shopper query reads: everyone's, a list's, or those of the shoppers whose
/// ids lie in a range, both ends included (the live index loads the panel a range at a time).
#[derive(Debug, Clone, Copy)]
pub enum Whose<'a> {
    Everyone,
    Only(&'a [crate::ids::ShopperId]),
    Between(crate::ids::ShopperId, crate::ids::ShopperId),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Opens connections of the backend the URL names; SQLite ones get their pragmas every time.
#[derive(Debug, Clone)]
pub struct DbConnectionManager {
    url: DatabaseUrl,
}

impl DbConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for DbConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                diesel::PgConnection::establish(&with_connect_timeout(url.expose()))
                    .map(DbConnection::Postgresql)
                    .map_err(r2d2::Error::ConnectionError)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: switching to WAL itself may wait for another writer.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// The connection pool, cheap to clone.
#[derive(Clone)]
pub struct DbPool {
    inner: r2d2::Pool<DbConnectionManager>,
    backend: &'static str,
    /// One permit a connection, handed out first come, first served: r2d2 wakes waiters in no
    /// order, so under load some requests waited seconds while others went through.
    turns: std::sync::Arc<tokio::sync::Semaphore>,
}

impl DbPool {
    /// Opens the pool and checks that one connection works, within `timeout`.
    pub fn connect(url: &DatabaseUrl, size: u32, timeout: Duration) -> Result<Self, String> {
        let backend = url.backend_name();
        let manager = DbConnectionManager::new(url.clone());
        // Connect once directly: r2d2 would retry until the timeout and then hide the cause.
        let mut first = manager.connect().map_err(|e| describe_connect_error(&e))?;
        manager
            .is_valid(&mut first)
            .map_err(|e| describe_connect_error(&e))?;
        drop(first);
        let inner = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .build(manager)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            inner,
            backend,
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(size as usize)),
        })
    }

    pub fn get(&self) -> Result<r2d2::PooledConnection<DbConnectionManager>, r2d2::PoolError> {
        self.inner.get()
    }

    /// Checks that the database answers, waiting at most `timeout` for a connection.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let pool = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            pool.get_timeout(timeout)
                .is_ok_and(|mut conn| conn.batch_execute("SELECT 1").is_ok())
        })
        .await
        .unwrap_or(false)
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// (connections open, connections idle, maximum).
    pub fn usage(&self) -> (u32, u32, u32) {
        let state = self.inner.state();
        (
            state.connections,
            state.idle_connections,
            self.inner.max_size(),
        )
    }

    /// Runs blocking database work on the blocking thread pool, with a pooled connection.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.inner.clone();
        let turn = self
            .turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        // The request's span goes along, so log lines from the work carry its request id.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            let done = work(&mut conn);
            // The connection goes back before the turn passes on.
            drop(conn);
            drop(turn);
            done
        })
        .await?
    }
}

/// Adds `connect_timeout=10` unless the URL sets one: an unreachable host that drops packets
/// would otherwise hold the start (or a request) for minutes.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=10")
    } else {
        format!("{url}?connect_timeout=10")
    }
}

diesel::define_sql_function!(
    /// Lower case, for searching text without regard to case on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// A `LIKE` pattern (escape `\\`) that finds `text` anywhere, in lower case: match it against
/// `lower(column)`.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A transaction that will write. On SQLite it takes the write lock at its first statement:
/// a deferred transaction that reads and then writes fails at once ("database is locked")
/// when another connection wrote in between, and waiting (busy_timeout) cannot help it.
/// On PostgreSQL it is a plain transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction::<T, E, _>(|conn| {
        if matches!(conn, DbConnection::Sqlite(_)) {
            // A write that changes nothing still takes the lock (waiting up to busy_timeout).
            conn.batch_execute("UPDATE users SET id = id WHERE 0")?;
        }
        work(conn)
    })
}

fn describe_connect_error(e: &r2d2::Error) -> String {
    let text = e.to_string();
    let text = text.trim().replace('\n', " ");
    format!("cannot connect to the database: {text}")
}

/// Applies the migrations this binary carries that the database lacks; returns their names.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .iter()
            .map(ToString::to_string)
            .collect(),
        DbConnection::Postgresql(c) => {
            // Several app servers may start together: one migrates, the others wait.
            c.batch_execute("SELECT pg_advisory_lock(727300001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .map_err(|e| anyhow::anyhow!("{e}"));
            c.batch_execute("SELECT pg_advisory_unlock(727300001)")?;
            result?
        }
    };
    Ok(applied)
}

/// The database's own list of its tables and their columns, for the data inventory check.
pub fn list_columns(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name
             FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
               AND m.name <> '__diesel_schema_migrations'
             ORDER BY 1, 2"
        }
        DbConnection::Postgresql(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name
             FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND table_name <> '__diesel_schema_migrations'
             ORDER BY 1, 2"
        }
    };
    let rows: Vec<Column> = diesel::sql_query(sql).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|c| (c.table_name, c.column_name))
        .collect())
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::internal(anyhow::anyhow!("{e}"))
    }
}

pub use crate::ids::UnknownStored;
