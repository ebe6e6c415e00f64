//! TLS to PostgreSQL: `database_url` with `sslmode=require` connects over TLS and verifies the
//! server's certificate (here against the test instance's private CA, `sslrootcert`); without
//! that CA the certificate is refused, with a one-line error and no connection in the clear.
//!
//! Needs `PACER_TEST_POSTGRES_URL` and `PACER_TEST_POSTGRES_CA` (`scripts/test` sets both; the
//! instance of `scripts/postgres-instance` speaks TLS with a certificate signed by that CA).

use reqwest::StatusCode;

use crate::fixture::postgres::PgDatabase;
use crate::fixture::{Options, TestDaemon, new_home};

fn ca_file() -> String {
    std::env::var("PACER_TEST_POSTGRES_CA").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| {
        panic!("PACER_TEST_POSTGRES_CA is not set: scripts/test sets it to the test instance's ca.crt")
    })
}

fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[test]
fn sslmode_require_connects_over_verified_tls_and_only_over_tls() {
    let db = PgDatabase::create();
    let url = with_query(db.url(), &format!("sslmode=require&sslrootcert={}", ca_file()));
    let opts = Options { env: vec![("PACER_DATABASE_URL".to_owned(), url)], ..Options::default() };
    let daemon = TestDaemon::start_with(opts);
    let (_, key) = daemon.user_with_key("ada@example.com", None, "free");
    let status = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(async {
        crate::fixture::http()
            .get(format!("{}/api/me", daemon.http_url))
            .header("X-API-Key", &key)
            .send()
            .await
            .expect("GET /api/me")
            .status()
    });
    assert_eq!(status, StatusCode::OK, "the daemon serves from its TLS connections");
    // Every connection of the daemon to its database (pool and listener) is TLS; the test's own
    // (in the clear) is left out.
    let mut client = db.client();
    let row = client
        .query_one(
            "SELECT COUNT(*) FILTER (WHERE s.ssl), COUNT(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
              WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_ssl");
    let (tls, all): (i64, i64) = (row.get(0), row.get(1));
    assert!(all >= 2, "the pool and the listener are connected ({all})");
    assert_eq!(tls, all, "{tls} of {all} connections use TLS");
}

#[test]
fn a_certificate_from_an_unknown_authority_is_refused() {
    let db = PgDatabase::create();
    let home = new_home();
    // The system's CA store does not know the test CA.
    let url = with_query(db.url(), "sslmode=require");
    let out = cli_in_with_url(home.path(), &url);
    assert!(!out.status.success(), "connected despite an unverifiable certificate");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("certificate"), "says why: {err}");
    let password = db.url().split_once("://").and_then(|(_, rest)| rest.split_once('@')).map(|(user, _)| user);
    let password = password.and_then(|u| u.split_once(':')).map(|(_, p)| p).expect("the test URL has a password");
    assert!(!err.contains(password), "no password in: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

/// `pacerd migrate status` with `database_url` set to `url`.
fn cli_in_with_url(home: &std::path::Path, url: &str) -> std::process::Output {
    std::process::Command::new(crate::fixture::pacerd_bin())
        .args(["migrate", "status", "--home"])
        .arg(home)
        .env_remove("PACER_HOME")
        .env("PACER_LOG", "warn")
        .env("PACER_DATABASE_URL", url)
        .output()
        .expect("run pacerd")
}
