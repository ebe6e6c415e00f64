//! The provider API cache in the local store, against `pacerd demo` (sandbox Strava over real
//! HTTP, the demo user connected): a cached window is answered with zero sandbox requests;
//! `cache.retention_days = 0` stores nothing; the sweeper deletes only expired API rows.

use serde_json::{Value, json};

use crate::fixture::{Options, TestDaemon, open_db};
use crate::mcp_client::McpClient;

fn demo(env: Vec<(String, String)>) -> (TestDaemon, String) {
    let d = TestDaemon::start_with(Options { demo: true, sandbox: true, env, ..Default::default() });
    let key = d.demo_facts()["api_key"].as_str().expect("api_key").to_owned();
    (d, key)
}

/// The sandbox's count of API calls so far.
fn sandbox_calls(d: &TestDaemon) -> u64 {
    let url = format!("{}/sandbox/strava/_sandbox/state", d.http_url);
    let web = crate::fixture::Web::new(d);
    let (name, token) = d.sandbox_admin();
    let state = web.send(web.get(&url).header(name, token)).json();
    state["api_calls"].as_u64().unwrap_or_else(|| panic!("no api_calls: {state}"))
}

fn last_90_days() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"after": now - 90 * 86_400, "before": now, "limit": 200})
}

#[test]
fn a_cached_window_makes_no_provider_requests_and_detail_and_streams_are_cached_too() {
    let (d, key) = demo(Vec::new());
    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    mcp.initialize("2025-11-25");
    let window = last_90_days();
    let first = mcp.call("get_activities", window.clone());
    let listed = first["result"]["structuredContent"]["activities"].as_array().expect("activities").clone();
    assert!(!listed.is_empty(), "{first:#}");
    let calls = sandbox_calls(&d);
    let again = mcp.call("get_activities", window);
    assert_eq!(again["result"]["structuredContent"], first["result"]["structuredContent"]);
    let narrower = json!({"after": chrono::Utc::now().timestamp() - 30 * 86_400, "limit": 5});
    let inside = mcp.call("get_activities", narrower);
    assert!(inside["result"]["structuredContent"]["count"].as_u64().is_some(), "{inside:#}");
    assert_eq!(sandbox_calls(&d), calls, "a cached window was fetched again");

    let id = listed[0]["id"].as_u64().expect("id");
    mcp.call("get_activity", json!({"activity_id": id}));
    mcp.call("get_activity_streams", json!({"activity_id": id, "keys": ["heartrate"]}));
    let calls = sandbox_calls(&d);
    let detail = mcp.call("get_activity", json!({"activity_id": id}));
    assert_eq!(detail["result"]["structuredContent"]["id"], json!(id), "{detail:#}");
    let streams = mcp.call("get_activity_streams", json!({"activity_id": id, "keys": ["altitude"]}));
    assert!(streams["result"]["structuredContent"]["series"]["time"].is_array(), "{streams:#}");
    assert_eq!(sandbox_calls(&d), calls, "cached detail or streams were fetched again");

    let (rows, expiring): (i64, i64) = open_db(d.home())
        .query_row("SELECT COUNT(*), COUNT(expires_at) FROM activities WHERE source = 'strava'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("rows");
    assert!(rows > 0 && rows == expiring, "every API row expires: {rows} rows, {expiring} with expires_at");
    let max_days: f64 = open_db(d.home())
        .query_row("SELECT MAX(expires_at - fetched_at) / 86400.0 FROM activities", [], |r| r.get(0))
        .expect("retention");
    assert!(max_days <= 7.0, "kept longer than 7 days: {max_days}");
}

#[test]
fn retention_zero_stores_no_provider_data() {
    let (d, key) = demo(vec![("PACER_CACHE_RETENTION_DAYS".into(), "0".into())]);
    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    mcp.initialize("2025-11-25");
    let list = mcp.call("get_activities", last_90_days());
    let id = list["result"]["structuredContent"]["activities"][0]["id"].as_u64().expect("an activity");
    mcp.call("get_activity", json!({"activity_id": id}));
    let calls = sandbox_calls(&d);
    mcp.call("get_activities", last_90_days());
    assert!(sandbox_calls(&d) > calls, "without a cache every list goes to the provider");
    let rows: i64 = open_db(d.home()).query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0)).expect("rows");
    assert_eq!(rows, 0);
}

#[test]
fn the_sweeper_removes_only_expired_provider_rows() {
    let (mut d, key) = demo(Vec::new());
    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    mcp.initialize("2025-11-25");
    mcp.call("get_activities", last_90_days());
    drop(mcp);
    let work = tempfile::tempdir().expect("tmp");
    let acts = pacer_corpus::generate(&pacer_corpus::CorpusSpec {
        activities: 2,
        days: 14,
        max_duration_s: Some(600),
        ..pacer_corpus::CorpusSpec::default()
    });
    let zip = work.path().join("own.zip");
    std::fs::write(&zip, pacer_corpus::export_zip(&acts, &pacer_corpus::Faults::default()).expect("zip").zip)
        .expect("write");
    let out = d.cli(&["import", zip.to_str().expect("path"), "--user", "demo@pacer.local", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let count = |home: &std::path::Path, source: &str| -> i64 {
        open_db(home)
            .query_row("SELECT COUNT(*) FROM activities WHERE source = ?1", [source], |r| r.get(0))
            .expect("count")
    };
    assert!(count(d.home(), "strava") > 0 && count(d.home(), "file") == 2);
    // The clock moves past the retention: age every API row; the sweep at the next start-up
    // (it also runs hourly) deletes them and leaves the imported files.
    open_db(d.home()).execute("UPDATE activities SET expires_at = 1 WHERE source = 'strava'", []).expect("age rows");
    assert!(d.stop(), "clean stop");
    let home = std::mem::replace(&mut d.home, crate::fixture::new_home());
    let d2 = TestDaemon::start_in(home, Options { demo: true, sandbox: true, ..Default::default() });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count(d2.home(), "strava") > 0 {
        assert!(std::time::Instant::now() < deadline, "expired rows not swept; log:\n{}", d2.log_text());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(count(d2.home(), "file"), 2, "imported files never expire");
}
