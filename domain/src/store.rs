//! The database handle: one pool over SQLite or PostgreSQL through sqlx's `Any` driver, so the
//! same portable SQL (`$1` placeholders, TEXT ids, BIGINT times and flags) runs on both.

use crate::{DomainError, Result};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The migrations folder at the top of the workspace, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Connect to `url` (`sqlite://…` or `postgres://…`). SQLite files are created when missing
    /// and put in WAL mode so the CLI can work on the data directory while the server runs.
    pub async fn connect(url: &str) -> Result<Db> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DomainError::invalid("DATABASE_URL", "must start with sqlite:// or postgres://"));
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.max_connections(8).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Per-connection settings: wait for a writer rather than fail at once,
                    // and NORMAL sync, which is durable in WAL mode.
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            });
        } else {
            options = options.max_connections(16);
        }
        let pool =
            options.connect(url).await.map_err(|e| DomainError::Internal(format!("cannot open database: {e}")))?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file, so setting it once is enough.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        Ok(Db { pool, backend })
    }

    /// The default SQLite URL for a data directory.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("gatehouse.db").display())
    }

    /// Begin a transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first cannot then write once another
    /// connection (a gateway's heartbeat, say) has written meanwhile — SQLite refuses at once,
    /// busy timeout or not — while one that starts as the writer waits its turn.
    pub async fn begin(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Apply every migration not yet applied. Safe to call on each start.
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }
}

/// Now, as Unix milliseconds: the one time format stored.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `term` with `%`, `_` and `\` escaped, to be matched literally in a LIKE pattern written
/// with `ESCAPE '\\'`.
pub(crate) fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A new time-ordered id (UUIDv7) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
