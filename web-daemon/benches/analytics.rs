//! `search_activities` and `get_training_load` over 10 000 activities in the local store, through
//! a real `pacerd serve` (release build) on a temp home over `POST /mcp`, versus the bare SQL query
//! of the same rows run in-process with rusqlite against the same database file, side by side in
//! one run.
//!
//! The store: 10 000 generated activities over ten years ending yesterday (≤ 5 min each, so the
//! files are small and the import quick), packed as a Strava bulk-export ZIP and imported with
//! `pacerd import ZIP --user … --json`; athlete settings (FTP 250 W, resting HR 48, max HR 188)
//! set with `set_athlete_settings`, so power TSS and heart-rate TRIMP both run.
//!
//! Baselines: for search, the store's own `SELECT … ORDER BY start_epoch_s DESC, id DESC LIMIT 21`
//! (the default page of 20 plus the probe row), every column of every row read; for training load,
//! the load columns of the activities in the 222-day window the tool reads (42 days shown + 180
//! days of warm-up). Both on one read-only connection, statement prepared once.
//!
//! Run: `cargo bench -p pacerd --bench analytics` (or `bench/run`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use pacer_corpus::{CorpusSpec, Faults};
use rusqlite::{Connection, OpenFlags, params};
use serde_json::{Value, json};

const COUNT: usize = 10_000;
const DAYS: u32 = 3_650;
const MAX_DURATION_S: u32 = 300;
const CALLS: usize = 200;
const WARM_UP: usize = 20;
/// `get_training_load`'s default 42 days plus its 180 days of warm-up.
const LOAD_WINDOW_DAYS: i64 = 42 + 180;
const EMAIL: &str = "analytics@bench.local";

/// The statement `store::activities::search` runs for the default search (newest first).
const SEARCH_SQL: &str = "SELECT id, source, source_id, content_hash, name, sport_type, description, start_epoch_s, \
    utc_offset_s, time_zone, time_zone_source, distance_m, moving_time_s, elapsed_time_s, total_elevation_gain_m, \
    average_speed_mps, max_speed_mps, average_heartrate_bpm, max_heartrate_bpm, average_cadence_rpm, \
    average_watts, max_watts, kilojoules, calories_kcal, trainer, commute, manual, device_name, gear_id, \
    external_id, start_lat_deg, start_lng_deg, has_detail, fetched_at, expires_at, normalized_watts
     FROM activities
     WHERE tenant_id = ?1 AND user_id = ?2 AND (expires_at IS NULL OR expires_at > ?3)
       AND (?4 IS NULL OR start_epoch_s > ?4) AND (?5 IS NULL OR start_epoch_s < ?5)
       AND (?6 IS NULL OR sport_type = ?6 COLLATE NOCASE)
       AND (?7 IS NULL OR distance_m >= ?7) AND (?8 IS NULL OR distance_m <= ?8)
       AND (?9 IS NULL OR moving_time_s >= ?9) AND (?10 IS NULL OR moving_time_s <= ?10)
       AND (?11 IS NULL OR name LIKE ?11 ESCAPE '\\')
       AND (?12 IS NULL OR start_epoch_s < ?12 OR (start_epoch_s = ?12 AND id < ?13))
     ORDER BY start_epoch_s DESC, id DESC LIMIT ?14";

const LOAD_SQL: &str = "SELECT start_epoch_s, utc_offset_s, sport_type, moving_time_s, normalized_watts, average_watts, \
     average_heartrate_bpm FROM activities WHERE tenant_id = ?1 AND user_id = ?2 AND start_epoch_s >= ?3";

struct Mcp {
    client: reqwest::Client,
    url: String,
    key: String,
    id: u64,
}

impl Mcp {
    /// One stateless JSON-RPC request over `POST /mcp`; its `result` and the body's size.
    async fn request(&mut self, method: &str, params: Value) -> (Value, usize) {
        self.id += 1;
        common::mcp_post(&self.client, &self.url, &self.key, self.id, method, params).await
    }

    /// `tools/call name arguments`; the structured result and the body's size.
    async fn tool(&mut self, name: &str, arguments: Value) -> (Value, usize) {
        let (mut result, bytes) = self.request("tools/call", json!({"name": name, "arguments": arguments})).await;
        (result["structuredContent"].take(), bytes)
    }

    /// Times `CALLS` runs of `f` after `WARM_UP` untimed ones.
    async fn time<F: AsyncFnMut(&mut Self)>(&mut self, mut f: F) -> Vec<Duration> {
        let mut lat = Vec::with_capacity(CALLS);
        for i in 0..CALLS + WARM_UP {
            let t = Instant::now();
            f(self).await;
            if i >= WARM_UP {
                lat.push(t.elapsed());
            }
        }
        lat
    }
}

/// Times `CALLS` runs of `f` after `WARM_UP` untimed ones; `f` returns the rows it read (the
/// same every time). The latencies and that row count.
fn time_sql(mut f: impl FnMut() -> usize) -> (Vec<Duration>, usize) {
    let mut lat = Vec::with_capacity(CALLS);
    let first = f();
    for i in 0..CALLS + WARM_UP {
        let t = Instant::now();
        let rows = f();
        let elapsed = t.elapsed();
        assert_eq!(rows, first, "bare SQL read a different number of rows");
        if i >= WARM_UP {
            lat.push(elapsed);
        }
    }
    (lat, first)
}

fn pct(v: &mut [Duration], p: usize) -> f64 {
    v.sort();
    v[(v.len() - 1) * p / 100].as_secs_f64() * 1e3
}

/// `pacerd import ZIP --user EMAIL --json`; (imported, failed, seconds from the report).
fn import(daemon: &common::Daemon, zip: &Path) -> (u64, usize, f64) {
    let path = zip.to_str().expect("utf-8 temp path");
    let out = daemon
        .cli(&["import", path, "--user", EMAIL, "--json"], Duration::from_secs(1_800))
        .unwrap_or_else(|e| panic!("import failed: {e}"));
    // JSON values one after another: progress lines, then the (pretty-printed) report.
    let report = serde_json::Deserializer::from_str(&out)
        .into_iter::<Value>()
        .filter_map(Result::ok)
        .find_map(|v| v.get("report").cloned())
        .unwrap_or_else(|| panic!("no report line in import output: {out}"));
    let imported = report["imported"].as_u64().unwrap_or_else(|| panic!("report lacks imported: {report}"));
    let failed = report["failed"].as_array().map_or(0, Vec::len);
    let ms = report["elapsed_ms"].as_u64().unwrap_or_else(|| panic!("report lacks elapsed_ms: {report}"));
    (imported, failed, ms as f64 / 1e3)
}

fn main() {
    // The corpus, as a bulk-export ZIP in a temp folder outside pacer's home.
    let t = Instant::now();
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let spec = CorpusSpec {
        end_date: yesterday,
        days: DAYS,
        activities: COUNT,
        max_duration_s: Some(MAX_DURATION_S),
        ..CorpusSpec::default()
    };
    let acts = pacer_corpus::generate(&spec);
    assert_eq!(acts.len(), COUNT);
    let export = pacer_corpus::export_zip(&acts, &Faults::default()).expect("export zip");
    drop(acts);
    let src = tempfile::tempdir().expect("tempdir for the export");
    let zip_path = src.path().join("export.zip");
    std::fs::write(&zip_path, &export.zip).expect("write export.zip");
    let zip_mb = export.zip.len() as f64 / 1e6;
    drop(export);
    let generated_s = t.elapsed().as_secs_f64();

    // The store, filled through the daemon.
    let daemon = common::serve(Some(common::HIGH_LIMITS));
    let user = daemon.cli_json(&["users", "add", "--email", EMAIL]);
    let key = daemon.cli_json(&["keys", "create", "--user", EMAIL, "--name", "bench"]);
    let status = daemon.cli_json(&["status"]);
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k} missing from {v}")).to_string();
    let (tenant_id, user_id) = (s(&user, "tenant_id"), s(&user, "id"));
    let (imported, failed, import_s) = import(&daemon, &zip_path);
    assert_eq!((imported, failed), (COUNT as u64, 0), "import incomplete");
    let db = Connection::open_with_flags(s(&status, "db_path"), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the daemon's database read-only");
    println!(
        "store: {COUNT} activities over {DAYS} days ending {yesterday} (≤ {MAX_DURATION_S} s each), export ZIP {zip_mb:.1} MB generated in {generated_s:.1} s, imported by pacerd in {import_s:.1} s"
    );

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let (mcp, search_rows, load_rows, search_bytes, load_bytes, methods) = rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        let mut m = Mcp { client, url: format!("http://{}", s(&status, "http_addr")), key: s(&key, "api_key"), id: 0 };
        let (settings, _) = m
            .tool(
                "set_athlete_settings",
                json!({"ftp_watts": 250, "resting_heartrate_bpm": 48, "max_heartrate_bpm": 188}),
            )
            .await;
        assert_eq!(settings["ftp_watts"], 250.0, "settings not saved: {settings}");

        let (page, search_bytes) = m.tool("search_activities", json!({})).await;
        let search_rows = page["activities"].as_array().map_or(0, Vec::len);
        assert!(search_rows > 0, "search found nothing: {page}");
        let (load, load_bytes) = m.tool("get_training_load", json!({})).await;
        let load_rows = load["activities"].as_u64().unwrap_or_else(|| panic!("no activities in {load}")) as usize;
        let methods = load["methods"]
            .as_array()
            .map(|ms| {
                let show = |m: &Value| format!("{} ×{}", m["method"].as_str().unwrap_or("?"), m["activities"]);
                ms.iter().map(show).collect::<Vec<_>>().join(", ")
            })
            .unwrap_or_default();

        // Floors on the same transport: MCP `ping` (key check, limiter, rmcp; no tool) and
        // `get_athlete_settings` (the tool gate with its usage row, one small store read).
        let ping = m
            .time(async |m| {
                m.request("ping", json!({})).await;
            })
            .await;
        let settings = m
            .time(async |m| {
                m.tool("get_athlete_settings", json!({})).await;
            })
            .await;
        let search = m
            .time(async |m| {
                let (page, _) = m.tool("search_activities", json!({})).await;
                assert_eq!(page["activities"].as_array().map_or(0, Vec::len), search_rows);
            })
            .await;
        let load = m
            .time(async |m| {
                let (load, _) = m.tool("get_training_load", json!({})).await;
                assert_eq!(load["activities"].as_u64(), Some(load_rows as u64));
            })
            .await;
        ([ping, settings, search, load], search_rows, load_rows, search_bytes, load_bytes, methods)
    });
    let [mut ping, mut settings, mut search, mut load] = mcp;

    // The bare queries, on the same database file while the daemon idles.
    let now = chrono::Utc::now().timestamp();
    let from = now - LOAD_WINDOW_DAYS * 86_400;
    let mut search_stmt = db.prepare(SEARCH_SQL).expect("prepare search");
    let mut load_stmt = db.prepare(LOAD_SQL).expect("prepare load");
    let none: Option<i64> = None;
    let (mut bare_search, bare_search_rows) = time_sql(|| {
        let mut rows = search_stmt
            .query(params![&tenant_id, &user_id, now, none, none, none, none, none, none, none, none, none, none, 21])
            .expect("search query");
        let mut n = 0;
        while let Some(row) = rows.next().expect("search row") {
            for i in 0..36 {
                std::hint::black_box(row.get::<_, rusqlite::types::Value>(i).expect("column"));
            }
            n += 1;
        }
        n
    });
    let (mut bare_load, bare_load_rows) = time_sql(|| {
        let mut rows = load_stmt.query(params![&tenant_id, &user_id, from]).expect("load query");
        let mut n = 0;
        while let Some(row) = rows.next().expect("load row") {
            std::hint::black_box((
                row.get::<_, i64>(0).expect("start"),
                row.get::<_, i64>(1).expect("offset"),
                row.get::<_, String>(2).expect("sport"),
                row.get::<_, i64>(3).expect("moving time"),
                row.get::<_, Option<f64>>(4).expect("np"),
                row.get::<_, Option<f64>>(5).expect("watts"),
                row.get::<_, Option<f64>>(6).expect("hr"),
            ));
            n += 1;
        }
        n
    });
    assert_eq!(bare_search_rows, 21, "the bare search should read a full page and the probe row");
    drop(daemon);

    let load_avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "POST /mcp x{CALLS} each after {WARM_UP} untimed; bare SQL in-process (rusqlite, read-only connection, same file) x{CALLS}; 2 cores shared by client and daemon (load average {})",
        load_avg.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "search_activities (default: newest, 20 per page): {search_rows} activities, {search_bytes} B; get_training_load (42 days): {load_rows} activities in {LOAD_WINDOW_DAYS} days, {load_bytes} B; methods {methods}; bare SQL rows: search {bare_search_rows}, load {bare_load_rows}"
    );
    let (p50, p99) = (pct(&mut ping, 50), pct(&mut ping, 99));
    let (g50, g99) = (pct(&mut settings, 50), pct(&mut settings, 99));
    println!("floor: MCP ping p50 {p50:.3} ms  p99 {p99:.3} ms; get_athlete_settings p50 {g50:.3} ms  p99 {g99:.3} ms");
    println!(
        "{:<20} {:>10} {:>10} {:>14} {:>14} {:>8} {:>14}",
        "tool", "p50 ms", "p99 ms", "bare SQL p50", "bare SQL p99", "ratio", "above settings"
    );
    for (name, lat, bare) in
        [("search_activities", &mut search, &mut bare_search), ("get_training_load", &mut load, &mut bare_load)]
    {
        let (t50, t99) = (pct(lat, 50), pct(lat, 99));
        let (b50, b99) = (pct(bare, 50), pct(bare, 99));
        println!("{name:<20} {t50:>10.3} {t99:>10.3} {b50:>14.3} {b99:>14.3} {:>7.0}x {:>14.3}", t50 / b50, t50 - g50);
    }
    println!("goal: p50 < 20 ms; ratio = tool p50 / bare SQL p50 (the bare query reads the same rows, nothing else)");
}
