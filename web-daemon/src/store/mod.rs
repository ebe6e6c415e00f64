//! The store: SQLite (one pooled file, the embedded default) or PostgreSQL (shared by replicas),
//! migrations, and small repository modules.
//!
//! SQL lives in this module tree and nowhere else, written once for both engines ([`sql`]).
//! Repository functions are plain synchronous functions over a `&Conn` (easy to compose in one
//! transaction); async callers run them off the runtime with [`Store::call`]. Every function that
//! reads or writes tenant data takes a [`TenantId`](pacer_shared::TenantId) by type.

pub mod a2a;
pub mod a2a_tasks;
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
pub mod pending_flows;
pub mod replicas;
pub mod sql;
pub mod tenants;
pub mod tokens;
pub mod usage;
pub mod usage_writer;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
pub use sql::{Conn, Engine, OptionalExtension, Row, SqlError, Tx, params};

use crate::auth::key_cache::KeyCache;

pub use tokens::TokenRow;

/// Pooled SQLite connections.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;
/// Pooled PostgreSQL connections.
pub type PgPool = r2d2::Pool<sql::PgManager>;

/// The pool of one engine.
#[derive(Clone)]
enum Backend {
    Sqlite(Pool),
    Postgres(PgPool),
}

/// Where PostgreSQL is and how to reach it (TLS or not), for the pool and the connections
/// outside it (the invalidation listener).
pub use sql::{PgTarget, PgTls};

/// Errors of the store layer. `Display` is safe to show to an operator (no secrets).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database: {0}")]
    Sql(#[from] SqlError),
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
    /// A secret could not be sealed for storage (a server fault, never the caller's input).
    #[error("sealing a secret for storage failed: {0}")]
    Seal(String),
    /// The database or its directory is reachable by someone else.
    #[error("refusing to open the database: {0}")]
    Insecure(String),
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// The SQLite file (none on PostgreSQL).
    path: Option<PathBuf>,
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
        Ok(Self::with_backend(Backend::Sqlite(pool), Some(path.to_path_buf())))
    }

    /// Connects to PostgreSQL (a pool of [`POOL_SIZE`] connections, each keeping its prepared
    /// statements). Does not migrate: call [`Store::migrate`].
    pub fn open_postgres(target: &PgTarget) -> Result<Self, StoreError> {
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(Duration::from_secs(10))
            .build(sql::PgManager::new(target.clone()))?;
        Ok(Self::with_backend(Backend::Postgres(pool), None))
    }

    /// Starts this replica's invalidation listener (PostgreSQL; see [`replicas`]). Call once, on
    /// the daemon's runtime.
    pub fn listen_for_invalidations(&self, target: &PgTarget) {
        if self.engine() == Engine::Postgres {
            replicas::spawn_listener(target.clone(), self.keys.clone());
        }
    }

    fn with_backend(backend: Backend, path: Option<PathBuf>) -> Self {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(POOL_SIZE as usize));
        Self { backend, path, keys: Default::default(), permits }
    }

    /// The SQLite database file (`None` on PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite(_) => Engine::Sqlite,
            Backend::Postgres(_) => Engine::Postgres,
        }
    }

    /// The validated-key cache shared by every clone of this store.
    pub fn keys(&self) -> &KeyCache {
        &self.keys
    }

    /// A pooled connection for synchronous callers (CLI, benches, migrations).
    pub fn conn(&self) -> Result<Conn, StoreError> {
        Ok(match &self.backend {
            Backend::Sqlite(pool) => Conn::Sqlite(pool.get()?),
            Backend::Postgres(pool) => Conn::Postgres(Box::new(std::cell::RefCell::new(pool.get()?))),
        })
    }

    /// Applies every pending embedded migration (see [`migrate`]).
    pub fn migrate(&self) -> Result<Vec<migrate::Applied>, StoreError> {
        match self.conn()? {
            Conn::Sqlite(mut conn) => migrate::Migrator::embedded().up(&mut conn, None),
            Conn::Postgres(conn) => migrate::Migrator::postgres().up(conn.borrow_mut().client(), None),
        }
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<R, StoreError> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(|e| StoreError::Join(e.to_string()))?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = store.conn()?;
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
pub(crate) fn provider_column(row: &Row<'_>, index: usize) -> sql::Result<pacer_shared::ProviderId> {
    let name: String = row.get(index)?;
    name.parse().map_err(|e: String| SqlError::conversion(index, e))
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(SqlError::Sqlite(e))
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        Self::Sql(SqlError::Postgres(e))
    }
}
