//! Zones from coordinates, offsets in zones, and the choice of an activity's local time.

use chrono::{DateTime, Utc};
use pacer_files::testing::{gpx, running_fit_with_offset};
use pacer_files::{LocalTimeSource, local_time, offset_in_zone, parse_any, zone_at};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

#[test]
fn zones_of_known_cities() {
    assert_eq!(zone_at(51.5, -0.12), Some("Europe/London"));
    assert_eq!(zone_at(40.7, -74.0), Some("America/New_York"));
    assert_eq!(zone_at(35.68, 139.69), Some("Asia/Tokyo"));
    assert_eq!(zone_at(-33.87, 151.21), Some("Australia/Sydney"));
    assert_eq!(zone_at(45.0, 6.0), Some("Europe/Paris"));
    assert_eq!(zone_at(f64::NAN, 0.0), None);
    assert_eq!(zone_at(91.0, 0.0), None);
}

#[test]
fn offsets_follow_daylight_saving() {
    assert_eq!(offset_in_zone("Europe/London", at("2024-01-05T07:00:00Z")), Some(0));
    assert_eq!(offset_in_zone("Europe/London", at("2024-07-05T07:00:00Z")), Some(3600));
    assert_eq!(offset_in_zone("America/New_York", at("2024-01-05T07:00:00Z")), Some(-5 * 3600));
    assert_eq!(offset_in_zone("Asia/Kathmandu", at("2024-01-05T07:00:00Z")), Some(5 * 3600 + 45 * 60));
    assert_eq!(offset_in_zone("Mars/Olympus_Mons", at("2024-01-05T07:00:00Z")), None);
}

#[test]
fn local_time_prefers_file_then_coordinates_then_athlete() {
    let start = at("2024-07-05T07:00:00Z");
    // The FIT track is at 45°N 6.1°E (Europe/Paris, +2 h in July).
    let (_, fit) =
        parse_any(&running_fit_with_offset(start.timestamp(), 5, Some(7200)), None, &Default::default()).expect("fit");
    let from_file = local_time(&fit, start, Some("America/New_York")).expect("local time");
    assert_eq!((from_file.source, from_file.utc_offset_s), (LocalTimeSource::File, 7200));
    assert_eq!(from_file.zone.as_deref(), Some("Europe/Paris"));

    let (_, gpx) = parse_any(gpx(start.timestamp(), 3, "running").as_bytes(), None, &Default::default()).expect("gpx");
    let from_position = local_time(&gpx, start, Some("America/New_York")).expect("local time");
    assert_eq!((from_position.source, from_position.utc_offset_s), (LocalTimeSource::Coordinates, 7200));

    let indoor = pacer_files::ParsedFile::default();
    let from_athlete = local_time(&indoor, start, Some("America/New_York")).expect("local time");
    assert_eq!((from_athlete.source, from_athlete.utc_offset_s), (LocalTimeSource::AthleteSetting, -4 * 3600));
    assert_eq!(local_time(&indoor, start, None), None);
    assert_eq!(LocalTimeSource::AthleteSetting.label(), "athlete_setting");
}
