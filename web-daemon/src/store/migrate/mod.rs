//! Schema migrations: numbered SQL files embedded at build time, one set per database.
//!
//! `migrations/sqlite/` and `migrations/postgres/` hold the same numbers and names; each backend
//! runs its own files. `migrations(version, name, checksum, applied_at)` records what ran.
//! Pending files are applied in version order, each in its own transaction together with its
//! `migrations` row; the first failure rolls back that transaction, stops, and names the file. A
//! checksum (SHA-256 of the backend's own up file) is stored so an applied file that was edited
//! later is refused instead of silently drifting. `down` runs the `_down.sql` twins in reverse
//! order. [`Migrator`] runs the SQLite set on a `rusqlite::Connection`, [`PostgresMigrator`] the
//! PostgreSQL set on a `postgres::Client` (serialized across processes by an advisory lock).

mod postgres;
mod sqlite;

use sha2::{Digest, Sha256};

pub use self::postgres::{LOCK_KEY as POSTGRES_LOCK_KEY, PostgresMigrator};
pub use self::sqlite::Migrator;

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

/// The shipped migrations of one backend directory (`sqlite` or `postgres`), in order. The list
/// of numbers and names lives here once, so both sets cannot drift apart.
macro_rules! embedded {
    ($dir:literal) => {
        &[
            embedded!(@one $dir, 1, "001", "initial"),
            embedded!(@one $dir, 2, "002", "add_tenants"),
            embedded!(@one $dir, 3, "003", "add_rate_limiting"),
            embedded!(@one $dir, 4, "004", "oauth_and_tokens"),
            embedded!(@one $dir, 5, "005", "a2a"),
            embedded!(@one $dir, 6, "006", "oauth_state_binding"),
            embedded!(@one $dir, 7, "007", "activity_store"),
            embedded!(@one $dir, 9, "009", "key_tier_allowance"),
            embedded!(@one $dir, 10, "010", "analytics"),
            embedded!(@one $dir, 11, "011", "mcp_authorization"),
            embedded!(@one $dir, 12, "012", "a2a_tasks"),
            embedded!(@one $dir, 13, "013", "browser_flows"),
        ]
    };
    (@one $dir:literal, $v:literal, $file:literal, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            up: include_str!(concat!("../../../../migrations/", $dir, "/", $file, "_", $name, ".sql")),
            down: include_str!(concat!("../../../../migrations/", $dir, "/", $file, "_", $name, "_down.sql")),
        }
    };
}

/// The SQLite migrations shipped in this binary (`migrations/sqlite/`), in order.
pub const EMBEDDED: &[Migration] = embedded!("sqlite");

/// The PostgreSQL migrations shipped in this binary (`migrations/postgres/`), in order.
pub const EMBEDDED_POSTGRES: &[Migration] = embedded!("postgres");

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

/// One row of the `migrations` table.
struct Row {
    version: u32,
    checksum: String,
    applied_at: String,
}

/// What a migration's transaction does to the `migrations` table besides running its script.
enum Record<'a> {
    Insert { version: u32, name: &'a str, checksum: String, applied_at: String },
    Delete { version: u32 },
}

/// The few operations the migrator needs from a database; each backend implements them in its
/// own SQL dialect.
trait Backend {
    /// Creates the `migrations` table when missing.
    fn ensure_table(&mut self) -> Result<(), StoreError>;
    /// The `migrations` rows, by version.
    fn rows(&mut self) -> Result<Vec<Row>, StoreError>;
    /// Runs `script` and `record` in one transaction; the error is the database's message.
    fn run(&mut self, script: &str, record: Record<'_>) -> Result<(), String>;
}

/// A sorted migration set, shared by both backends.
#[derive(Debug, Clone)]
struct Plan {
    migrations: Vec<Migration>,
}

impl Plan {
    fn new(mut migrations: Vec<Migration>) -> Self {
        migrations.sort_by_key(|m| m.version);
        Self { migrations }
    }

    fn verify(&self, db: &mut impl Backend) -> Result<(), StoreError> {
        db.ensure_table()?;
        for row in db.rows()? {
            if let Some(m) = self.migrations.iter().find(|m| m.version == row.version)
                && m.checksum() != row.checksum
            {
                return Err(StoreError::ChecksumMismatch { file: m.file_name() });
            }
        }
        Ok(())
    }

    fn done(db: &mut impl Backend) -> Result<Vec<u32>, StoreError> {
        Ok(db.rows()?.into_iter().map(|r| r.version).collect())
    }

    fn up(&self, db: &mut impl Backend, to: Option<u32>) -> Result<Vec<Applied>, StoreError> {
        self.verify(db)?;
        let done = Self::done(db)?;
        let mut applied = Vec::new();
        for m in &self.migrations {
            if done.contains(&m.version) || to.is_some_and(|to| m.version > to) {
                continue;
            }
            let record =
                Record::Insert { version: m.version, name: m.name, checksum: m.checksum(), applied_at: now_rfc3339() };
            db.run(m.up, record).map_err(|message| StoreError::Migration { file: m.file_name(), message })?;
            tracing::info!(file = %m.file_name(), "migration applied");
            applied.push(Applied { version: m.version, name: m.name.to_string() });
        }
        Ok(applied)
    }

    fn down(&self, db: &mut impl Backend, to: u32) -> Result<Vec<Applied>, StoreError> {
        self.verify(db)?;
        let done = Self::done(db)?;
        let mut reverted = Vec::new();
        for m in self.migrations.iter().rev() {
            if m.version <= to || !done.contains(&m.version) {
                continue;
            }
            db.run(m.down, Record::Delete { version: m.version })
                .map_err(|message| StoreError::Migration { file: m.down_file_name(), message })?;
            tracing::info!(file = %m.down_file_name(), "migration reverted");
            reverted.push(Applied { version: m.version, name: m.name.to_string() });
        }
        Ok(reverted)
    }

    fn status(&self, db: &mut impl Backend) -> Result<Vec<Status>, StoreError> {
        db.ensure_table()?;
        let rows = db.rows()?;
        Ok(self
            .migrations
            .iter()
            .map(|m| Status {
                version: m.version,
                name: m.name.to_string(),
                applied_at: rows.iter().find(|r| r.version == m.version).map(|r| r.applied_at.clone()),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both directories hold the same numbers and names (the macro embeds them from one list;
    /// this guards the list against a copy that diverges).
    #[test]
    fn both_sets_have_the_same_numbers_and_names() {
        let names = |set: &[Migration]| set.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(EMBEDDED), names(EMBEDDED_POSTGRES));
        for (s, p) in EMBEDDED.iter().zip(EMBEDDED_POSTGRES) {
            assert_ne!(s.up, p.up, "{}: the PostgreSQL file must be its own translation", s.file_name());
        }
    }
}
