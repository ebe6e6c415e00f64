//! Each format parses; declared types are checked against the contents; `parse_any` sniffs.

use pacer_files::testing::{gpx, gzip, running_fit, running_fit_with_offset};
use pacer_files::{
    DataType, FileKind, Limits, ParseError, StreamKey, TrackError, analyze, parse, parse_any, summarize,
};

const START: i64 = 1_704_438_754; // 2024-01-05T07:12:34Z

fn tcx() -> String {
    let mut tcx = String::from(
        "<?xml version=\"1.0\"?><TrainingCenterDatabase xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\">\
         <Activities><Activity Sport=\"Biking\"><Id>x</Id><Lap StartTime=\"x\"><TotalTimeSeconds>40</TotalTimeSeconds>\
         <DistanceMeters>250</DistanceMeters><Track>",
    );
    for i in 0..5i64 {
        let time = chrono::DateTime::from_timestamp(START + 10 * i, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ");
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
    tcx
}

#[test]
fn gpx_parses_with_name_sport_device_and_sensors() {
    let file = parse(gpx(START, 11, "running").as_bytes(), DataType::new(FileKind::Gpx, false), &Limits::DEFAULT)
        .expect("gpx");
    assert_eq!(
        (file.sport, file.name.as_deref(), file.device.as_deref()),
        (Some("Run"), Some("Test & track"), Some("pacer test"))
    );
    assert_eq!(file.points.len(), 11);
    assert_eq!(file.points[10].hr, Some(150.0));
    assert_eq!(file.utc_offset_s, None);
    let s = summarize(&file).expect("summary");
    assert!((s.distance - 1111.9).abs() < 0.6, "{}", s.distance);
    assert_eq!((s.moving_time, s.elapsed_time), (300, 300));
}

#[test]
fn tcx_parses_with_lap_totals_and_watts() {
    let file = parse(tcx().as_bytes(), DataType::new(FileKind::Tcx, false), &Limits::DEFAULT).expect("tcx");
    assert_eq!((file.sport, file.device.as_deref()), (Some("Ride"), Some("Edge 540")));
    assert_eq!((file.totals.distance, file.totals.moving_s), (Some(250.0), Some(40.0)));
    let analysis = analyze(&file.points, &file.totals).expect("track");
    assert_eq!(analysis.summary.average_watts, Some(220.0));
    assert_eq!(analysis.streams.watts.as_deref(), Some(&[200.0, 210.0, 220.0, 230.0, 240.0][..]));
}

#[test]
fn fit_parses_and_gzipped_fit_too() {
    let fit = running_fit(START, 20);
    let file = parse(&fit, DataType::new(FileKind::Fit, false), &Limits::DEFAULT).expect("fit");
    assert_eq!((file.sport, file.points.len(), file.utc_offset_s), (Some("Run"), 20, None));
    let s = summarize(&file).expect("summary");
    assert_eq!((s.elapsed_time, s.moving_time), (190, 190));
    assert!((s.distance - 210.9).abs() < 0.05);
    assert_eq!(s.start.timestamp(), START);
    let gz = parse(&gzip(&fit), DataType::new(FileKind::Fit, true), &Limits::DEFAULT).expect("fit.gz");
    assert_eq!(gz, file);
    let streams = analyze(&file.points, &file.totals).expect("track").streams;
    assert_eq!(streams.keys().len(), 8, "{:?}", streams.keys());
    assert!(streams.values(StreamKey::Temp).is_none());
}

#[test]
fn fit_local_timestamp_gives_the_utc_offset() {
    for offset in [3600, -5 * 3600, 5 * 3600 + 45 * 60, 0] {
        let fit = running_fit_with_offset(START, 5, Some(offset));
        let file = parse(&fit, DataType::new(FileKind::Fit, false), &Limits::DEFAULT).expect("fit");
        assert_eq!(file.utc_offset_s, Some(offset));
    }
}

#[test]
fn declared_type_is_checked_against_the_contents() {
    let fit = running_fit(START, 5);
    let limits = Limits::DEFAULT;
    let err = parse(&fit, DataType::new(FileKind::Gpx, false), &limits).err();
    assert_eq!(err.as_ref().map(ToString::to_string).as_deref(), Some("data_type is gpx but the file looks like fit."));
    let err = parse(b"<TrainingCenterDatabase/>", DataType::new(FileKind::Tcx, true), &limits).err();
    assert_eq!(err, Some(ParseError::NotGzip { declared: "tcx.gz".into() }));
    let err = parse(&gzip(&fit), DataType::new(FileKind::Fit, false), &limits).err();
    assert_eq!(err, Some(ParseError::Mismatch { declared: "fit".into(), detected: "gzip" }));
    assert_eq!(parse(b"", DataType::new(FileKind::Fit, false), &limits).err(), Some(ParseError::Empty));
    let garbage = b"\x0e\x20\x54\x08\x10\x00\x00\x00.FIT\x00\x00garbage";
    let err = parse(garbage, DataType::new(FileKind::Fit, false), &limits).err().map(|e| e.to_string());
    assert!(err.as_deref().is_some_and(|e| e.starts_with("Improperly formatted data: FIT")), "{err:?}");
    let truncated = b"<gpx><trk><trkseg><trkpt lat=\"45\" lon=\"6\"><time>2024-01-01T00";
    let err = parse(truncated, DataType::new(FileKind::Gpx, false), &limits).err().map(|e| e.to_string());
    assert!(err.as_deref().is_some_and(|e| e.starts_with("Improperly formatted data")), "{err:?}");
}

#[test]
fn untimed_points_cannot_be_summarized() {
    let untimed = b"<gpx><trk><trkseg><trkpt lat=\"45\" lon=\"6\"/></trkseg></trk></gpx>";
    let file = parse(untimed, DataType::new(FileKind::Gpx, false), &Limits::DEFAULT).expect("gpx");
    assert_eq!(summarize(&file).err(), Some(TrackError::NoTime));
    assert_eq!(TrackError::NoTime.to_string(), "Time information is missing from your file.");
}

#[test]
fn parse_any_sniffs_gunzips_and_falls_back_to_the_name() {
    let limits = Limits::DEFAULT;
    let (dt, file) = parse_any(&gzip(&running_fit(START, 5)), None, &limits).expect("fit.gz");
    assert_eq!((dt, file.points.len()), (DataType::new(FileKind::Fit, true), 5));
    let (dt, _) = parse_any(tcx().as_bytes(), Some("ride.gpx"), &limits).expect("tcx");
    assert_eq!(dt, DataType::new(FileKind::Tcx, false), "the contents win over the name");
    // No root element near the start: the extension decides, and the parser reports it.
    let err = parse_any(b"<?xml version=\"1.0\"?><x/>", Some("a.gpx"), &limits).err();
    assert!(matches!(err, Some(ParseError::Malformed(_))), "{err:?}");
    assert_eq!(parse_any(b"hello", Some("notes.txt"), &limits).err(), Some(ParseError::Unrecognized));
    assert_eq!(parse_any(b"PK\x03\x04....", None, &limits).err(), Some(ParseError::Archive));
}
