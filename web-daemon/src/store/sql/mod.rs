//! One SQL, two engines: the small connection API every repository is written against.
//!
//! Repositories hold the only SQL of pacerd, written once in the subset SQLite and PostgreSQL
//! share (`?N` placeholders, `ON CONFLICT`, `RETURNING`, `TRUE`/`FALSE`, `CASE`, `COALESCE`,
//! `CAST(… AS BIGINT)`); this module runs it on either engine. Its surface is rusqlite's
//! (`execute`, `query_row`, `prepare_cached` + `query_map`, `transaction`, `optional()`), so a
//! repository reads like plain rusqlite code and its tests run on both engines.
//!
//! - **SQLite** ([`Conn::Sqlite`]): a pooled rusqlite connection; statements prepared once per
//!   connection (`prepare_cached`).
//! - **PostgreSQL** ([`Conn::Postgres`]): a pooled synchronous `postgres` client; `?N` becomes `$N`
//!   once per statement and the prepared statement is kept per connection, so a repeated query
//!   costs one round trip.
//!
//! Values cross the seam as [`Datum`]s. PostgreSQL is strictly typed, so a
//! parameter is encoded as whatever type the server inferred for its placeholder (an `i64` bound
//! to an `INTEGER` column goes out as `int4`, a `bool` to `BOOLEAN`, an integer to `BOOLEAN` as
//! `<> 0`), and a column is read as the Rust type asked for (`BOOLEAN` reads as `i64` 0/1 too).
//! Aggregates that PostgreSQL widens to `NUMERIC` (`SUM` of `BIGINT`) are cast back with
//! `CAST(… AS BIGINT)` in the SQL.

mod pg;
mod pg_tls;
mod value;

use std::cell::RefCell;

pub use pg::{PgConn, PgManager};
pub use pg_tls::{PgTarget, PgTls, TlsRequest};
pub use value::{Datum, FromCell, ToParam};

/// Pooled SQLite connection.
pub type SqlitePooled = r2d2::PooledConnection<r2d2_sqlite::SqliteConnectionManager>;
/// Pooled PostgreSQL connection.
pub type PgPooled = r2d2::PooledConnection<PgManager>;

/// Errors of the SQL layer.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    /// A query that must answer a row answered none (see [`OptionalExtension`]).
    #[error("query returned no rows")]
    NoRows,
    /// A column could not be read as the Rust type asked for.
    #[error("column {index}: {message}")]
    Conversion { index: usize, message: String },
}

/// A PostgreSQL error with the server's message (the driver's `Display` says only "db error").
/// Never contains the password: the driver does not echo it.
pub fn postgres_message(e: &postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

impl SqlError {
    /// A conversion failure of column `index`.
    pub fn conversion(index: usize, message: impl std::fmt::Display) -> Self {
        Self::Conversion { index, message: message.to_string() }
    }

    /// Whether this is a UNIQUE / PRIMARY KEY violation (on either engine).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Self::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

/// Result of the SQL layer.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;

/// `.optional()` on a single-row result: no row → `None` (as rusqlite's extension).
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(SqlError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Parameters of one statement: `params![a, b]`.
#[macro_export]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::store::sql::ToParam] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::sql::ToParam),+] as &[&dyn $crate::store::sql::ToParam] };
}
pub use crate::sql_params as params;

/// Which engine a connection speaks (for the few statements that differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// One pooled connection of either engine.
pub enum Conn {
    Sqlite(SqlitePooled),
    Postgres(Box<RefCell<PgPooled>>),
}

/// A result row of either engine.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl Row<'_> {
    /// Column `index` as `T`.
    pub fn get<T: FromCell>(&self, index: usize) -> Result<T> {
        let cell = match self {
            Row::Sqlite(r) => Datum::from(r.get_ref(index)?),
            Row::Postgres(r) => r.try_get::<_, Datum<'_>>(index)?,
        };
        T::from_cell(cell).map_err(|m| SqlError::conversion(index, m))
    }
}

fn to_params<'a>(params: &'a [&'a dyn ToParam]) -> Vec<Datum<'a>> {
    params.iter().map(|p| p.to_param()).collect()
}

impl Conn {
    /// The engine of this connection.
    pub fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The rusqlite connection, for SQLite-only work (migrations, `PRAGMA`s, tests).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// Runs one statement; answers the rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn ToParam]) -> Result<usize> {
        let params = to_params(params);
        match self {
            Conn::Sqlite(c) => Ok(c.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params.iter()))?),
            Conn::Postgres(c) => {
                let mut c = c.borrow_mut();
                let n = c.execute(sql, &params)?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs several statements without parameters (schema work, `BEGIN`/`COMMIT`).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => Ok(c.borrow_mut().batch(sql)?),
        }
    }

    /// The first row mapped by `f`; no row → [`SqlError::NoRows`].
    pub fn query_row<T>(&self, sql: &str, params: &[&dyn ToParam], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        let params = to_params(params);
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)),
                    None => Err(SqlError::NoRows),
                }
            }
            Conn::Postgres(c) => {
                let rows = c.borrow_mut().query(sql, &params)?;
                match rows.first() {
                    Some(r) => f(&Row::Postgres(r)),
                    None => Err(SqlError::NoRows),
                }
            }
        }
    }

    /// Every row mapped by `f`, in order.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn ToParam],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let params = to_params(params);
        let mapped: Vec<Result<T>> = match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r)));
                }
                out
            }
            Conn::Postgres(c) => {
                let rows = c.borrow_mut().query(sql, &params)?;
                rows.iter().map(|r| f(&Row::Postgres(r))).collect()
            }
        };
        Ok(mapped.into_iter())
    }

    /// A statement to run (possibly many times); prepared and kept on first use.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt { conn: self, sql: sql.to_owned() })
    }

    /// Starts a deferred transaction (rolled back unless [`Tx::commit`]ted).
    pub fn transaction(&self) -> Result<Tx<'_>> {
        self.execute_batch("BEGIN")?;
        Ok(Tx { conn: self, open: true })
    }

    /// Starts a transaction that writes after it reads and must not interleave with another such
    /// transaction: `BEGIN IMMEDIATE` on SQLite (one writer at a time); on PostgreSQL a
    /// transaction holding one advisory lock that every immediate transaction of every replica
    /// takes (count-then-insert caps, one-time links and codes stay exact across replicas).
    pub fn transaction_immediate(&self) -> Result<Tx<'_>> {
        match self {
            Conn::Sqlite(_) => self.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Postgres(_) => {
                self.execute_batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({IMMEDIATE_LOCK})"))?
            }
        }
        Ok(Tx { conn: self, open: true })
    }
}

/// The advisory lock key of [`Conn::transaction_immediate`] on PostgreSQL ("pacer" in ASCII).
const IMMEDIATE_LOCK: i64 = 0x0070_6163_6572;

/// A statement of [`Conn::prepare_cached`].
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    /// See [`Conn::execute`].
    pub fn execute(&mut self, params: &[&dyn ToParam]) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    /// See [`Conn::query_map`].
    pub fn query_map<T>(
        &mut self,
        params: &[&dyn ToParam],
        f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        self.conn.query_map(&self.sql, params, f)
    }

    /// See [`Conn::query_row`].
    pub fn query_row<T>(&mut self, params: &[&dyn ToParam], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }
}

/// An open transaction; derefs to its [`Conn`]. Dropped without [`Tx::commit`] → rolled back.
pub struct Tx<'c> {
    conn: &'c Conn,
    open: bool,
}

impl Tx<'_> {
    /// Commits.
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("COMMIT")
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rollback failed");
        }
    }
}
