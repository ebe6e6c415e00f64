//! The result budget: every tool, with default and with maximal arguments, on the demo's year
//! of training (≈250 activities with full streams) answers within 16 KiB of JSON, and so does
//! `tools/list`; the text content is a summary, not a second copy of the data.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fixture::{Options, TestDaemon, open_db};
use crate::mcp_client::McpClient;

const BUDGET: usize = 16 * 1024;

fn size(v: &Value) -> usize {
    serde_json::to_vec(v).expect("json").len()
}

/// The demo with its generated year imported (waits for the background import).
fn demo_with_year() -> (TestDaemon, String) {
    let d = TestDaemon::start_with(Options {
        demo: true,
        sandbox: true,
        env: vec![("PACER_DEMO_ACTIVITIES".into(), "250".into())],
        ..Default::default()
    });
    let key = d.demo_facts()["api_key"].as_str().expect("key").to_owned();
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let files: i64 = open_db(d.home())
            .query_row("SELECT COUNT(*) FROM activities WHERE source = 'file'", [], |r| r.get(0))
            .unwrap_or(0);
        if files >= 240 {
            break;
        }
        assert!(Instant::now() < deadline, "demo year not imported ({files}); log:\n{}", d.log_text());
        std::thread::sleep(Duration::from_millis(200));
    }
    (d, key)
}

#[test]
fn every_tool_answers_within_the_budget_on_a_year_of_data() {
    let (d, key) = demo_with_year();
    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    mcp.initialize("2025-11-25");
    let list = mcp.request("tools/list", json!({}));
    assert!(size(&list["result"]) <= BUDGET, "tools/list is {} bytes", size(&list["result"]));
    let tools: Vec<String> = list["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect();
    // Strict JSON Schema: no Rust-specific formats, no boolean sub-schemas.
    let schemas = list["result"].to_string();
    for bad in ["\"uint32\"", "\"uint64\"", "\"uint\"", "\"int64\"", "\"double\"", "\"items\":true"] {
        assert!(!schemas.contains(bad), "tools/list still has {bad}");
    }

    let year_ago = chrono::Utc::now().timestamp() - 400 * 86_400;
    let longest = mcp.call("search_activities", json!({"sort": "longest", "limit": 1}));
    let id = longest["result"]["structuredContent"]["activities"][0]["id"].as_u64().expect("an activity");
    let zip = tempfile::tempdir().expect("tmp");
    let small = pacer_corpus::generate(&pacer_corpus::CorpusSpec {
        activities: 2,
        days: 7,
        max_duration_s: Some(300),
        ..pacer_corpus::CorpusSpec::default()
    });
    let zip_path = zip.path().join("two.zip");
    std::fs::write(&zip_path, pacer_corpus::export_zip(&small, &pacer_corpus::Faults::default()).expect("zip").zip)
        .expect("write");
    let calls: Vec<(&str, Value)> = vec![
        ("get_activities", json!({})),
        ("get_activities", json!({"limit": 200, "after": year_ago})),
        ("get_activity", json!({"activity_id": id})),
        ("get_activity_streams", json!({"activity_id": id})),
        ("get_activity_streams", json!({"activity_id": id, "max_points": 10000})),
        ("get_athlete", json!({})),
        ("get_athlete_stats", json!({})),
        ("search_activities", json!({})),
        ("search_activities", json!({"limit": 50, "sort": "longest_time"})),
        ("get_training_load", json!({})),
        ("get_training_load", json!({"days": 120})),
        ("get_weekly_summary", json!({})),
        ("get_weekly_summary", json!({"weeks": 26})),
        ("get_personal_records", json!({})),
        ("get_athlete_settings", json!({})),
        ("set_athlete_settings", json!({"ftp_watts": 250, "resting_heartrate_bpm": 48, "max_heartrate_bpm": 188})),
        ("import_activities", json!({"path": zip_path})),
        ("upload_activity", json!({"content_base64": "PGdweD48L2dweD4=", "data_type": "gpx"})),
        ("get_connection_status", json!({})),
        ("connect_provider", json!({})),
        ("disconnect_provider", json!({})),
    ];
    let mut called: Vec<&str> = Vec::new();
    let mut table = format!("| tools/list | | {} |\n", size(&list["result"]));
    for (tool, args) in calls {
        let r = mcp.call(tool, args.clone());
        let result = r.get("result").unwrap_or_else(|| panic!("{tool} {args}: {r}"));
        assert!(size(result) <= BUDGET, "{tool} {args}: {} bytes", size(result));
        table.push_str(&format!("| `{tool}` | `{args}` | {} |\n", size(result)));
        if result["isError"] != json!(true) {
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            assert!(text.len() < 1_000, "{tool}: the text is a summary, not the data ({} bytes)", text.len());
            assert_eq!(result["content"].as_array().map(Vec::len), Some(1), "{tool}: one text block");
        }
        called.push(tool);
    }
    for tool in &tools {
        assert!(called.contains(&tool.as_str()), "{tool} not exercised");
    }
    // The README's result-size table (`cargo nextest run -E 'test(budget)' --no-capture`).
    eprintln!("{table}");

    // A maximal list is cut to the budget and continues by cursor.
    let r = mcp.call("get_activities", json!({"limit": 200, "after": year_ago}));
    let page = &r["result"]["structuredContent"];
    assert!(page["count"].as_u64().expect("count") < 200, "cut to fit: {}", page["count"]);
    let cursor = page["next_cursor"].as_str().expect("a cursor to continue").to_owned();
    let next = mcp.call("get_activities", json!({"limit": 200, "after": year_ago, "cursor": cursor}));
    let first_next =
        next["result"]["structuredContent"]["activities"][0]["start_date"].as_str().expect("more").to_owned();
    let last_prev = page["activities"].as_array().and_then(|a| a.last()).expect("last")["start_date"]
        .as_str()
        .expect("date")
        .to_owned();
    assert!(first_next <= last_prev, "the cursor continues older: {first_next} after {last_prev}");

    // Integers sent as floats (protobuf clients) are accepted.
    let r = mcp.call("get_activities", json!({"limit": 3.0, "page": 1.0}));
    assert_eq!(r["result"]["structuredContent"]["count"], json!(3), "{r}");
}
