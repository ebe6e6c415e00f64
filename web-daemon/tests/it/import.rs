//! Issue "Own data": import of generated Strava bulk exports and files through the real CLI, the
//! MCP tool (socket and HTTP) and `POST /api/import`, against a real daemon and real SQLite.

use std::path::{Path, PathBuf};

use pacer_corpus::{CorpusSpec, FaultKind, Faults, GeneratedActivity};
use serde_json::{Value, json};

use crate::fixture::{Options, TestDaemon, open_db};
use crate::mcp_client::McpClient;

/// A small generated season: `n` short activities (≤ 20 min each) ending on a fixed date.
fn season(n: usize) -> Vec<GeneratedActivity> {
    let spec = CorpusSpec {
        seed: 11,
        activities: n,
        days: 60,
        max_duration_s: Some(1200),
        end_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
    };
    pacer_corpus::generate(&spec)
}

/// Writes a bulk export of `activities` with `faults` into `dir`; returns its path and export.
fn export(
    dir: &Path,
    name: &str,
    activities: &[GeneratedActivity],
    faults: &Faults,
) -> (PathBuf, pacer_corpus::Export) {
    let export = pacer_corpus::export_zip(activities, faults).expect("export");
    let path = dir.join(name);
    std::fs::write(&path, &export.zip).expect("write zip");
    (path, export)
}

/// `pacerd import PATH --user EMAIL --json`: (success, the report or error text).
fn import(d: &TestDaemon, path: &Path, email: &str) -> (bool, Value, String) {
    let out = d.cli(&["import", path.to_str().expect("utf-8 path"), "--user", email, "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = stdout.lines().last().and_then(|l| serde_json::from_str::<Value>(l).ok()).unwrap_or(Value::Null);
    (out.status.success(), last["report"].clone(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.get("name").unwrap_or(x).as_str().expect("name").to_owned())
        .collect();
    v.sort();
    v
}

fn activity_rows(d: &TestDaemon) -> i64 {
    open_db(d.home()).query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0)).expect("count")
}

#[test]
fn bulk_export_with_faults_imports_the_good_files_and_names_the_bad_ones_then_reimport_is_a_no_op() {
    let d = TestDaemon::start();
    d.user_with_key("ann@example.com", None, "free");
    let work = tempfile::tempdir().expect("tmp");
    let activities = season(12);
    let faults = Faults { path_traversal: false, ..Faults::all() };
    let (zip, exported) = export(work.path(), "export.zip", &activities, &faults);
    let entry = |kind| exported.faults.iter().find(|f| f.kind == kind).expect("fault").entry.clone();

    let (ok, report, err) = import(&d, &zip, "ann@example.com");
    assert!(ok, "import failed: {err}");
    let mut failed = vec![
        entry(FaultKind::TruncatedFit),
        entry(FaultKind::BadCrcFit),
        entry(FaultKind::MalformedXml),
        entry(FaultKind::MissingFile),
    ];
    failed.sort();
    assert_eq!(names(&report["failed"]), failed, "{report:#}");
    assert_eq!(names(&report["skipped"]), [entry(FaultKind::UnsupportedFile)], "{report:#}");
    let good = activities.len() as u64 - 4;
    assert_eq!(report["imported"], json!(good), "{report:#}");
    assert!(report["duplicates"].as_array().expect("dups").is_empty());
    assert_eq!(activity_rows(&d), good as i64);

    let (ok, again, err) = import(&d, &zip, "ann@example.com");
    assert!(ok, "re-import failed: {err}");
    assert_eq!(again["imported"], json!(0), "{again:#}");
    assert_eq!(again["duplicates"].as_array().expect("dups").len() as u64, good);
    assert_eq!(activity_rows(&d), good as i64, "re-import added rows");
}

#[test]
fn path_traversal_and_zip_bombs_are_refused_and_nothing_is_written() {
    let d = TestDaemon::start();
    d.user_with_key("ann@example.com", None, "free");
    let work = tempfile::tempdir().expect("tmp");
    let inner = work.path().join("inner");
    std::fs::create_dir(&inner).expect("dir");
    let traversal = Faults { path_traversal: true, ..Faults::default() };
    let (zip, _) = export(&inner, "evil.zip", &season(3), &traversal);
    let (ok, _, err) = import(&d, &zip, "ann@example.com");
    assert!(!ok, "a ../ entry must refuse the archive");
    assert!(err.contains("../evil.fit"), "the error names the entry: {err}");
    assert!(!work.path().join("evil.fit").exists() && !inner.join("evil.fit").exists());
    assert_eq!(activity_rows(&d), 0);

    let bomb = pacer_corpus::zip_bomb(512 * 1024 * 1024);
    let bomb_path = work.path().join("bomb.zip");
    std::fs::write(&bomb_path, &bomb.zip).expect("write bomb");
    let (ok, report, err) = import(&d, &bomb_path, "ann@example.com");
    let refused = !ok || names(&report["failed"]).contains(&bomb.entry);
    assert!(refused, "bomb accepted: ok={ok} report={report} err={err}");
    assert_eq!(activity_rows(&d), 0);
}

#[test]
fn imported_activities_match_their_files_and_stay_with_their_owner() {
    let d = TestDaemon::start();
    let (_, ann_key) = d.user_with_key("ann@example.com", Some("club"), "premium");
    let (_, bob_key) = d.user_with_key("bob@example.com", Some("club"), "premium");
    let (_, eve_key) = d.user_with_key("eve@example.com", Some("other"), "premium");
    let work = tempfile::tempdir().expect("tmp");
    let activities = season(6);
    let (zip, _) = export(work.path(), "export.zip", &activities, &Faults::default());
    assert!(import(&d, &zip, "ann@example.com").0);
    assert!(import(&d, &zip, "eve@example.com").0, "the same ZIP for another tenant's user");

    let mut ann = McpClient::start(d.home(), Some(&ann_key), &[]);
    ann.initialize("2025-11-25");
    let list = ann.call("get_activities", json!({"limit": 50}));
    let listed = list["result"]["structuredContent"]["activities"].as_array().expect("activities").clone();
    assert_eq!(listed.len(), activities.len(), "{list:#}");
    for source in &activities {
        let got = ann.call("get_activity", json!({"activity_id": source.id}));
        let a = &got["result"]["structuredContent"];
        assert_eq!(a["id"], json!(source.id), "{got:#}");
        assert_eq!(a["name"], json!(source.name));
        let t = &source.totals;
        let distance = a["distance_m"].as_f64().expect("distance");
        assert!(
            (distance - t.distance_m).abs() <= t.distance_m * 0.01 + 5.0,
            "distance {distance} vs {}",
            t.distance_m
        );
        let elapsed = a["elapsed_time_s"].as_f64().expect("elapsed");
        assert!((elapsed - f64::from(t.elapsed_s)).abs() <= 2.0, "elapsed {elapsed} vs {}", t.elapsed_s);
        let gain = a["total_elevation_gain_m"].as_f64().expect("gain");
        assert!(
            (gain - t.elevation_gain_m).abs() <= t.elevation_gain_m * 0.1 + 5.0,
            "gain {gain} vs {}",
            t.elevation_gain_m
        );
        let streams = ann
            .call("get_activity_streams", json!({"activity_id": source.id, "keys": ["heartrate"], "max_points": 50}));
        let s = &streams["result"]["structuredContent"];
        assert!(s["returned_points"].as_u64().expect("points") <= 50, "{streams:#}");
        assert!(s["series"]["heartrate"].as_array().is_some_and(|h| !h.is_empty()), "{streams:#}");
    }

    // Same tenant, other user: nothing of Ann's, neither listed nor by id.
    let mut bob = McpClient::start(d.home(), Some(&bob_key), &[]);
    bob.initialize("2025-11-25");
    let bob_list = bob.call("get_activities", json!({"limit": 50}));
    assert_eq!(bob_list["result"]["isError"], json!(true), "no data and not connected: {bob_list:#}");
    let stolen = bob.call("get_activity", json!({"activity_id": activities[0].id}));
    assert_eq!(stolen["result"]["isError"], json!(true), "{stolen:#}");
    let stolen = bob.call("get_activity_streams", json!({"activity_id": activities[0].id}));
    assert_eq!(stolen["result"]["isError"], json!(true), "{stolen:#}");

    // Other tenant, same ZIP: its own rows with the same ids.
    let mut eve = McpClient::start(d.home(), Some(&eve_key), &[]);
    eve.initialize("2025-11-25");
    let eve_list = eve.call("get_activities", json!({"limit": 50}));
    assert_eq!(eve_list["result"]["structuredContent"]["count"], json!(activities.len()), "{eve_list:#}");
    let rows: i64 = open_db(d.home())
        .query_row("SELECT COUNT(DISTINCT tenant_id || user_id) FROM activities", [], |r| r.get(0))
        .expect("owners");
    assert_eq!(rows, 2);
}

#[test]
fn the_import_tool_runs_on_the_socket_with_progress_and_is_refused_over_http() {
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("ann@example.com", None, "premium");
    let work = tempfile::tempdir().expect("tmp");
    let (zip, _) = export(work.path(), "export.zip", &season(4), &Faults::default());

    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    mcp.initialize("2025-11-25");
    let r = mcp.request(
        "tools/call",
        json!({"name": "import_activities", "arguments": {"path": zip}, "_meta": {"progressToken": "imp"}}),
    );
    assert_eq!(r["result"]["structuredContent"]["imported"], json!(4), "{r:#}");
    assert!(
        mcp.notifications
            .iter()
            .any(|n| n["method"] == "notifications/progress" && n["params"]["progressToken"] == "imp"),
        "progress notifications: {:?}",
        mcp.notifications
    );
    let bad = mcp.call("import_activities", json!({"path": "relative/x.zip"}));
    assert_eq!(bad["error"]["code"], json!(-32602), "{bad:#}");

    let web = crate::fixture::Web::new(&d);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "import_activities", "arguments": {"path": zip}}});
    let reply = web.send(
        web.post("/mcp").header("X-API-Key", &key).header("Accept", "application/json, text/event-stream").json(&body),
    );
    let text = reply.text.clone();
    assert!(text.contains("-32602") && text.contains("pacer-mcp"), "HTTP import must be refused: {text}");
}

#[test]
fn the_web_upload_streams_progress_and_the_report_and_caps_the_size() {
    let d = TestDaemon::start_with(Options {
        env: vec![("PACER_MAX_IMPORT_BYTES".into(), (4 * 1024 * 1024).to_string())],
        ..Options::default()
    });
    d.user_with_password("ann@example.com", None, "correct horse battery");
    let web = crate::fixture::Web::new(&d);
    let jwt = web.login("ann@example.com", "correct horse battery");
    let work = tempfile::tempdir().expect("tmp");
    let (_, exported) = export(work.path(), "export.zip", &season(5), &Faults::default());
    let upload = |bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("export.zip");
        let form = reqwest::multipart::Form::new().part("file", part);
        web.send(web.post("/api/import").bearer_auth(&jwt).multipart(form))
    };
    let reply = upload(exported.zip.clone());
    assert_eq!(reply.status, 200, "{}", reply.text);
    let lines: Vec<Value> = reply.text.lines().map(|l| serde_json::from_str(l).expect("ndjson line")).collect();
    assert!(lines.iter().any(|l| l.get("progress").is_some()), "{}", reply.text);
    let last = lines.last().expect("lines");
    assert_eq!(last["report"]["imported"], json!(5), "{}", reply.text);

    let too_big = upload(vec![0u8; 5 * 1024 * 1024]);
    assert_eq!(too_big.status, 413, "{}", too_big.text);
    assert_eq!(too_big.error_code(), "payload_too_large");
    let unauthenticated = web.send(web.post("/api/import"));
    assert_eq!(unauthenticated.status, 401);
}

/// Uploads of different files by one person each get their own row and answer their own id, in
/// any order (an older activity after a newer one), and a re-upload names the stored activity.
#[test]
fn uploads_of_different_files_each_answer_their_own_activity() {
    use base64::Engine as _;
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("ann@example.com", Some("club"), "premium");
    let mut ann = McpClient::start(d.home(), Some(&key), &[]);
    ann.initialize("2025-11-25");
    let activities = season(3);
    let mut newest_first = activities.clone();
    newest_first.sort_by_key(|a| std::cmp::Reverse(a.start));
    let kind = pacer_corpus::FileKind { format: pacer_corpus::FileFormat::Gpx, gzip: false };
    let mut answered = Vec::new();
    for activity in &newest_first {
        let gpx = base64::engine::general_purpose::STANDARD.encode(pacer_corpus::encode(activity, kind));
        let r = ann.call("upload_activity", json!({"content_base64": gpx, "data_type": "gpx"}));
        let s = &r["result"]["structuredContent"];
        assert_eq!(s["error"], Value::Null, "{r:#}");
        let id = s["activity_id"].as_u64().unwrap_or_else(|| panic!("no activity id: {r:#}"));
        let got = ann.call("get_activity", json!({"activity_id": id}));
        let start = got["result"]["structuredContent"]["start_date"].as_str().unwrap_or_default().to_owned();
        let expected = activity.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(start, expected, "the answered id is this upload's activity: {got:#}");
        answered.push(id);
    }
    answered.sort_unstable();
    answered.dedup();
    assert_eq!(answered.len(), 3, "three files, three activities");
    assert_eq!(activity_rows(&d), 3);

    let again = base64::engine::general_purpose::STANDARD.encode(pacer_corpus::encode(&newest_first[2], kind));
    let r = ann.call("upload_activity", json!({"content_base64": again, "data_type": "gpx"}));
    let text = r["result"]["content"][0]["text"].as_str().unwrap_or_default().to_owned();
    let stored =
        answered.iter().any(|id| text.contains(&format!("duplicate of an activity already stored (activity {id})")));
    assert!(r["result"]["isError"] == json!(true) && stored, "a re-upload names the stored activity: {r:#}");
    assert_eq!(activity_rows(&d), 3);
}

/// Found by the crash test: every single uploaded file was stored under the source id `upload`,
/// so a user's second (different) upload failed on UNIQUE(source, source_id).
#[test]
fn two_different_single_file_uploads_are_both_stored() {
    let d = TestDaemon::start();
    d.user_with_password("bo@example.com", None, "correct horse battery");
    let web = crate::fixture::Web::new(&d);
    let jwt = web.login("bo@example.com", "correct horse battery");
    for start in [1_700_000_000, 1_700_100_000] {
        let gpx = pacer_files::testing::gpx(start, 5, "running");
        let part = reqwest::multipart::Part::bytes(gpx.into_bytes()).file_name("run.gpx");
        let form = reqwest::multipart::Form::new().part("file", part);
        let reply = web.send(web.post("/api/import").bearer_auth(&jwt).multipart(form));
        let last: Value = serde_json::from_str(reply.text.lines().last().expect("a line")).expect("ndjson");
        assert_eq!(last["report"]["imported"], json!(1), "{}", reply.text);
    }
    let stored: i64 = open_db(d.home())
        .query_row("SELECT count(*) FROM activities WHERE source = 'file'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(stored, 2);
}
