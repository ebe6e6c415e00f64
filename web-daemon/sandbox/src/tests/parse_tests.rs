//! Upload parsing through the routes: TCX (lap totals, TPX watts), gzipped GPX, FIT.

use chrono::Utc;

use super::{FULL_SCOPE, config, gpx, s};
use crate::SandboxStrava;
use crate::uploads::STATUS_READY;
use pacer_files::testing::{gzip, running_fit};

#[actix_web::test]
async fn tcx_gzipped_gpx_and_fit_parse() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1002, FULL_SCOPE), "/access_token");
    let start = Utc::now() - chrono::Duration::hours(30);
    let mut tcx = String::from(
        "<?xml version=\"1.0\"?><TrainingCenterDatabase xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\">\
         <Activities><Activity Sport=\"Biking\"><Id>x</Id><Lap StartTime=\"x\"><TotalTimeSeconds>40</TotalTimeSeconds>\
         <DistanceMeters>250</DistanceMeters><Track>",
    );
    for i in 0..5i64 {
        let time = (start + chrono::Duration::seconds(10 * i)).format("%Y-%m-%dT%H:%M:%SZ");
        tcx.push_str(&format!(
            "<Trackpoint><Time>{time}</Time><DistanceMeters>{}</DistanceMeters><HeartRateBpm><Value>{}</Value></HeartRateBpm>\
             <Extensions><TPX xmlns=\"http://www.garmin.com/xmlschemas/ActivityExtension/v2\"><Watts>{}</Watts></TPX></Extensions></Trackpoint>",
            60 * i,
            120 + i,
            200 + 10 * i
        ));
    }
    tcx.push_str(
        "</Track></Lap><Creator><Name>Edge 540</Name></Creator></Activity></Activities></TrainingCenterDatabase>",
    );
    let (_, created) =
        upload!(app, &token, &[("data_type", "tcx"), ("name", "Trainer spin")], Some(("ride.tcx", tcx.as_bytes())));
    let done = settled!(app, &token, created);
    let id = done["activity_id"].as_u64().unwrap_or_default();
    let ride = send!(app, req!(get, format!("/api/v3/activities/{id}"), &token)).json();
    assert_eq!(
        (ride["name"].as_str(), ride["sport_type"].as_str(), ride["device_name"].as_str()),
        (Some("Trainer spin"), Some("Ride"), Some("Edge 540"))
    );
    assert_eq!(
        (ride["distance"].as_f64(), ride["moving_time"].as_u64(), ride["elapsed_time"].as_u64()),
        (Some(250.0), Some(40), Some(40))
    );
    assert_eq!((ride["average_heartrate"].as_f64(), ride["average_watts"].as_f64()), (Some(122.0), Some(220.0)));

    let gz = gzip(gpx(start - chrono::Duration::hours(5), 4, "hiking").as_bytes());
    let (_, created) =
        upload!(app, &token, &[("data_type", "gpx.gz"), ("sport_type", "Walk")], Some(("hike.gpx.gz", gz.as_slice())));
    let done = settled!(app, &token, created);
    let id = done["activity_id"].as_u64().unwrap_or_default();
    let walk = send!(app, req!(get, format!("/api/v3/activities/{id}"), &token)).json();
    assert_eq!(walk["sport_type"], "Walk", "the parameter wins over the file's type");
    assert!((walk["distance"].as_f64().unwrap_or_default() - 333.6).abs() < 0.6, "{}", walk["distance"]);

    let fit = running_fit(start.timestamp() - 86_400, 20);
    let (_, created) = upload!(app, &token, &[("data_type", "fit")], Some(("run.fit", fit.as_slice())));
    let done = settled!(app, &token, created);
    assert_eq!(done["status"], STATUS_READY, "{done}");
    let id = done["activity_id"].as_u64().unwrap_or_default();
    let run = send!(app, req!(get, format!("/api/v3/activities/{id}"), &token)).json();
    assert_eq!(
        (run["sport_type"].as_str(), run["elapsed_time"].as_u64(), run["moving_time"].as_u64()),
        (Some("Run"), Some(190), Some(190))
    );
    assert!((run["distance"].as_f64().unwrap_or_default() - 210.9).abs() < 0.05, "{}", run["distance"]);
    assert_eq!((run["average_heartrate"].as_f64(), run["total_elevation_gain"].as_f64()), (Some(152.0), Some(19.0)));
    assert_eq!(run["start_date"], (start - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let streams =
        send!(app, req!(get, format!("/api/v3/activities/{id}/streams?keys=latlng&key_by_type=true"), &token)).json();
    let first = streams["latlng"]["data"][0][0].as_f64().unwrap_or_default();
    assert!((first - 45.0).abs() < 1e-6, "{first}");
}
