use serde_json::{Value, json};

use super::*;

use crate::provider::strava::http::error_message;
use crate::provider::strava::streams::streams_from_json;

fn activity_json() -> Value {
    json!({
        "id": 154504250376u64, "name": "Morning Run", "type": "Run", "sport_type": "TrailRun",
        "start_date": "2026-11-25T07:30:00Z", "start_date_local": "2026-11-25T08:30:00Z",
        "timezone": "(GMT+01:00) Europe/Paris", "distance": 10012.5, "moving_time": 3000,
        "elapsed_time": 3125.0, "total_elevation_gain": 120.4, "average_speed": 3.337,
        "max_speed": 5.1, "average_heartrate": 151.2, "max_heartrate": 178.0,
        "trainer": false, "commute": true, "manual": false, "external_id": "garmin_123.fit",
        "description": "Hills", "calories": 812.0, "device_name": "Garmin Forerunner 965",
        "gear_id": "g1", "kudos_count": 3, "map": {"summary_polyline": "abc"}
    })
}

#[test]
fn maps_activity_detail() {
    let wire: WireActivity = serde_json::from_value(activity_json()).expect("decode");
    let detail = wire.into_detail();
    let a = &detail.activity;
    assert_eq!(a.id, 154504250376);
    assert_eq!(a.sport_type, "TrailRun");
    assert_eq!(a.start_date_local, "2026-11-25T08:30:00+01:00");
    assert_eq!((a.distance_m, a.moving_time_s, a.elapsed_time_s), (10012.5, 3000, 3125));
    assert_eq!(a.average_heartrate_bpm, Some(151.2));
    assert_eq!(a.average_watts, None);
    assert!(a.commute);
    assert_eq!(detail.calories_kcal, Some(812.0));
    assert_eq!(detail.device_name.as_deref(), Some("Garmin Forerunner 965"));
    let out = serde_json::to_value(&detail).expect("encode");
    assert_eq!(out["distance_m"], json!(10012.5), "activity fields are flattened");
    assert_eq!(out["description"], json!("Hills"));
}

#[test]
fn maps_sparse_activity() {
    let wire: WireActivity =
        serde_json::from_value(json!({"id": 1, "type": "Ride", "start_date": "x"})).expect("decode");
    let a = wire.into_activity();
    assert_eq!(a.sport_type, "Ride");
    assert_eq!(a.start_date_local, "", "unparseable dates are passed through");
    assert_eq!(a.moving_time_s, 0);
}

#[test]
fn local_offsets() {
    assert_eq!(local_with_offset("2026-01-10T15:00:00Z", "2026-01-10T07:00:00Z"), "2026-01-10T07:00:00-08:00");
    assert_eq!(local_with_offset("2026-01-10T15:00:00Z", "2026-01-10T15:00:00Z"), "2026-01-10T15:00:00Z");
    assert_eq!(local_with_offset("2026-01-10T15:00:00Z", "2026-01-10T20:30:00+05:30"), "2026-01-10T20:30:00+05:30");
    assert_eq!(local_with_offset("2026-01-10T15:00:00Z", "2026-01-10T16:00:00"), "2026-01-10T16:00:00+01:00");
}

#[test]
fn maps_athlete_and_stats() {
    let athlete: Athlete = serde_json::from_value::<WireAthlete>(json!({
        "id": 134815, "username": "marianne_t", "firstname": "Marianne", "lastname": "T.",
        "city": "San Francisco", "state": "CA", "country": "US", "sex": "F", "summit": true,
        "weight": 62.5, "profile": "https://example.test/p.jpg", "resource_state": 3
    }))
    .expect("decode")
    .into();
    assert_eq!((athlete.id, athlete.premium, athlete.weight_kg), (134815, Some(true), Some(62.5)));

    let stats: AthleteStats = serde_json::from_value::<WireStats>(json!({
        "biggest_ride_distance": 160934.0, "biggest_climb_elevation_gain": 1200.5,
        "recent_run_totals": {"count": 4, "distance": 42000.0, "moving_time": 14000,
            "elapsed_time": 14500, "elevation_gain": 300.0, "achievement_count": 2},
        "all_ride_totals": {"count": 100, "distance": 5.0e6, "moving_time": 720000,
            "elapsed_time": 800000, "elevation_gain": 40000}
    }))
    .expect("decode")
    .into();
    assert_eq!(stats.recent_run_totals.count, 4);
    assert_eq!(stats.recent_run_totals.moving_time_s, 14000);
    assert_eq!(stats.all_ride_totals.elevation_gain_m, 40000.0);
    assert_eq!(stats.ytd_swim_totals, Totals::default());
    assert_eq!(stats.biggest_ride_distance_m, Some(160934.0));
}

#[test]
fn streams_both_shapes() {
    let keyed = json!({
        "time": {"data": [0, 1, 2], "series_type": "distance", "original_size": 3, "resolution": "high"},
        "heartrate": {"data": [90, 95, 99], "original_size": 3}
    });
    let s = streams_from_json(7, keyed).expect("keyed");
    assert_eq!((s.activity_id, s.original_points, s.returned_points), (7, 3, 3));
    assert_eq!(s.series["heartrate"], vec![json!(90), json!(95), json!(99)]);

    let listed = json!([{"type": "watts", "data": [100, 200], "original_size": 2}]);
    let s = streams_from_json(7, listed).expect("list");
    assert_eq!(s.series.keys().collect::<Vec<_>>(), ["watts"]);

    assert!(streams_from_json(7, json!("nope")).is_err());
    assert!(streams_from_json(7, json!({"time": {"no_data": 1}})).is_err());
}

#[test]
fn upload_status() {
    let wire: WireUpload = serde_json::from_value(json!({
        "id": 998, "id_str": "998", "external_id": "a.fit", "error": null,
        "status": "Your activity is still being processed.", "activity_id": null
    }))
    .expect("decode");
    let status = wire.into_status().expect("status");
    assert_eq!(status.upload_id, 998);
    assert!(!status.is_final());

    let wire: WireUpload = serde_json::from_value(json!({
        "id_str": "999", "error": "a.fit duplicate of activity 5", "status": "There was an error processing your activity."
    }))
    .expect("decode");
    let status = wire.into_status().expect("status");
    assert_eq!(status.upload_id, 999);
    assert!(status.is_final());
}

#[test]
fn token_response() {
    let response: StravaTokenResponse = serde_json::from_value(json!({
        "token_type": "Bearer", "access_token": "tok-A1b2", "refresh_token": "tok-R9z8",
        "expires_in": 21600, "athlete": {"id": 42}
    }))
    .expect("decode");
    let set = token_set(&response, 1_000).expect("set");
    assert_eq!((set.expires_at, set.athlete_id, set.scopes.as_deref()), (22_600, Some(42), None));
    assert_eq!((set.access_token.expose(), set.refresh_token.expose()), ("tok-A1b2", "tok-R9z8"));
    let debug = format!("{set:?} {response:?}");
    assert!(!debug.contains("tok-"), "tokens are redacted in Debug: {debug}");

    // Strava's own expiry wins over expires_in; a comma-separated scope comes back whole.
    let response: StravaTokenResponse = serde_json::from_value(json!({
        "token_type": "bearer", "access_token": "a", "refresh_token": "r", "expires_in": 10,
        "expires_at": 1_900_000_000, "scope": "read,activity:read_all"
    }))
    .expect("decode");
    let set = token_set(&response, 1_000).expect("set");
    assert_eq!((set.expires_at, set.athlete_id), (1_900_000_000, None));
    assert_eq!(set.scopes.as_deref(), Some("read,activity:read_all"));

    for (body, missing) in [
        (json!({"token_type": "Bearer", "access_token": "a", "refresh_token": "r"}), "expires"),
        (json!({"token_type": "Bearer", "access_token": "a", "expires_at": 1}), "refresh_token"),
    ] {
        let response: StravaTokenResponse = serde_json::from_value(body).expect("decode");
        let err = token_set(&response, 1_000).expect_err("incomplete");
        assert!(err.contains(missing), "{err}");
    }
}

#[test]
fn error_messages() {
    let body = br#"{"message":"Record Not Found","errors":[{"resource":"Activity","field":"id","code":"invalid"}]}"#;
    assert_eq!(error_message(body).as_deref(), Some("Record Not Found (Activity id invalid)"));
    assert_eq!(error_message(br#"{"message":"Bad Request"}"#).as_deref(), Some("Bad Request"));
    assert_eq!(error_message(b"<html>502</html>"), None);
}
