//! Every FIT file parses with `fitparser`; records, session totals and the local timestamp match.

use chrono::Offset;
use fitparser::profile::MesgNum;
use fitparser::{FitDataRecord, Value};
use pacer_corpus::{FileFormat, FileKind, GeneratedActivity, SportType, encode, sport_codes};

use crate::year;

fn field(record: &FitDataRecord, name: &str) -> Option<f64> {
    let field = record.fields().iter().find(|f| f.name() == name)?;
    let value: Value = field.value().clone();
    match value {
        Value::Timestamp(t) => Some(t.timestamp() as f64),
        other => other.try_into().ok(),
    }
}

fn one(records: &[FitDataRecord], kind: MesgNum) -> &FitDataRecord {
    let mut found = records.iter().filter(|r| r.kind() == kind);
    let first = found.next().unwrap_or_else(|| panic!("no {kind:?}"));
    assert!(found.next().is_none(), "one {kind:?}");
    first
}

fn check(a: &GeneratedActivity) {
    let bytes = encode(a, FileKind { format: FileFormat::Fit, gzip: false });
    let records = fitparser::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", a.id));
    let samples: Vec<_> = records.iter().filter(|r| r.kind() == MesgNum::Record).collect();
    assert_eq!(samples.len(), a.samples.len(), "{}", a.id);
    let laps = records.iter().filter(|r| r.kind() == MesgNum::Lap).count();
    assert_eq!(laps, a.laps.len());

    let session = one(&records, MesgNum::Session);
    let distance = field(session, "total_distance").unwrap();
    assert!((distance - a.totals.distance_m).abs() < 0.02, "{}: {distance} vs {}", a.id, a.totals.distance_m);
    assert_eq!(field(session, "total_elapsed_time"), Some(f64::from(a.totals.elapsed_s)));
    assert_eq!(field(session, "total_timer_time"), Some(f64::from(a.totals.elapsed_s)));
    assert_eq!(field(session, "total_ascent"), Some(a.totals.elevation_gain_m.round()));
    let sport = session.fields().iter().find(|f| f.name() == "sport").unwrap().value().to_string();
    let expected = match sport_codes(a.sport).0 {
        1 => "running",
        2 => "cycling",
        _ => "swimming",
    };
    assert_eq!(sport, expected);

    let last = samples.last().unwrap();
    assert_eq!(field(last, "timestamp"), Some((a.start.timestamp() + i64::from(a.totals.elapsed_s)) as f64));
    assert!((field(last, "distance").unwrap() - a.totals.distance_m).abs() < 0.02);
    if a.sport.is_outdoor() {
        let s = &a.samples[a.samples.len() / 2];
        let record = samples[a.samples.len() / 2];
        let altitude = field(record, "enhanced_altitude").or_else(|| field(record, "altitude")).unwrap();
        assert!((altitude - s.altitude_m.unwrap()).abs() < 0.21, "{altitude} vs {:?}", s.altitude_m);
        let semicircles = field(record, "position_lat").unwrap();
        assert!((semicircles * 180.0 / 2_147_483_648.0 - s.position.unwrap().lat).abs() < 1e-6);
    }
    if a.sport.is_ride() {
        assert!(field(samples[samples.len() / 2], "power").is_some());
    }

    let activity = one(&records, MesgNum::Activity);
    let timestamp = field(activity, "timestamp").unwrap();
    let local = field(activity, "local_timestamp").expect("local_timestamp");
    let offset = a.local_start().offset().fix().local_minus_utc();
    // fitparser decodes both to unix seconds: the local one is shifted by the zone's offset.
    assert_eq!(local - timestamp, f64::from(offset), "{}", a.id);
}

/// Checks every FIT-format activity whose position has the given parity (two tests, so the
/// slow part runs on two threads), plus one of each sport whatever its format.
fn check_every_fit(parity: usize) {
    let year = year();
    let mut checked = 0;
    for (_, a) in year.iter().enumerate().filter(|(i, a)| i % 2 == parity && a.file.format == FileFormat::Fit) {
        check(a);
        checked += 1;
    }
    assert!(checked > 70, "{checked} FIT files");
    for sport in [SportType::Run, SportType::TrailRun, SportType::Ride, SportType::VirtualRide, SportType::Swim] {
        if let Some(a) = year.iter().skip(parity).find(|a| a.sport == sport && a.file.format != FileFormat::Fit) {
            check(a);
        }
    }
}

#[test]
fn every_even_fit_is_read_back_by_fitparser() {
    check_every_fit(0);
}

#[test]
fn every_odd_fit_is_read_back_by_fitparser() {
    check_every_fit(1);
}

#[test]
fn local_timestamp_follows_the_zone_abroad() {
    let a = year().iter().find(|a| a.time_zone == chrono_tz::America::New_York).expect("trip");
    let offset = a.local_start().offset().fix().local_minus_utc();
    assert!(offset == -4 * 3600 || offset == -5 * 3600);
    check(a);
}

#[test]
fn gzipped_fit_inflates_to_the_plain_file() {
    use std::io::Read;
    let a = &year()[0];
    let gz = encode(a, FileKind { format: FileFormat::Fit, gzip: true });
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, encode(a, FileKind { format: FileFormat::Fit, gzip: false }));
    assert!(gz.len() < plain.len() / 2);
}
