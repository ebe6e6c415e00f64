//! Migrations on PostgreSQL: the schema matches SQLite's (types mapped by the table in
//! ARCHITECTURE.md, "Two databases"), and `pacerd migrate` behaves the same on both. Needs
//! `PACER_TEST_POSTGRES_URL` (`scripts/postgres-instance start DIR`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pacerd::store::migrate::{EMBEDDED, EMBEDDED_POSTGRES, Migration, Migrator, PostgresMigrator};

use crate::fixture::postgres::PgDatabase;
use crate::fixture::{new_home, pacerd_bin};

/// SQLite INTEGER columns that hold a boolean (0/1): BOOLEAN on PostgreSQL.
const BOOLEAN_COLUMNS: &[(&str, &str)] = &[
    ("api_keys", "is_active"),
    ("activities", "trainer"),
    ("activities", "commute"),
    ("activities", "manual"),
    ("activities", "has_detail"),
    ("oauth_codes", "used"),
];

/// Tables whose order of insertion pacer reads (`ORDER BY rowid`): SQLite's implicit `rowid`
/// is an explicit identity column `rowid` on PostgreSQL (last, never written by pacer).
const ROWID_TABLES: &[&str] = &["a2a_agents"];

/// The stated type mapping: SQLite declared type → PostgreSQL `information_schema` data type.
fn mapped_type(table: &str, column: &str, sqlite_type: &str) -> &'static str {
    match sqlite_type {
        "TEXT" => "text",
        "INTEGER" if BOOLEAN_COLUMNS.contains(&(table, column)) => "boolean",
        "INTEGER" => "bigint",
        "REAL" => "double precision",
        "BLOB" => "bytea",
        other => panic!("{table}.{column}: SQLite type {other} has no stated PostgreSQL type"),
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Column {
    name: String,
    data_type: String,
    nullable: bool,
    default: Option<String>,
    /// The table's only key column, generated (SQLite `INTEGER PRIMARY KEY AUTOINCREMENT`,
    /// PostgreSQL identity).
    generated_key: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Index {
    table: String,
    /// The name of an index made by `CREATE INDEX`; `None` for one behind a UNIQUE or PRIMARY KEY
    /// constraint (each database names those its own way).
    name: Option<String>,
    columns: Vec<String>,
    unique: bool,
    primary: bool,
    predicate: Option<String>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct ForeignKey {
    table: String,
    columns: Vec<String>,
    references: String,
    to: Vec<String>,
    on_delete: String,
}

#[derive(Debug, PartialEq, Eq)]
struct Schema {
    tables: Vec<(String, Vec<Column>)>,
    indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// CHECK constraints per table (SQLite keeps them only in the table's SQL: counted there).
    checks: BTreeMap<String, usize>,
}

/// The predicate of a partial index, without outer parentheses.
fn predicate(text: &str) -> String {
    let t = text.trim();
    let t = t.strip_prefix('(').and_then(|t| t.strip_suffix(')')).unwrap_or(t);
    t.trim().to_string()
}

fn sqlite_schema(c: &rusqlite::Connection) -> Schema {
    let strings = |sql: &str, arg: &str| -> Vec<String> {
        let mut s = c.prepare(sql).unwrap();
        s.query_map([arg], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let names = strings(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != ?1 ORDER BY name",
        "",
    );
    let mut tables = Vec::new();
    let mut indexes = BTreeSet::new();
    let mut foreign_keys = BTreeSet::new();
    let mut checks = BTreeMap::new();
    for table in names {
        let mut s = c
            .prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid")
            .unwrap();
        let raw: Vec<(String, String, bool, Option<String>, i64)> = s
            .query_map([&table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key: Vec<&(String, String, bool, Option<String>, i64)> = raw.iter().filter(|c| c.4 > 0).collect();
        let table_sql: String =
            c.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [&table], |r| r.get(0)).unwrap();
        let n = table_sql.matches("CHECK (").count();
        if n > 0 {
            checks.insert(table.clone(), n);
        }
        let rowid_key = key.len() == 1 && key[0].1 == "INTEGER" && table_sql.contains("AUTOINCREMENT");
        let columns = raw
            .iter()
            .map(|(name, ty, notnull, default, pk)| Column {
                data_type: mapped_type(&table, name, ty).to_string(),
                // Key columns are NOT NULL on PostgreSQL; SQLite's NULL-in-key quirk aside, the
                // store never writes NULL keys.
                nullable: !(*notnull || *pk > 0),
                default: default.clone(),
                generated_key: rowid_key && *pk > 0,
                name: name.clone(),
            })
            .collect();
        if !key.is_empty() {
            let mut key = key.clone();
            key.sort_by_key(|c| c.4);
            indexes.insert(Index {
                table: table.clone(),
                name: None,
                columns: key.iter().map(|c| c.0.clone()).collect(),
                unique: true,
                primary: true,
                predicate: None,
            });
        }
        let mut s = c.prepare("SELECT name, \"unique\", origin FROM pragma_index_list(?1)").unwrap();
        let list: Vec<(String, bool, String)> =
            s.query_map([&table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        for (name, unique, origin) in list {
            if origin == "pk" {
                continue; // from pragma_table_info above (rowid keys have no index here)
            }
            let sql: Option<String> =
                c.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [&name], |r| r.get(0)).unwrap();
            indexes.insert(Index {
                table: table.clone(),
                name: (origin == "c").then(|| name.clone()),
                columns: strings("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", &name),
                unique,
                primary: false,
                predicate: sql.and_then(|s| s.split_once(" WHERE ").map(|(_, p)| predicate(p))),
            });
        }
        let mut s = c
            .prepare(
                "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            )
            .unwrap();
        let fks: Vec<(i64, String, String, String, String)> = s
            .query_map([&table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let ids: BTreeSet<i64> = fks.iter().map(|f| f.0).collect();
        for id in ids {
            let parts: Vec<_> = fks.iter().filter(|f| f.0 == id).collect();
            foreign_keys.insert(ForeignKey {
                table: table.clone(),
                columns: parts.iter().map(|f| f.2.clone()).collect(),
                references: parts[0].1.clone(),
                to: parts.iter().map(|f| f.3.clone()).collect(),
                on_delete: parts[0].4.clone(),
            });
        }
        tables.push((table, columns));
    }
    Schema { tables, indexes, foreign_keys, checks }
}

/// A PostgreSQL default as SQLite writes it: no `::type` cast, booleans as 0/1.
fn pg_default(default: Option<String>) -> Option<String> {
    let d = default?;
    let d = match d.find("::") {
        Some(i) => d[..i].to_string(),
        None => d,
    };
    Some(match d.as_str() {
        "true" => "1".to_string(),
        "false" => "0".to_string(),
        _ => d,
    })
}

fn pg_schema(c: &mut postgres::Client) -> Schema {
    let names: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut tables = Vec::new();
    for table in names {
        let columns = c
            .query(
                "SELECT column_name::text, data_type::text, is_nullable = 'YES', column_default::text, is_identity = 'YES'
                 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                &[&table],
            )
            .unwrap()
            .iter()
            .map(|r| Column {
                name: r.get(0),
                data_type: r.get(1),
                nullable: r.get(2),
                default: pg_default(r.get(3)),
                generated_key: r.get(4),
            })
            .filter(|c: &Column| !(ROWID_TABLES.contains(&table.as_str()) && c.name == "rowid" && c.generated_key))
            .collect();
        tables.push((table, columns));
    }
    let indexes = c
        .query(
            "SELECT t.relname::text, i.relname::text,
                    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid),
                    ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(n, o)
                          JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n ORDER BY k.o),
                    ix.indisunique, ix.indisprimary, pg_get_expr(ix.indpred, ix.indrelid)
             FROM pg_index ix
             JOIN pg_class i ON i.oid = ix.indexrelid
             JOIN pg_class t ON t.oid = ix.indrelid
             WHERE t.relnamespace = current_schema()::regnamespace",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| {
            let constraint: bool = r.get(2);
            Index {
                table: r.get(0),
                name: (!constraint).then(|| r.get(1)),
                columns: r.get(3),
                unique: r.get(4),
                primary: r.get(5),
                predicate: r.get::<_, Option<String>>(6).map(|p| predicate(&p)),
            }
        })
        .collect();
    let foreign_keys = c
        .query(
            "SELECT k.conrelid::regclass::text, k.confrelid::regclass::text,
                    CASE k.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT'
                                       WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END,
                    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS c(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.n ORDER BY c.o),
                    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS c(n, o)
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.n ORDER BY c.o)
             FROM pg_constraint k WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| ForeignKey {
            table: r.get(0),
            references: r.get(1),
            on_delete: r.get(2),
            columns: r.get(3),
            to: r.get(4),
        })
        .collect();
    let checks = c
        .query(
            "SELECT conrelid::regclass::text, count(*) FROM pg_constraint
             WHERE contype = 'c' AND connamespace = current_schema()::regnamespace GROUP BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get::<_, i64>(1) as usize))
        .collect();
    Schema { tables, indexes, foreign_keys, checks }
}

fn tier_seed_sqlite(c: &rusqlite::Connection) -> Vec<(String, i64)> {
    let mut s = c.prepare("SELECT tier, requests_per_minute FROM tier_limits ORDER BY tier").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn tier_seed_pg(c: &mut postgres::Client) -> Vec<(String, i64)> {
    c.query("SELECT tier, requests_per_minute FROM tier_limits ORDER BY tier", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// (a) After `up`, both databases have the same tables, columns (types by the stated mapping,
/// nullability, defaults), indexes (names, columns, uniqueness, predicates), foreign keys (with
/// their ON DELETE), the same seed, and the same CHECKs refuse the same rows.
#[test]
fn schemas_match_after_up() {
    let db = PgDatabase::create();
    let mut lite = rusqlite::Connection::open_in_memory().unwrap();
    Migrator::embedded().up(&mut lite, None).unwrap();
    let mut pg = db.client();
    Migrator::postgres().up(&mut pg, None).unwrap();

    let (s, p) = (sqlite_schema(&lite), pg_schema(&mut pg));
    let table_names = |s: &Schema| s.tables.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    assert_eq!(table_names(&s), table_names(&p), "tables");
    assert!(s.tables.len() > 20, "the whole schema is compared: {:?}", table_names(&s));
    for ((table, sc), (_, pc)) in s.tables.iter().zip(&p.tables) {
        assert_eq!(sc, pc, "columns of {table}");
    }
    let only = |a: &BTreeSet<Index>, b: &BTreeSet<Index>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!(
        s.indexes,
        p.indexes,
        "indexes only on SQLite: {:#?}\nonly on PostgreSQL: {:#?}",
        only(&s.indexes, &p.indexes),
        only(&p.indexes, &s.indexes)
    );
    assert!(s.indexes.iter().any(|i| i.predicate.is_some()), "partial indexes are compared");
    assert_eq!(s.foreign_keys, p.foreign_keys, "foreign keys");
    assert_eq!(s.checks, p.checks, "CHECK constraints per table");
    assert!(s.checks.values().sum::<usize>() >= 6, "{:?}", s.checks);

    assert_eq!(tier_seed_sqlite(&lite), tier_seed_pg(&mut pg), "migration 003's seed");
    for bad in [
        "INSERT INTO tier_limits (tier, requests_per_minute) VALUES ('gold', 5)",
        "INSERT INTO tier_limits (tier, requests_per_minute) VALUES ('free', 0)",
    ] {
        let lite_err = lite.execute(bad, []).is_err();
        let pg_err = pg.execute(bad, &[]).is_err();
        assert!(lite_err && pg_err, "{bad}: refused on SQLite {lite_err}, on PostgreSQL {pg_err}");
    }
}

/// Runs `pacerd --home HOME <args>` with `PACER_DATABASE_URL` and extra environment.
fn pacerd(home: &Path, url: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(pacerd_bin());
    cmd.args(args)
        .arg("--home")
        .arg(home)
        .env_remove("PACER_HOME")
        .env("PACER_LOG", "info")
        .env("PACER_DATABASE_URL", url)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pacerd")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Timestamps (`2026-…Z`) replaced, so two runs' outputs compare.
fn masked(out: &str) -> String {
    out.split('\n')
        .map(|line| match line.find(" 20") {
            Some(i) if line.ends_with('Z') => format!("{} <time>", line[..i].trim_end()),
            _ => line.trim_end().to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The same `migrate` session on one database; returns each step's stdout, masked.
fn session(home: &Path, url: &str, env: &[(&str, &str)]) -> Vec<String> {
    let last = EMBEDDED.last().unwrap().version;
    let before_last = EMBEDDED[EMBEDDED.len() - 2].version.to_string();
    let steps: Vec<Vec<&str>> = vec![
        vec!["migrate", "status"],
        vec!["migrate", "up"],
        vec!["migrate", "up"],
        vec!["migrate", "status"],
        vec!["migrate", "down", "--to", &before_last],
        vec!["migrate", "status", "--json"],
        vec!["migrate", "up"],
        vec!["migrate", "down", "--to", "0"],
        vec!["migrate", "up", "--to", "3"],
    ];
    let mut outs = Vec::new();
    for args in &steps {
        let o = pacerd(home, url, env, args);
        assert!(o.status.success(), "{args:?} on {}: {}", url.split(':').next().unwrap(), text(&o.stderr));
        let out = text(&o.stdout);
        if args == &["migrate", "status", "--json"] {
            let st: serde_json::Value = serde_json::from_str(&out).unwrap();
            let rows = st.as_array().unwrap();
            assert!(rows[..rows.len() - 1].iter().all(|r| r["applied_at"].is_string()), "{out}");
            assert!(rows.last().unwrap()["applied_at"].is_null() && rows.last().unwrap()["version"] == last, "{out}");
            outs.push(masked(&out.replace(|c: char| c.is_ascii_digit(), "")));
        } else {
            outs.push(masked(&out));
        }
    }
    outs
}

/// (b) `pacerd migrate status|up|down` on PostgreSQL (the real binary, `PACER_DATABASE_URL`,
/// the password from `PACER_DATABASE_PASSWORD_FILE`) prints exactly what it prints on SQLite.
#[test]
fn migrate_commands_behave_as_on_sqlite() {
    let db = PgDatabase::create();
    let url = url::Url::parse(db.url()).unwrap();
    let password = url.password().expect("the test URL carries the role's password").to_string();
    let mut without = url.clone();
    without.set_password(None).unwrap();
    let home = new_home();
    let password_file = home.path().join("db-password");
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let env = [("PACER_DATABASE_PASSWORD_FILE", password_file.to_str().unwrap())];

    let on_pg = session(home.path(), without.as_str(), &env);
    let lite_home = new_home();
    let on_sqlite = session(lite_home.path(), "sqlite:", &[]);
    assert_eq!(on_pg, on_sqlite);
    assert_eq!(on_pg[0].matches("pending").count(), EMBEDDED_POSTGRES.len(), "{}", on_pg[0]);
    assert_eq!(on_pg[1].lines().filter(|l| l.starts_with("applied ")).count(), EMBEDDED_POSTGRES.len());
    assert_eq!(on_pg[2], "nothing to apply\n");
    assert_eq!(on_pg[4], format!("reverted {}\n", EMBEDDED_POSTGRES.last().unwrap().file_name()));
    assert_eq!(on_pg[6], format!("applied {}\n", EMBEDDED_POSTGRES.last().unwrap().file_name()));

    let mut c = db.client();
    let versions: Vec<i64> =
        c.query("SELECT version FROM migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2, 3]);
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()
             AND table_name IN ('tenants', 'tier_limits', 'provider_tokens')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 2, "up --to 3 stops before 004");

    // Nothing pacerd printed or logged shows the password.
    let o = pacerd(home.path(), without.as_str(), &env, &["migrate", "up"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains(&password) && !text(&o.stderr).contains(&password));
    let o = pacerd(home.path(), &url.as_str().replace(&password, "wrong"), &[], &["migrate", "status"]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("pacer:***@") && !err.contains("wrong"), "{err}");
}

/// (c) An applied migration whose file changed is refused on PostgreSQL as on SQLite, by every
/// command that writes; nothing runs.
#[test]
fn edited_migration_is_refused() {
    let db = PgDatabase::create();
    let home = new_home();
    assert!(pacerd(home.path(), db.url(), &[], &["migrate", "up", "--to", "2"]).status.success());
    let mut c = db.client();
    c.execute("UPDATE migrations SET checksum = 'edited' WHERE version = 2", &[]).unwrap();
    for args in [&["migrate", "up"][..], &["migrate", "down", "--to", "0"]] {
        let o = pacerd(home.path(), db.url(), &[], args);
        assert!(!o.status.success(), "{args:?}");
        let err = text(&o.stderr);
        assert!(err.contains("002_add_tenants.sql") && err.contains("edited after it was applied"), "{err}");
    }
    let versions: Vec<i64> =
        c.query("SELECT version FROM migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2], "nothing ran");
}

/// (d) Several `pacerd migrate up` started at once on one database (replicas starting together)
/// all succeed, and each migration is applied exactly once.
#[test]
fn concurrent_ups_apply_each_migration_once() {
    let db = PgDatabase::create();
    let homes: Vec<_> = (0..4).map(|_| new_home()).collect();
    let children: Vec<_> = homes
        .iter()
        .map(|h| {
            Command::new(pacerd_bin())
                .args(["migrate", "up", "--home"])
                .arg(h.path())
                .env_remove("PACER_HOME")
                .env("PACER_LOG", "warn")
                .env("PACER_DATABASE_URL", db.url())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn pacerd")
        })
        .collect();
    let mut applied = Vec::new();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        applied.extend(text(&o.stdout).lines().filter(|l| l.starts_with("applied ")).map(str::to_string));
    }
    applied.sort();
    let mut expected: Vec<String> = EMBEDDED_POSTGRES.iter().map(|m| format!("applied {}", m.file_name())).collect();
    expected.sort();
    assert_eq!(applied, expected, "each migration applied once, by one of the processes");
    let n: i64 = db.client().query_one("SELECT count(*) FROM migrations", &[]).unwrap().get(0);
    assert_eq!(n as usize, EMBEDDED_POSTGRES.len());
}

/// A failing migration rolls back with its row on PostgreSQL too: the error names the file and
/// the database's message, the schema is as before, and nothing after it runs.
#[test]
fn broken_migration_rolls_back_and_names_the_file() {
    let db = PgDatabase::create();
    let mut c = db.client();
    PostgresMigrator::new(EMBEDDED_POSTGRES[..2].to_vec()).up(&mut c, None).unwrap();
    let tables = |c: &mut postgres::Client| -> Vec<String> {
        c.query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let before = tables(&mut c);
    let mut set = EMBEDDED_POSTGRES[..2].to_vec();
    set.push(Migration {
        version: 3,
        name: "broken",
        up: "CREATE TABLE half_done (id BIGINT); INSERT INTO nope VALUES (1);",
        down: "",
    });
    set.push(EMBEDDED_POSTGRES[3]);
    let err = PostgresMigrator::new(set).up(&mut c, None).unwrap_err().to_string();
    assert!(err.contains("003_broken.sql") && err.contains("relation \"nope\" does not exist"), "{err}");
    assert_eq!(tables(&mut c), before, "the failed migration left nothing behind");
    let versions: Vec<i64> =
        c.query("SELECT version FROM migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2], "nothing after the failure ran");
}

/// An unknown `database_url` scheme is a one-line error and a non-zero exit (no database needed).
#[test]
fn unknown_database_scheme_is_refused() {
    let home = new_home();
    let o = pacerd(home.path(), "mysql://root:hunter2@127.0.0.1/pacer", &[], &["migrate", "status"]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("database_url") && err.contains("mysql") && !err.contains("hunter2"), "{err}");
}
