//! FIT parsing with `fitparser`: `record` messages become points, `session` messages give the
//! sport and totals, `file_id`/`device_info` the device.

use chrono::Utc;
use fitparser::profile::MesgNum;
use fitparser::{FitDataRecord, Value};

use super::parse::{ParseError, ParsedFile, sport_from_file};
use super::track::Point;

/// Semicircles → degrees.
const SEMICIRCLE_DEG: f64 = 180.0 / 2_147_483_648.0;

fn number(value: &Value) -> Option<f64> {
    let v = match value {
        Value::Byte(v) | Value::UInt8(v) | Value::UInt8z(v) | Value::Enum(v) => f64::from(*v),
        Value::SInt8(v) => f64::from(*v),
        Value::SInt16(v) => f64::from(*v),
        Value::UInt16(v) | Value::UInt16z(v) => f64::from(*v),
        Value::SInt32(v) => f64::from(*v),
        Value::UInt32(v) | Value::UInt32z(v) => f64::from(*v),
        Value::SInt64(v) => *v as f64,
        Value::UInt64(v) | Value::UInt64z(v) => *v as f64,
        Value::Float32(v) => f64::from(*v),
        Value::Float64(v) => *v,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

fn field<'a>(record: &'a FitDataRecord, name: &str) -> Option<&'a Value> {
    record.fields().iter().find(|f| f.name() == name).map(|f| f.value())
}

fn num_field(record: &FitDataRecord, names: &[&str]) -> Option<f64> {
    names.iter().find_map(|n| field(record, n).and_then(number))
}

fn text_field(record: &FitDataRecord, name: &str) -> Option<String> {
    match field(record, name)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn point(record: &FitDataRecord) -> Point {
    let time = match field(record, "timestamp") {
        Some(Value::Timestamp(t)) => Some(t.with_timezone(&Utc)),
        _ => None,
    };
    let degrees = |name| num_field(record, &[name]).map(|v| v * SEMICIRCLE_DEG).filter(|d| d.abs() <= 180.0);
    Point {
        time,
        lat: degrees("position_lat"),
        lon: degrees("position_long"),
        ele: num_field(record, &["enhanced_altitude", "altitude"]),
        hr: num_field(record, &["heart_rate"]),
        cadence: num_field(record, &["cadence"]),
        watts: num_field(record, &["power"]),
        dist: num_field(record, &["distance"]),
    }
}

/// Parses FIT bytes (CRC checked). `fitparser` is guarded against panics on hostile input.
pub(crate) fn parse_fit(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let records = std::panic::catch_unwind(|| fitparser::from_bytes(bytes))
        .map_err(|_| ParseError::Malformed("FIT: decoder failed".into()))?
        .map_err(|e| ParseError::Malformed(format!("FIT: {e}")))?;
    let mut file = ParsedFile::default();
    let mut sub_sport = None;
    for record in &records {
        match record.kind() {
            MesgNum::Record => file.points.push(point(record)),
            MesgNum::Session => {
                let totals = &mut file.totals;
                totals.distance = num_field(record, &["total_distance"]).or(totals.distance);
                totals.elapsed_s = num_field(record, &["total_elapsed_time"]).or(totals.elapsed_s);
                totals.moving_s = num_field(record, &["total_timer_time"]).or(totals.moving_s);
                totals.ascent = num_field(record, &["total_ascent"]).or(totals.ascent);
                file.sport = text_field(record, "sport").as_deref().and_then(sport_from_file).or(file.sport);
                sub_sport = text_field(record, "sub_sport").or(sub_sport);
            }
            MesgNum::Sport if file.sport.is_none() => {
                file.sport = text_field(record, "sport").as_deref().and_then(sport_from_file);
            }
            MesgNum::FileId if file.device.is_none() => {
                file.device = text_field(record, "product_name").or_else(|| text_field(record, "manufacturer"));
            }
            _ => {}
        }
    }
    if let Some(sub) = sub_sport.as_deref().and_then(sport_from_file) {
        // e.g. cycling + virtual_activity → VirtualRide, training + strength_training → WeightTraining
        if file.sport.is_none() || matches!(sub, "VirtualRide" | "WeightTraining" | "TrailRun" | "MountainBikeRide") {
            file.sport = Some(sub);
        }
    }
    if file.sport == Some("Ride") && sub_sport.as_deref() == Some("virtual_activity") {
        file.sport = Some("VirtualRide");
    }
    Ok(file)
}
