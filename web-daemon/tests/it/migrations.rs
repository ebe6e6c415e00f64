//! Migrations through the real binary on a real SQLite file.

use rusqlite::Connection;

use crate::fixture::{TestDaemon, cli_in, new_home};

fn run(home: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let o = cli_in(home, args, None);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tables(home: &std::path::Path) -> Vec<String> {
    let c = Connection::open(home.join("pacer.db")).unwrap();
    let mut s = c.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").unwrap();
    s.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn status_up_noop_down_up() {
    let home = new_home();
    let (ok, out, _) = run(home.path(), &["migrate", "status"]);
    assert!(ok);
    assert_eq!(out.matches("pending").count(), pacerd::store::migrate::EMBEDDED.len(), "{out}");
    let (ok, out, err) = run(home.path(), &["migrate", "up"]);
    assert!(ok, "{err}");
    assert!(out.contains("applied 001_initial.sql") && out.contains("applied 004_oauth_and_tokens.sql"), "{out}");
    let (_, out, _) = run(home.path(), &["migrate", "up"]);
    assert!(out.contains("nothing to apply"), "{out}");
    let full = tables(home.path());
    assert!(full.contains(&"tenants".to_string()) && full.contains(&"provider_tokens".to_string()));

    let (ok, out, err) = run(home.path(), &["migrate", "down", "--to", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("reverted 002_add_tenants.sql"), "{out}");
    let t = tables(home.path());
    assert!(
        !t.contains(&"tenants".to_string()) && t.contains(&"users".to_string()) && t.contains(&"api_keys".to_string())
    );
    let (_, json, _) = run(home.path(), &["migrate", "status", "--json"]);
    let st: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(st[0]["applied_at"].is_string() && st[1]["applied_at"].is_null());

    let (ok, _, err) = run(home.path(), &["migrate", "up", "--to", "3"]);
    assert!(ok, "{err}");
    assert!(!tables(home.path()).contains(&"provider_tokens".to_string()));
    let (ok, _, _) = run(home.path(), &["migrate", "up"]);
    assert!(ok);
    assert_eq!(tables(home.path()), full);
}

#[test]
fn data_survives_down_and_up() {
    let mut d = TestDaemon::start();
    d.user_with_key("keep@example.com", None, "free");
    d.stop();
    let home_dir = std::mem::replace(&mut d.home, new_home());
    let home = home_dir.path().to_path_buf();
    let (ok, _, err) = run(&home, &["migrate", "down", "--to", "1"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&home, &["migrate", "up"]);
    assert!(ok, "{err}");
    let c = Connection::open(home.join("pacer.db")).unwrap();
    let (email, tenant): (String, String) =
        c.query_row("SELECT email, tenant_id FROM users", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((email.as_str(), tenant.as_str()), ("keep@example.com", "default"));
    let n: i64 = c.query_row("SELECT COUNT(*) FROM api_keys WHERE tenant_id = 'default'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn edited_applied_migration_is_refused_at_startup() {
    let home = new_home();
    assert!(run(home.path(), &["migrate", "up"]).0);
    // Simulate an edited file: the stored checksum no longer matches the embedded one.
    let c = Connection::open(home.path().join("pacer.db")).unwrap();
    c.execute("UPDATE migrations SET checksum = 'edited' WHERE version = 2", []).unwrap();
    drop(c);
    let (ok, _, err) = run(home.path(), &["serve", "--http", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(err.contains("002_add_tenants.sql") && err.contains("edited after it was applied"), "{err}");
}

#[test]
fn migrate_is_refused_while_a_daemon_runs() {
    let d = TestDaemon::start();
    let (ok, _, err) = run(d.home(), &["migrate", "down", "--to", "1"]);
    assert!(!ok);
    assert!(err.contains("pacerd is running on this home") && err.contains("pacerd stop"), "{err}");
    assert!(tables(d.home()).contains(&"tenants".to_string()), "schema must be untouched");
    let (ok, _, err) = run(d.home(), &["migrate", "up"]);
    assert!(!ok && err.contains("pacerd is running on this home"), "{err}");
    // `status` only reads: it answers beside the running daemon.
    let (ok, out, err) = run(d.home(), &["migrate", "status"]);
    assert!(ok, "{err}");
    assert_eq!(out.matches("pending").count(), 0, "{out}");
    assert_eq!(out.lines().count(), pacerd::store::migrate::EMBEDDED.len(), "{out}");
    assert!(d.cli(&["status"]).status.success(), "the daemon is unharmed");
    let empty = new_home();
    let (ok, out, _) = run(empty.path(), &["migrate", "down", "--to", "0"]);
    assert!(ok && out.contains("nothing to revert"), "{out}");
}

/// The tier quotas have one home (`Tier::default_per_minute`); migration 003's seed of the
/// `tier_limits` table must say the same.
#[test]
fn seeded_tier_quotas_match_the_one_home_in_code() {
    let home = new_home();
    let (ok, _, err) = run(home.path(), &["migrate", "up"]);
    assert!(ok, "{err}");
    let db = crate::fixture::open_db(home.path());
    for tier in pacer_shared::Tier::ALL {
        let seeded: u32 = db
            .query_row("SELECT requests_per_minute FROM tier_limits WHERE tier = ?1", [tier.as_str()], |r| r.get(0))
            .expect("seeded tier");
        assert_eq!(seeded, tier.default_per_minute(), "{}", tier.as_str());
    }
}
