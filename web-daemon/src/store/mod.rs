//! The SQLite store: one pooled database file, migrations, and small repository modules.
//!
//! SQL lives in this module tree and nowhere else. Repository functions are plain synchronous
//! functions over a `&Connection` (easy to compose in one transaction); async callers run them
//! off the runtime with [`Store::call`]. Every function that reads or writes tenant data takes a
//! [`TenantId`](pacer_shared::TenantId) by type.

pub mod a2a;
pub mod activities;
pub mod activity_streams;
pub mod analytics;
pub mod api_keys;
pub mod athlete_settings;
pub mod authz;
pub mod cache_windows;
pub mod login_links;
pub mod migrate;
pub mod oauth_apps;
pub mod oauth_states;
pub mod tenants;
pub mod tokens;
pub mod usage;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::auth::key_cache::KeyCache;

pub use tokens::TokenRow;

/// Pooled SQLite connections.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;
/// One connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<SqliteConnectionManager>;

/// Errors of the store layer. `Display` is safe to show to an operator (no secrets).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(String),
    #[error("migration {file} failed: {message}")]
    Migration { file: String, message: String },
    #[error(
        "migration {file} was edited after it was applied (checksum mismatch); applied migrations \
         must never change: restore the file or add a new migration"
    )]
    ChecksumMismatch { file: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("blocking task failed: {0}")]
    Join(String),
    /// The database or its directory is reachable by someone else.
    #[error("refusing to open the database: {0}")]
    Insecure(String),
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    path: PathBuf,
    /// Validated API keys (see [`KeyCache`]): beside the pool so every holder of the store
    /// validates, and revokes, through the same cache.
    keys: std::sync::Arc<KeyCache>,
    /// One permit per pooled connection: callers queue here (async) rather than as blocking
    /// threads contending for the pool.
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Pooled connections (and so store calls running at once).
const POOL_SIZE: u32 = 8;

/// Prepared statements kept per pooled connection (more than the store's distinct statements).
const STATEMENT_CACHE: usize = 256;

/// Busy timeout for writers waiting on the WAL lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens (creating if needed) the database at `path` with WAL, foreign keys and a busy
    /// timeout on every pooled connection. Does not migrate: call [`Store::migrate`].
    ///
    /// The database, WAL and shared-memory files must be regular files of ours and are made 0600
    /// when they are not (checked before opening and again once WAL has created its files).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        secure_files(path)?;
        // WAL is a property of the database file: switch it once, on one connection, before the
        // pool opens several at once (concurrent switches race for the lock on a new file).
        {
            let c = Connection::open(path)?;
            c.busy_timeout(BUSY_TIMEOUT)?;
            c.execute_batch("PRAGMA journal_mode = WAL;")?;
        }
        secure_files(path)?;
        let manager = SqliteConnectionManager::file(path).with_init(|c| {
            c.busy_timeout(BUSY_TIMEOUT)?;
            // Every repository statement stays prepared (rusqlite keeps 16 by default; a
            // statement evicted from the cache is parsed and planned again on its next use).
            c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        });
        let pool =
            r2d2::Pool::builder().max_size(POOL_SIZE).connection_timeout(Duration::from_secs(10)).build(manager)?;
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(POOL_SIZE as usize));
        Ok(Self { pool, path: path.to_path_buf(), keys: Default::default(), permits })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The validated-key cache shared by every clone of this store.
    pub fn keys(&self) -> &KeyCache {
        &self.keys
    }

    /// A pooled connection for synchronous callers (CLI, benches, migrations).
    pub fn conn(&self) -> Result<PooledConn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Applies every pending embedded migration (see [`migrate`]).
    pub fn migrate(&self) -> Result<Vec<migrate::Applied>, StoreError> {
        let mut conn = self.conn()?;
        migrate::Migrator::embedded().up(&mut conn, None)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(|e| StoreError::Join(e.to_string()))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }
}

/// Refuses any database file (db, `-wal`, `-shm`) that is not a regular file of ours (a symlink,
/// another user's file) and tightens the others to 0600. The home itself (0700) is checked by
/// `ipc::socket::ensure_home_dir` before the daemon or a migration opens the store.
fn secure_files(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let insecure = |m: String| StoreError::Insecure(m);
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        let meta = match std::fs::symlink_metadata(&file) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(insecure(format!("{}: {e}", file.display()))),
        };
        if !meta.file_type().is_file() || meta.uid() != me {
            return Err(insecure(format!("{} is not a regular file owned by this user", file.display())));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| insecure(format!("cannot chmod 600 {}: {e}", file.display())))?;
            tracing::warn!(file = %file.display(), mode = %format!("{mode:o}"), "database file was open to others; now 0600");
        }
    }
    Ok(())
}

/// Current UTC time as RFC 3339 with a `Z` suffix, the format of every `*_at` text column.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Current UNIX time in seconds.
pub fn now_epoch() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh random id (UUID v4 text).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Reads a provider name column as a [`pacer_shared::ProviderId`]; an unknown name is a
/// conversion error (only pacer writes these columns).
pub(crate) fn provider_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<pacer_shared::ProviderId> {
    let name: String = row.get(index)?;
    name.parse()
        .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into()))
}
