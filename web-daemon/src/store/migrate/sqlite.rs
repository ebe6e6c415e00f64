//! The migrator on SQLite (the embedded default).

use rusqlite::{Connection, params};

use super::{Applied, Backend, EMBEDDED, Migration, Plan, PostgresMigrator, Record, Row, Status};
use crate::store::StoreError;

/// Applies and reverts a set of SQLite migrations.
#[derive(Debug, Clone)]
pub struct Migrator {
    plan: Plan,
}

impl Migrator {
    /// The embedded SQLite set (`migrations/sqlite/`).
    pub fn embedded() -> Self {
        Self::new(EMBEDDED.to_vec())
    }

    /// The embedded PostgreSQL set (`migrations/postgres/`), run on a `postgres::Client`.
    pub fn postgres() -> PostgresMigrator {
        PostgresMigrator::embedded()
    }

    /// A custom set (tests); sorted by version.
    pub fn new(migrations: Vec<Migration>) -> Self {
        Self { plan: Plan::new(migrations) }
    }

    /// Refuses when an applied migration's file changed since it ran.
    pub fn verify(&self, conn: &Connection) -> Result<(), StoreError> {
        self.plan.verify(&mut Sqlite(conn))
    }

    /// Applies pending migrations up to `to` (all when `None`).
    pub fn up(&self, conn: &mut Connection, to: Option<u32>) -> Result<Vec<Applied>, StoreError> {
        self.plan.up(&mut Sqlite(conn), to)
    }

    /// Reverts applied migrations above `to` (to 0 = everything), newest first.
    pub fn down(&self, conn: &mut Connection, to: u32) -> Result<Vec<Applied>, StoreError> {
        self.plan.down(&mut Sqlite(conn), to)
    }

    /// Every known migration with its applied time, if applied.
    pub fn status(&self, conn: &Connection) -> Result<Vec<Status>, StoreError> {
        self.plan.status(&mut Sqlite(conn))
    }
}

/// A SQLite connection as the migrator's [`Backend`].
struct Sqlite<'a>(&'a Connection);

impl Backend for Sqlite<'_> {
    fn ensure_table(&mut self) -> Result<(), StoreError> {
        self.0.execute_batch(
            "CREATE TABLE IF NOT EXISTS migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                checksum   TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )",
        )?;
        Ok(())
    }

    fn rows(&mut self) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.0.prepare("SELECT version, checksum, applied_at FROM migrations ORDER BY version")?;
        let rows =
            stmt.query_map([], |r| Ok(Row { version: r.get(0)?, checksum: r.get(1)?, applied_at: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn run(&mut self, script: &str, record: Record<'_>) -> Result<(), String> {
        let run = || -> rusqlite::Result<()> {
            let tx = self.0.unchecked_transaction()?;
            tx.execute_batch(script)?;
            match record {
                Record::Insert { version, name, checksum, applied_at } => tx.execute(
                    "INSERT INTO migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                    params![version, name, checksum, applied_at],
                )?,
                Record::Delete { version } => tx.execute("DELETE FROM migrations WHERE version = ?1", [version])?,
            };
            tx.commit()
        };
        run().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'migrations' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    fn versions(conn: &Connection) -> Vec<u32> {
        Sqlite(conn).rows().unwrap().iter().map(|r| r.version).collect()
    }

    fn mem() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        c
    }

    #[test]
    fn fresh_apply_then_noop() {
        let mut c = mem();
        let m = Migrator::embedded();
        assert_eq!(m.up(&mut c, None).unwrap().len(), EMBEDDED.len());
        assert!(m.up(&mut c, None).unwrap().is_empty());
        assert!(m.status(&c).unwrap().iter().all(|s| s.applied_at.is_some()));
    }

    #[test]
    fn broken_migration_rolls_back_and_names_file() {
        let mut c = mem();
        let mut set = EMBEDDED[..2].to_vec();
        set.push(Migration {
            version: 3,
            name: "broken",
            up: "CREATE TABLE half_done (id INTEGER); INSERT INTO nope VALUES (1);",
            down: "",
        });
        set.push(EMBEDDED[3]);
        let before = {
            let m = Migrator::new(EMBEDDED[..2].to_vec());
            m.up(&mut c, None).unwrap();
            schema(&c)
        };
        let err = Migrator::new(set).up(&mut c, None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("003_broken.sql"), "{msg}");
        assert!(msg.contains("no such table: nope"), "{msg}");
        assert_eq!(schema(&c), before, "failed migration left schema changes behind");
        assert_eq!(versions(&c), vec![1, 2], "nothing after the failure may run");
    }

    #[test]
    fn down_and_up_again() {
        let mut c = mem();
        let m = Migrator::embedded();
        m.up(&mut c, None).unwrap();
        let full = schema(&c);
        let reverted = m.down(&mut c, 1).unwrap();
        assert_eq!(
            reverted.iter().map(|a| a.version).collect::<Vec<_>>(),
            EMBEDDED.iter().map(|m| m.version).filter(|v| *v >= 2).rev().collect::<Vec<_>>()
        );
        assert!(!schema(&c).iter().any(|s| s.contains("tenant")));
        m.up(&mut c, None).unwrap();
        assert_eq!(schema(&c), full);
    }

    #[test]
    fn edited_applied_file_is_refused() {
        let mut c = mem();
        Migrator::embedded().up(&mut c, None).unwrap();
        let mut edited = EMBEDDED.to_vec();
        edited[1].up = "-- edited\nSELECT 1;";
        let err = Migrator::new(edited).up(&mut c, None).unwrap_err();
        assert!(matches!(err, StoreError::ChecksumMismatch { ref file } if file == "002_add_tenants.sql"));
    }
}
