//! MCP end to end: the real `pacer-mcp` relaying to a real `pacerd demo` with the sandbox.

use std::time::Duration;

use serde_json::{Value, json};

use crate::data::{TOOLS, gpx};
use crate::fixture::{Options, TestDaemon, new_home};
use crate::jsonrpc::{error_code, structured};
use crate::mcp_client::McpClient;

fn demo() -> (TestDaemon, String) {
    let d = TestDaemon::start_with(Options { demo: true, sandbox: true, ..Default::default() });
    let key = d.demo_facts()["api_key"].as_str().expect("api_key").to_string();
    (d, key)
}

#[test]
fn initialize_both_versions_list_and_call_every_tool() {
    let (d, key) = demo();
    for version in ["2025-06-18", "2025-11-25"] {
        let mut c = McpClient::start(d.home(), Some(&key), &[]);
        let init = c.initialize(version);
        assert_eq!(init["result"]["protocolVersion"], version, "{init}");
        assert_eq!(init["result"]["serverInfo"]["name"], "pacer");
        assert!(init["result"]["instructions"].as_str().is_some_and(|s| s.contains("Strava")));
        let tools = c.request("tools/list", json!({}));
        let mut names: Vec<&str> =
            tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, TOOLS);
    }

    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-11-25");
    let r = c.call("get_activities", json!({"limit": 5}));
    let acts = structured(&r)["activities"].as_array().expect("activities").clone();
    assert_eq!(acts.len(), 5);
    assert!(acts[0]["distance_m"].as_f64().is_some() && acts[0]["moving_time_s"].as_u64().is_some());
    let first_id = acts[0]["id"].as_u64().unwrap();
    let r = c.call("get_activity", json!({"activity_id": first_id}));
    assert_eq!(structured(&r)["id"], first_id);
    let r = c.call("get_activity_streams", json!({"activity_id": first_id, "keys": ["heartrate"], "max_points": 50}));
    let s = structured(&r);
    assert!(s["returned_points"].as_u64().unwrap() <= 50, "{s}");
    let r = c.call("get_athlete", json!({}));
    assert!(structured(&r)["id"].as_u64().is_some());
    let r = c.call("get_athlete_stats", json!({}));
    assert!(structured(&r).get("all_run_totals").is_some(), "{r}");
    let r = c.call("get_connection_status", json!({}));
    assert_eq!(structured(&r)["connected"], true, "{r}");
    let r = c.call("connect_provider", json!({}));
    assert!(structured(&r)["authorize_url"].as_str().unwrap().contains("/oauth/authorize?"), "{r}");
    let r = c.call("disconnect_provider", json!({}));
    assert!(r.get("error").is_none(), "{r}");
    // Not connected any more: a tool result with isError and the connect URL.
    let r = c.call("get_activities", json!({}));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(r["result"]["content"].to_string().contains("/oauth/authorize?"), "{r}");

    // Usage rows were recorded and last_used_at stamped.
    let keys = d.cli_json(&["keys", "list", "--user", "demo@pacer.local"]);
    assert!(keys["keys"][0]["last_used_at"].is_string(), "{keys}");
}

#[test]
fn upload_gpx_with_progress_then_visible() {
    let (d, key) = demo();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.gpx");
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    std::fs::write(&path, gpx(start, 300, 5, (52.0, 4.0)).0).unwrap();
    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-06-18");
    let r = c.request(
        "tools/call",
        json!({"name": "upload_activity", "arguments": {"path": path, "name": "IT upload", "external_id": "it-1"}, "_meta": {"progressToken": "up-1"}}),
    );
    let s = structured(&r);
    let activity_id = s["activity_id"].as_u64().unwrap_or_else(|| panic!("no activity id: {r}"));
    let progress: Vec<&Value> = c.notifications.iter().filter(|n| n["method"] == "notifications/progress").collect();
    assert!(!progress.is_empty(), "no progress notifications");
    assert!(progress.iter().all(|n| n["params"]["progressToken"] == "up-1"));

    let r = c.call("get_activities", json!({"limit": 10}));
    let acts = structured(&r)["activities"].as_array().unwrap().clone();
    let up = acts
        .iter()
        .find(|a| a["id"] == activity_id)
        .unwrap_or_else(|| panic!("uploaded activity not listed: {acts:?}"));
    assert_eq!(up["name"], "IT upload");
    assert!(up["distance_m"].as_f64().unwrap() > 1000.0, "{up}");

    // The same file again: the provider's duplicate error, verbatim.
    let r = c.call("upload_activity", json!({"path": path, "external_id": "it-2"}));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(r["result"]["content"].to_string().contains("duplicate of activity"), "{r}");
}

#[test]
fn errors_bad_args_unknown_tool_refresh_failure() {
    let (d, key) = demo();
    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-11-25");
    let r = c.call("no_such_tool", json!({}));
    assert_eq!(error_code(&r), -32602, "{r}");
    let r = c.call("get_activities", json!({"limit": 0}));
    assert_eq!(error_code(&r), -32602);
    assert!(r["error"]["message"].as_str().unwrap().contains("limit"), "{r}");
    let r = c.call("get_activities", json!({"limit": "ten"}));
    assert_eq!(error_code(&r), -32602);
    assert!(r["error"]["message"].as_str().unwrap().contains("limit"), "{r}");
    let r = c.call("get_activity", json!({}));
    assert_eq!(error_code(&r), -32602);
    assert!(r["error"]["message"].as_str().unwrap().contains("activity_id"), "{r}");

    d.sandbox_faults(json!({"expire_access_tokens": "all", "fail_refresh": true}));
    let r = c.call("get_activities", json!({}));
    assert_eq!(r["error"], json!({"code": -32603, "message": "Token refresh failed"}), "{r}");
}

#[test]
fn bad_key_and_key_revoked_mid_session() {
    let (d, key) = demo();
    let mut bad = McpClient::start(d.home(), Some(&format!("pk_live_{}", "x".repeat(40))), &[]);
    let r = bad.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}),
    );
    assert!(r["error"]["message"].as_str().unwrap().contains("invalid API key"), "{r}");

    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-06-18");
    assert!(c.call("get_athlete", json!({})).get("error").is_none());
    let keys = d.cli_json(&["keys", "list", "--user", "demo@pacer.local"]);
    let id = keys["keys"][0]["id"].as_str().unwrap().to_string();
    d.cli_json(&["keys", "revoke", &id]);
    let r = c.call("get_athlete", json!({}));
    assert!(r["error"]["message"].as_str().unwrap().contains("deactivated"), "{r}");
}

#[test]
fn daemon_restart_mid_session_is_invisible() {
    let (mut d, key) = demo();
    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-11-25");
    assert!(c.call("get_athlete", json!({})).get("error").is_none());
    d.kill();
    let home = std::mem::replace(&mut d.home, new_home());
    let d2 = TestDaemon::start_in(home, Options { demo: true, sandbox: true, ..Default::default() });
    d2.demo_facts();
    let r = c.call("get_connection_status", json!({}));
    assert!(r.get("error").is_none(), "{r}");
    assert!(r["result"]["structuredContent"]["connected"].is_boolean(), "{r}");
}

#[test]
fn absent_daemon_is_autostarted() {
    // Prepare a home with a key, then stop its daemon. The config file makes the autostarted
    // daemon (which gets only --home) bind an ephemeral HTTP port.
    let mut d =
        TestDaemon::start_with(Options { config_toml: "http = \"127.0.0.1:0\"\n".into(), ..Default::default() });
    let (_, key) = d.user_with_key("auto@example.com", None, "free");
    d.stop();
    let home = std::mem::replace(&mut d.home, new_home());
    assert!(!crate::fixture::cli_in(home.path(), &["status"], None).status.success());
    let mut c = McpClient::start(home.path(), Some(&key), &[]);
    let init = c.initialize("2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "pacer", "{init}");
    let r = c.call("get_connection_status", json!({}));
    assert_eq!(r["result"]["structuredContent"]["connected"], false, "{r}");
    drop(c);
    let out = crate::fixture::cli_in(home.path(), &["stop"], None);
    assert!(out.status.success(), "autostarted daemon should be running: {}", String::from_utf8_lossy(&out.stderr));
    std::thread::sleep(Duration::from_millis(200));
}

#[test]
fn upload_refuses_a_hard_link_to_a_home_file_with_the_answer_for_a_missing_one() {
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("ada@example.com", None, "free");
    let jwt_key = d.home().join("jwt.key");
    let secret = std::fs::read_to_string(&jwt_key).expect("jwt.key");
    // Same file system as the home, so the hard link can be made.
    let dir = tempfile::tempdir_in(d.home().parent().expect("parent")).expect("dir");
    let leak = dir.path().join("leak.gpx");
    std::fs::hard_link(&jwt_key, &leak).expect("hard link");
    let missing = dir.path().join("missing.gpx");

    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-11-25");
    let mut message = |path: &std::path::Path| {
        let r = c.call("upload_activity", json!({ "path": path }));
        assert_eq!(error_code(&r), -32602, "{r}");
        assert!(!r.to_string().contains(secret.trim()), "the key leaked: {r}");
        r["error"]["message"].as_str().unwrap_or_default().replace(&path.display().to_string(), "<path>")
    };
    let leaked = message(&leak);
    assert_eq!(leaked, message(&missing), "a refusal must not tell a hard link from a missing file");
    assert!(leaked.contains("one of pacer's own files"), "{leaked}");
}
