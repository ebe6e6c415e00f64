//! Uploads: multipart, processing → ready, visibility, duplicates, errors.

use actix_web::http::StatusCode;
use chrono::Utc;
use serde_json::Value;

use super::{FULL_SCOPE, config, gpx, s};
use crate::SandboxStrava;
use crate::uploads::{STATUS_ERROR, STATUS_PROCESSING, STATUS_READY};
use pacer_files::testing::running_fit;

#[actix_web::test]
async fn gpx_upload_processes_then_appears_everywhere() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let runs_before =
        send!(app, req!(get, "/api/v3/athletes/1001/stats", &token)).json()["all_run_totals"]["count"].as_u64();
    let file = gpx(Utc::now() - chrono::Duration::hours(1), 11, "running");
    let fields = [("data_type", "gpx"), ("external_id", "ext-1"), ("description", "from a test")];
    let (status, created) = upload!(app, &token, &fields, Some(("morning.gpx", file.as_bytes())));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!((created["status"].as_str(), created["external_id"].as_str()), (Some(STATUS_PROCESSING), Some("ext-1")));
    assert_eq!((created["activity_id"].clone(), created["error"].clone()), (Value::Null, Value::Null));
    assert_eq!(created["id_str"].as_str().map(str::to_owned), created["id"].as_u64().map(|id| id.to_string()));

    let polled = send!(app, req!(get, format!("/api/v3/uploads/{}", created["id"]), &token)).json();
    assert_eq!(polled["status"], STATUS_PROCESSING);
    let newest = send!(app, req!(get, "/api/v3/athlete/activities?per_page=1", &token)).json();
    assert_ne!(newest[0]["external_id"], "ext-1", "hidden while processing");

    let ready = settled!(app, &token, created);
    assert_eq!((ready["status"].as_str(), ready["error"].clone()), (Some(STATUS_READY), Value::Null));
    let activity_id = ready["activity_id"].as_u64().unwrap_or_default();
    let newest = send!(app, req!(get, "/api/v3/athlete/activities?per_page=1", &token)).json();
    assert_eq!(newest[0]["id"].as_u64(), Some(activity_id));
    let detail = send!(app, req!(get, format!("/api/v3/activities/{activity_id}"), &token)).json();
    assert_eq!((detail["name"].as_str(), detail["sport_type"].as_str()), (Some("Test & track"), Some("Run")));
    assert_eq!(detail["description"], "from a test");
    assert!((detail["distance"].as_f64().unwrap_or_default() - 1111.9).abs() < 0.6, "{}", detail["distance"]);
    assert_eq!((detail["moving_time"].as_u64(), detail["elapsed_time"].as_u64()), (Some(300), Some(300)));
    assert_eq!(
        (detail["total_elevation_gain"].as_f64(), detail["average_heartrate"].as_f64()),
        (Some(10.0), Some(145.0))
    );
    assert_eq!((detail["max_heartrate"].as_f64(), detail["has_heartrate"].as_bool()), (Some(150.0), Some(true)));
    assert_eq!(detail["device_name"], "pacer test");
    let streams = send!(
        app,
        req!(get, format!("/api/v3/activities/{activity_id}/streams?keys=heartrate&key_by_type=true"), &token)
    )
    .json();
    assert_eq!(streams["heartrate"]["data"][10], 150);
    assert_eq!(streams["time"]["data"][10], 300);
    let runs_after =
        send!(app, req!(get, "/api/v3/athletes/1001/stats", &token)).json()["all_run_totals"]["count"].as_u64();
    assert_eq!(runs_after, runs_before.map(|n| n + 1));

    // Another athlete cannot see the upload.
    let sam = s(&login!(app, 1002, FULL_SCOPE), "/access_token");
    let foreign = send!(app, req!(get, format!("/api/v3/uploads/{}", created["id"]), &sam));
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn duplicates_are_reported() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let file = gpx(Utc::now() - chrono::Duration::hours(3), 5, "cycling");
    let (_, first) =
        upload!(app, &token, &[("data_type", "gpx"), ("external_id", "dup-1")], Some(("a.gpx", file.as_bytes())));
    let original = settled!(app, &token, first)["activity_id"].as_u64().unwrap_or_default();
    assert!(original > 0);
    // Same bytes, new external id.
    let (status, second) =
        upload!(app, &token, &[("data_type", "gpx"), ("external_id", "dup-2")], Some(("b.gpx", file.as_bytes())));
    assert_eq!(status, StatusCode::CREATED);
    let second = settled!(app, &token, second);
    assert_eq!(second["status"], STATUS_ERROR);
    assert_eq!(second["activity_id"], Value::Null);
    assert_eq!(second["error"], format!("b.gpx duplicate of activity {original}"));
    // Same external id, different bytes.
    let other = gpx(Utc::now() - chrono::Duration::hours(5), 6, "cycling");
    let (_, third) =
        upload!(app, &token, &[("data_type", "gpx"), ("external_id", "dup-1")], Some(("c.gpx", other.as_bytes())));
    let third = settled!(app, &token, third);
    assert!(
        third["error"].as_str().is_some_and(|e| e.contains(&format!("duplicate of activity {original}"))),
        "{third}"
    );
}

#[actix_web::test]
async fn bad_files_and_requests_are_reported() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let fit = running_fit(Utc::now().timestamp() - 7200, 5);
    let cases: [(&str, &[u8], &str); 5] = [
        ("gpx", &b"<gpx><trk><trkseg><trkpt lat=\"45\" lon=\"6\"><time>2024-01-01T00"[..], "Improperly formatted data"),
        ("gpx", fit.as_slice(), "data_type is gpx but the file looks like fit"),
        ("tcx.gz", &b"<TrainingCenterDatabase/>"[..], "not gzip compressed"),
        (
            "gpx",
            &b"<gpx><trk><trkseg><trkpt lat=\"45\" lon=\"6\"/></trkseg></trk></gpx>"[..],
            "Time information is missing",
        ),
        ("fit", &b"\x0e\x20\x54\x08\x10\x00\x00\x00.FIT\x00\x00garbage"[..], "Improperly formatted data: FIT"),
    ];
    for (data_type, bytes, expected) in cases {
        let (status, created) = upload!(app, &token, &[("data_type", data_type)], Some(("bad.bin", bytes)));
        assert_eq!(status, StatusCode::CREATED);
        let done = settled!(app, &token, created);
        assert_eq!(done["status"], STATUS_ERROR, "{data_type}");
        let error = done["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("bad.bin: ") && error.contains(expected), "{data_type}: {error}");
    }
    let (status, body) = upload!(app, &token, &[("data_type", "kml")], Some(("x.kml", b"<kml/>".as_slice())));
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("data_type")));
    let (status, body) = upload!(app, &token, &[("data_type", "gpx")], None);
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("file")));
    let (status, _) = upload!(
        app,
        &token,
        &[("data_type", "gpx"), ("sport_type", "Quidditch")],
        Some(("x.gpx", b"<gpx/>".as_slice()))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let read_only = s(&login!(app, 1001, "activity:read_all"), "/access_token");
    let (status, body) = upload!(app, &read_only, &[("data_type", "gpx")], Some(("x.gpx", b"<gpx/>".as_slice())));
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("activity:write_permission"))
    );
}
