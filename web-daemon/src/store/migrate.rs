//! Schema migrations: numbered SQL files embedded at build time.
//!
//! `migrations(version, name, checksum, applied_at)` records what ran. Pending files are applied
//! in version order, each in its own transaction together with its `migrations` row; the first
//! failure rolls back that transaction, stops, and names the file. A checksum (SHA-256 of the
//! file) is stored so an applied file that was edited later is refused instead of silently
//! drifting. `down` runs the `_down.sql` twins in reverse order.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{StoreError, now_rfc3339};

/// One migration: an up script and its down twin.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub up: &'static str,
    pub down: &'static str,
}

impl Migration {
    /// `NNN_name.sql`.
    pub fn file_name(&self) -> String {
        format!("{:03}_{}.sql", self.version, self.name)
    }
    fn down_file_name(&self) -> String {
        format!("{:03}_{}_down.sql", self.version, self.name)
    }
    fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.up.as_bytes()))
    }
}

macro_rules! embed {
    ($v:literal, $file:literal, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            up: include_str!(concat!("../../../migrations/", $file, "_", $name, ".sql")),
            down: include_str!(concat!("../../../migrations/", $file, "_", $name, "_down.sql")),
        }
    };
}

/// The migrations shipped in this binary, in order.
pub const EMBEDDED: &[Migration] = &[
    embed!(1, "001", "initial"),
    embed!(2, "002", "add_tenants"),
    embed!(3, "003", "add_rate_limiting"),
    embed!(4, "004", "oauth_and_tokens"),
    embed!(5, "005", "a2a"),
    embed!(6, "006", "oauth_state_binding"),
    embed!(7, "007", "activity_store"),
    embed!(9, "009", "key_tier_allowance"),
    embed!(10, "010", "analytics"),
    embed!(11, "011", "mcp_authorization"),
    embed!(12, "012", "a2a_tasks"),
];

/// A migration that ran (up or down).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub version: u32,
    pub name: String,
}

/// One row of `pacerd migrate status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub version: u32,
    pub name: String,
    pub applied_at: Option<String>,
}

/// Applies and reverts a set of migrations.
#[derive(Debug, Clone)]
pub struct Migrator {
    migrations: Vec<Migration>,
}

impl Migrator {
    /// The embedded set.
    pub fn embedded() -> Self {
        Self::new(EMBEDDED.to_vec())
    }

    /// A custom set (tests); sorted by version.
    pub fn new(mut migrations: Vec<Migration>) -> Self {
        migrations.sort_by_key(|m| m.version);
        Self { migrations }
    }

    fn ensure_table(conn: &Connection) -> Result<(), StoreError> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                checksum   TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )",
        )?;
        Ok(())
    }

    fn applied(conn: &Connection) -> Result<Vec<(u32, String)>, StoreError> {
        let mut stmt = conn.prepare_cached("SELECT version, checksum FROM migrations ORDER BY version")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Refuses when an applied migration's file changed since it ran.
    pub fn verify(&self, conn: &Connection) -> Result<(), StoreError> {
        Self::ensure_table(conn)?;
        for (version, checksum) in Self::applied(conn)? {
            if let Some(m) = self.migrations.iter().find(|m| m.version == version)
                && m.checksum() != checksum
            {
                return Err(StoreError::ChecksumMismatch { file: m.file_name() });
            }
        }
        Ok(())
    }

    /// Applies pending migrations up to `to` (all when `None`).
    pub fn up(&self, conn: &mut Connection, to: Option<u32>) -> Result<Vec<Applied>, StoreError> {
        self.verify(conn)?;
        let done: Vec<u32> = Self::applied(conn)?.into_iter().map(|(v, _)| v).collect();
        let mut applied = Vec::new();
        for m in &self.migrations {
            if done.contains(&m.version) || to.is_some_and(|to| m.version > to) {
                continue;
            }
            let fail = |e: rusqlite::Error| StoreError::Migration { file: m.file_name(), message: e.to_string() };
            let tx = conn.transaction().map_err(fail)?;
            tx.execute_batch(m.up).map_err(fail)?;
            tx.execute(
                "INSERT INTO migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                params![m.version, m.name, m.checksum(), now_rfc3339()],
            )
            .map_err(fail)?;
            tx.commit().map_err(fail)?;
            tracing::info!(file = %m.file_name(), "migration applied");
            applied.push(Applied { version: m.version, name: m.name.to_string() });
        }
        Ok(applied)
    }

    /// Reverts applied migrations above `to` (to 0 = everything), newest first.
    pub fn down(&self, conn: &mut Connection, to: u32) -> Result<Vec<Applied>, StoreError> {
        self.verify(conn)?;
        let done: Vec<u32> = Self::applied(conn)?.into_iter().map(|(v, _)| v).collect();
        let mut reverted = Vec::new();
        for m in self.migrations.iter().rev() {
            if m.version <= to || !done.contains(&m.version) {
                continue;
            }
            let fail = |e: rusqlite::Error| StoreError::Migration { file: m.down_file_name(), message: e.to_string() };
            let tx = conn.transaction().map_err(fail)?;
            tx.execute_batch(m.down).map_err(fail)?;
            tx.execute("DELETE FROM migrations WHERE version = ?1", [m.version]).map_err(fail)?;
            tx.commit().map_err(fail)?;
            tracing::info!(file = %m.down_file_name(), "migration reverted");
            reverted.push(Applied { version: m.version, name: m.name.to_string() });
        }
        Ok(reverted)
    }

    /// Every known migration with its applied time, if applied.
    pub fn status(&self, conn: &Connection) -> Result<Vec<Status>, StoreError> {
        Self::ensure_table(conn)?;
        let mut out = Vec::new();
        for m in &self.migrations {
            let applied_at: Option<String> = conn
                .query_row("SELECT applied_at FROM migrations WHERE version = ?1", [m.version], |r| r.get(0))
                .optional()?;
            out.push(Status { version: m.version, name: m.name.to_string(), applied_at });
        }
        Ok(out)
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
        let versions: Vec<u32> = Migrator::applied(&c).unwrap().iter().map(|a| a.0).collect();
        assert_eq!(versions, vec![1, 2], "nothing after the failure may run");
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
