//! Analytics tools over a generated, imported season with no provider connection (own-data
//! mode): search with a cursor, training load, weekly summary, personal records, settings.

use std::collections::HashSet;

use pacer_corpus::{CorpusSpec, Faults};
use serde_json::{Value, json};

use crate::fixture::TestDaemon;
use crate::mcp_client::McpClient;

fn structured(r: &Value) -> &Value {
    assert!(r.get("error").is_none() && r["result"]["isError"] != json!(true), "tool failed: {r:#}");
    &r["result"]["structuredContent"]
}

/// A daemon with one user whose store holds a generated season ending today.
fn season() -> (TestDaemon, McpClient, Vec<pacer_corpus::GeneratedActivity>) {
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("ann@example.com", None, "enterprise");
    let spec = CorpusSpec {
        seed: 5,
        activities: 60,
        days: 120,
        end_date: chrono::Utc::now().date_naive(),
        max_duration_s: None,
    };
    let acts = pacer_corpus::generate(&spec);
    let work = tempfile::tempdir().expect("tmp");
    let zip = work.path().join("export.zip");
    std::fs::write(&zip, pacer_corpus::export_zip(&acts, &Faults::default()).expect("zip").zip).expect("write");
    let out = d.cli(&["import", zip.to_str().expect("path"), "--user", "ann@example.com", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    mcp.initialize("2025-11-25");
    (d, mcp, acts)
}

#[test]
fn analytics_answer_from_imported_files_without_a_provider() {
    let (_d, mut mcp, acts) = season();

    // Search: every activity exactly once across cursor pages, newest first.
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut last_start = String::from("9999");
    for _ in 0..20 {
        let mut args = json!({"limit": 7});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = mcp.call("search_activities", args);
        let page = structured(&r).clone();
        for a in page["activities"].as_array().expect("activities") {
            let start = a["start_date"].as_str().expect("start").to_owned();
            assert!(start <= last_start, "not newest first: {start} after {last_start}");
            last_start = start;
            assert!(seen.insert(a["id"].as_u64().expect("id")), "listed twice: {a}");
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), acts.len());
    let long = mcp.call("search_activities", json!({"min_distance_m": 15000, "sort": "longest", "limit": 50}));
    let long = structured(&long)["activities"].as_array().expect("list").clone();
    let expected = acts.iter().filter(|a| a.totals.distance_m >= 15_000.5).count();
    assert!(long.len().abs_diff(expected) <= 1, "{} vs {expected}", long.len());
    assert!(long.windows(2).all(|w| w[0]["distance_m"].as_f64() >= w[1]["distance_m"].as_f64()));
    let bad = mcp.call("search_activities", json!({"cursor": "nonsense"}));
    assert_eq!(bad["error"]["code"], json!(-32602), "{bad:#}");

    // Settings change the load method.
    let before = mcp.call("get_training_load", json!({"days": 28}));
    let methods = structured(&before)["methods"].to_string();
    assert!(methods.contains("duration_estimate") && !methods.contains("power_tss"), "{methods}");
    let set = mcp.call(
        "set_athlete_settings",
        json!({"ftp_watts": 250, "resting_heartrate_bpm": 48, "max_heartrate_bpm": 188, "time_zone": "Europe/Amsterdam"}),
    );
    assert_eq!(structured(&set)["ftp_watts"], json!(250.0));
    let bad = mcp.call("set_athlete_settings", json!({"time_zone": "Mars/Olympus"}));
    assert_eq!(bad["error"]["code"], json!(-32602), "{bad:#}");
    let load = mcp.call("get_training_load", json!({"days": 28}));
    let load = structured(&load).clone();
    let methods = load["methods"].to_string();
    assert!(methods.contains("power_tss") && methods.contains("heart_rate_trimp"), "{methods}");
    let series = load["series"].as_array().expect("series");
    assert_eq!(series.len(), 28);
    let today = &load["today"];
    assert!(today["ctl"].as_f64().expect("ctl") > 5.0, "a season of training builds fitness: {today}");
    let tsb = today["tsb"].as_f64().expect("tsb");
    let (ctl, atl) = (today["ctl"].as_f64().expect("ctl"), today["atl"].as_f64().expect("atl"));
    assert!((tsb - (ctl - atl)).abs() <= 0.11, "TSB = CTL − ATL: {today}");

    // Weekly summary: 8 ISO weeks; the weeks add up to the totals.
    let weekly = mcp.call("get_weekly_summary", json!({}));
    let weekly = structured(&weekly).clone();
    let weeks = weekly["weeks"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 8);
    let sum: u64 = weeks.iter().map(|w| w["total"]["count"].as_u64().expect("count")).sum();
    assert_eq!(sum, weekly["totals"]["count"].as_u64().expect("total"));
    assert!(weeks.iter().all(|w| w["week"].as_str().is_some_and(|s| s.contains("-W"))));

    // Records: the race is the fastest half marathon; efforts point at real activities.
    let records = mcp.call("get_personal_records", json!({}));
    let records = structured(&records).clone();
    let efforts = records["best_efforts"].as_array().expect("efforts");
    let ids: HashSet<u64> = acts.iter().map(|a| a.id).collect();
    for e in efforts {
        assert!(ids.contains(&e["activity_id"].as_u64().expect("id")), "{e}");
    }
    let five_k = efforts.iter().find(|e| e["record"] == "time_5k").expect("a 5k effort");
    let pace = five_k["pace_s_per_km"].as_f64().expect("pace");
    assert!((200.0..420.0).contains(&pace), "5k pace {pace} s/km");
    let half = efforts.iter().find(|e| e["record"] == "time_half_marathon");
    let race = acts.iter().find(|a| a.is_race());
    if let Some(race) = race.filter(|r| r.totals.distance_m >= 21_097.5 * 1.002) {
        let half = half.unwrap_or_else(|| panic!("no half-marathon effort; race covered {} m", race.totals.distance_m));
        assert_eq!(half["activity_id"], json!(race.id), "{half}");
        let secs = half["value"].as_f64().expect("secs");
        assert!(secs <= f64::from(race.totals.elapsed_s) + 1.0, "{secs} vs race {}", race.totals.elapsed_s);
    }
    assert!(records["longest_run"]["value"].as_f64().is_some(), "{records}");
}
