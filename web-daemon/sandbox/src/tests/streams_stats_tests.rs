//! `/api/v3` data shapes: streams (keyed and listed, resolution) and stats against the list.

use actix_web::http::StatusCode;
use serde_json::Value;

use super::{FULL_SCOPE, config, s};
use crate::SandboxStrava;

#[actix_web::test]
async fn streams_have_strava_shapes() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1002, FULL_SCOPE), "/access_token");
    let all = send!(app, req!(get, "/api/v3/athlete/activities?per_page=200", &token)).json();
    let ride = all
        .as_array()
        .and_then(|l| l.iter().find(|a| a["sport_type"] == "Ride" && a.get("average_watts").is_some()))
        .cloned()
        .unwrap_or_default();
    let id = ride["id"].as_u64().unwrap_or_default();
    let keyed =
        send!(app, req!(get, format!("/api/v3/activities/{id}/streams?keys=heartrate,watts&key_by_type=true"), &token));
    assert_eq!(keyed.status, StatusCode::OK);
    let keyed = keyed.json();
    let mut keys: Vec<&String> = keyed.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    keys.sort();
    assert_eq!(keys, ["distance", "heartrate", "time", "watts"]);
    let size = keyed["time"]["original_size"].as_u64().unwrap_or_default() as usize;
    let moving = ride["moving_time"].as_u64().unwrap_or_default() as usize;
    assert!(size >= moving / 5 - 5 && size <= moving / 5 + 5, "{size} points for {moving} s");
    for key in keys {
        let stream = &keyed[key.as_str()];
        assert_eq!(stream["data"].as_array().map(Vec::len), Some(size), "{key}");
        assert_eq!((stream["series_type"].as_str(), stream["resolution"].as_str()), (Some("distance"), Some("high")));
    }
    let last = |k: &str| keyed[k]["data"].as_array().and_then(|d| d.last()).and_then(Value::as_f64).unwrap_or_default();
    assert!((last("distance") - ride["distance"].as_f64().unwrap_or_default()).abs() <= 0.1);
    assert_eq!(last("time") as u64, ride["elapsed_time"].as_u64().unwrap_or_default());

    let listed = send!(app, req!(get, format!("/api/v3/activities/{id}/streams?keys=latlng,altitude"), &token)).json();
    let types: Vec<&str> =
        listed.as_array().map(|l| l.iter().filter_map(|x| x["type"].as_str()).collect()).unwrap_or_default();
    assert_eq!(types, ["time", "distance", "latlng", "altitude"]);
    assert_eq!(listed[2]["data"][0].as_array().map(Vec::len), Some(2), "latlng pairs");

    let low = send!(
        app,
        req!(get, format!("/api/v3/activities/{id}/streams?keys=time&key_by_type=true&resolution=low"), &token)
    )
    .json();
    assert!(low["time"]["data"].as_array().map_or(0, Vec::len) <= 100);
    assert_eq!(low["time"]["original_size"].as_u64(), Some(size as u64));
}

#[actix_web::test]
async fn stats_agree_with_the_activity_list() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1002, FULL_SCOPE), "/access_token");
    let all = send!(app, req!(get, "/api/v3/athlete/activities?per_page=200", &token)).json();
    let list = all.as_array().cloned().unwrap_or_default();
    let stats = send!(app, req!(get, "/api/v3/athletes/1002/stats", &token));
    assert_eq!(stats.status, StatusCode::OK);
    let stats = stats.json();
    for (group, types) in [("run", &["Run"][..]), ("ride", &["Ride", "VirtualRide"][..]), ("swim", &["Swim"][..])] {
        let members: Vec<&Value> = list.iter().filter(|a| types.iter().any(|t| a["type"] == *t)).collect();
        let totals = &stats[format!("all_{group}_totals")];
        assert_eq!(totals["count"].as_u64(), Some(members.len() as u64), "{group}");
        let sum = |k: &str| members.iter().filter_map(|a| a[k].as_f64()).sum::<f64>();
        assert!((totals["distance"].as_f64().unwrap_or(-1.0) - sum("distance")).abs() < 0.2, "{group}");
        assert_eq!(totals["moving_time"].as_f64(), Some(sum("moving_time")));
        assert!((totals["elevation_gain"].as_f64().unwrap_or(-1.0) - sum("total_elevation_gain")).abs() < 0.2);
        let recent = stats[format!("recent_{group}_totals")]["count"].as_u64().unwrap_or(u64::MAX);
        assert!(recent <= members.len() as u64);
    }
    let biggest = list
        .iter()
        .filter(|a| a["type"] == "Ride" || a["type"] == "VirtualRide")
        .filter_map(|a| a["distance"].as_f64())
        .fold(0.0, f64::max);
    assert_eq!(stats["biggest_ride_distance"].as_f64(), Some(biggest));
    let other = send!(app, req!(get, "/api/v3/athletes/1001/stats", &token));
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}
