//! The migrator on PostgreSQL.
//!
//! Several replicas may start at once on one database: every command holds a session advisory
//! lock ([`LOCK_KEY`]) from before it creates the `migrations` table until it is done, so the
//! second one waits and then finds the migrations already applied. Each migration still runs in
//! its own transaction with its `migrations` row (PostgreSQL's DDL is transactional).

use postgres::{Client, Transaction};

use super::{Applied, Backend, EMBEDDED_POSTGRES, Migration, Plan, Record, Row, Status};
use crate::store::StoreError;
use crate::store::sql::postgres_message;

/// The advisory lock key of schema migrations (`pg_advisory_lock`): ASCII "pacermig".
pub const LOCK_KEY: i64 = 0x7061_6365_726d_6967;

/// Applies and reverts a set of PostgreSQL migrations.
#[derive(Debug, Clone)]
pub struct PostgresMigrator {
    plan: Plan,
}

impl PostgresMigrator {
    /// The embedded PostgreSQL set (`migrations/postgres/`).
    pub fn embedded() -> Self {
        Self::new(EMBEDDED_POSTGRES.to_vec())
    }

    /// A custom set (tests); sorted by version.
    pub fn new(migrations: Vec<Migration>) -> Self {
        Self { plan: Plan::new(migrations) }
    }

    /// Refuses when an applied migration's file changed since it ran.
    pub fn verify(&self, client: &mut Client) -> Result<(), StoreError> {
        locked(client, |db| self.plan.verify(db))
    }

    /// Applies pending migrations up to `to` (all when `None`).
    pub fn up(&self, client: &mut Client, to: Option<u32>) -> Result<Vec<Applied>, StoreError> {
        locked(client, |db| self.plan.up(db, to))
    }

    /// Reverts applied migrations above `to` (to 0 = everything), newest first.
    pub fn down(&self, client: &mut Client, to: u32) -> Result<Vec<Applied>, StoreError> {
        locked(client, |db| self.plan.down(db, to))
    }

    /// Every known migration with its applied time, if applied.
    pub fn status(&self, client: &mut Client) -> Result<Vec<Status>, StoreError> {
        locked(client, |db| self.plan.status(db))
    }
}

fn db_err(e: postgres::Error) -> StoreError {
    StoreError::from(e)
}

/// Runs `f` holding the migration lock; the lock is released whatever `f` returns (and by the
/// server if the connection drops).
fn locked<T>(client: &mut Client, f: impl FnOnce(&mut Pg<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY]).map_err(db_err)?;
    let out = f(&mut Pg(client));
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).map_err(db_err);
    let out = out?;
    unlocked?;
    Ok(out)
}

/// A PostgreSQL client as the migrator's [`Backend`].
struct Pg<'a>(&'a mut Client);

impl Backend for Pg<'_> {
    fn ensure_table(&mut self) -> Result<(), StoreError> {
        // Checked first (under the lock): `IF NOT EXISTS` alone logs a notice on every run.
        let exists: bool = self
            .0
            .query_one("SELECT to_regclass('migrations') IS NOT NULL", &[])
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        if exists {
            return Ok(());
        }
        self.0
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS migrations (
                    version    BIGINT PRIMARY KEY,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )",
            )
            .map_err(db_err)
    }

    fn rows(&mut self) -> Result<Vec<Row>, StoreError> {
        let rows = self
            .0
            .query("SELECT version, checksum, applied_at FROM migrations ORDER BY version", &[])
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let version: i64 = r.try_get(0).map_err(db_err)?;
                Ok(Row {
                    version: u32::try_from(version)
                        .map_err(|_| StoreError::Invalid(format!("migrations row with version {version}")))?,
                    checksum: r.try_get(1).map_err(db_err)?,
                    applied_at: r.try_get(2).map_err(db_err)?,
                })
            })
            .collect()
    }

    fn run(&mut self, script: &str, record: Record<'_>) -> Result<(), String> {
        let run = |tx: &mut Transaction<'_>| -> Result<(), postgres::Error> {
            tx.batch_execute(script)?;
            match record {
                Record::Insert { version, name, checksum, applied_at } => tx.execute(
                    "INSERT INTO migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                    &[&i64::from(version), &name, &checksum, &applied_at],
                )?,
                Record::Delete { version } => {
                    tx.execute("DELETE FROM migrations WHERE version = $1", &[&i64::from(version)])?
                }
            };
            Ok(())
        };
        let mut tx = self.0.transaction().map_err(|e| postgres_message(&e))?;
        run(&mut tx).map_err(|e| postgres_message(&e))?;
        tx.commit().map_err(|e| postgres_message(&e))
    }
}
