//! FIT parsing with `fitparser`'s stream processor, one message at a time (never the whole
//! decoded file in memory): `record` messages become points, `session` messages give the sport
//! and totals, `file_id` the device, `activity` the local-time offset.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Local, NaiveDate, TimeZone as _, Utc};
use fitparser::de::{FitObject, FitStreamProcessor};
use fitparser::profile::MesgNum;
use fitparser::{FitDataRecord, Value};

use crate::error::ParseError;
use crate::limits::Limits;
use crate::parsed::{ParsedFile, Point, push_point};
use crate::sport::sport_from_file;

/// Semicircles → degrees.
const SEMICIRCLE_DEG: f64 = 180.0 / 2_147_483_648.0;
/// Largest plausible UTC offset (UTC−12 … UTC+14, with a margin).
const MAX_OFFSET_S: i64 = 18 * 3600;
/// Offsets are whole quarter hours (UTC+5:45 is the oddest in use).
const OFFSET_STEP_S: i64 = 15 * 60;

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

fn timestamp(record: &FitDataRecord, name: &str) -> Option<DateTime<Local>> {
    match field(record, name)? {
        Value::Timestamp(t) => Some(*t),
        _ => None,
    }
}

fn point(record: &FitDataRecord) -> Point {
    let degrees = |name| num_field(record, &[name]).map(|v| v * SEMICIRCLE_DEG).filter(|d| d.abs() <= 180.0);
    Point {
        time: timestamp(record, "timestamp").map(|t| t.with_timezone(&Utc)),
        lat: degrees("position_lat"),
        lon: degrees("position_long"),
        ele: num_field(record, &["enhanced_altitude", "altitude"]),
        hr: num_field(record, &["heart_rate"]),
        cadence: num_field(record, &["cadence"]),
        watts: num_field(record, &["power"]),
        dist: num_field(record, &["distance"]),
        temp: num_field(record, &["temperature"]),
    }
}

/// `activity.local_timestamp − activity.timestamp`, rounded to a quarter hour.
///
/// `fitparser` turns a FIT `local_date_time` into a `DateTime<Local>` by reading the raw
/// seconds as a wall-clock time in *this machine's* zone; subtracting the same machine-zone
/// epoch recovers the raw seconds whatever zone the daemon runs in.
fn utc_offset(record: &FitDataRecord) -> Option<i32> {
    let utc = timestamp(record, "timestamp")?.timestamp();
    let local = timestamp(record, "local_timestamp")?.timestamp();
    let fit_epoch = NaiveDate::from_ymd_opt(1989, 12, 31)?.and_hms_opt(0, 0, 0)?;
    let local_epoch = Local.from_local_datetime(&fit_epoch).earliest()?.timestamp();
    let utc_epoch = fit_epoch.and_utc().timestamp();
    let offset = (local - local_epoch) - (utc - utc_epoch);
    let rounded = (offset as f64 / OFFSET_STEP_S as f64).round() as i64 * OFFSET_STEP_S;
    (rounded.abs() <= MAX_OFFSET_S).then(|| i32::try_from(rounded).ok()).flatten()
}

/// What the messages seen so far say about the file.
#[derive(Default)]
struct FitCollector {
    file: ParsedFile,
    sub_sport: Option<String>,
}

impl FitCollector {
    fn add(&mut self, record: &FitDataRecord, limits: &Limits) -> Result<(), ParseError> {
        let file = &mut self.file;
        match record.kind() {
            MesgNum::Record => push_point(&mut file.points, point(record), limits)?,
            MesgNum::Session => {
                let totals = &mut file.totals;
                totals.distance = num_field(record, &["total_distance"]).or(totals.distance);
                totals.elapsed_s = num_field(record, &["total_elapsed_time"]).or(totals.elapsed_s);
                totals.moving_s = num_field(record, &["total_timer_time"]).or(totals.moving_s);
                totals.ascent = num_field(record, &["total_ascent"]).or(totals.ascent);
                file.sport = text_field(record, "sport").as_deref().and_then(sport_from_file).or(file.sport);
                self.sub_sport = text_field(record, "sub_sport").or(self.sub_sport.take());
            }
            MesgNum::Sport if file.sport.is_none() => {
                file.sport = text_field(record, "sport").as_deref().and_then(sport_from_file);
            }
            MesgNum::FileId if file.device.is_none() => {
                file.device = text_field(record, "product_name").or_else(|| text_field(record, "manufacturer"));
            }
            MesgNum::Activity if file.utc_offset_s.is_none() => file.utc_offset_s = utc_offset(record),
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> ParsedFile {
        let file = &mut self.file;
        if let Some(sub) = self.sub_sport.as_deref().and_then(sport_from_file) {
            // e.g. cycling + virtual_activity → VirtualRide, training + strength_training → WeightTraining
            if file.sport.is_none() || matches!(sub, "VirtualRide" | "WeightTraining" | "TrailRun" | "MountainBikeRide")
            {
                file.sport = Some(sub);
            }
        }
        self.file
    }
}

fn decode(mut bytes: &[u8], limits: &Limits) -> Result<ParsedFile, ParseError> {
    let malformed = |e: fitparser::Error| ParseError::Malformed(format!("FIT: {e}"));
    let mut processor = FitStreamProcessor::new();
    let mut collector = FitCollector::default();
    // Where the processor stands in the current file (it starts over after each file's CRC,
    // for chained files) and where that file's messages end, mirrored so that every header it
    // will parse is checked first and no message may cross the end (fitparser would then read a
    // header from the middle of a message).
    let mut position = 0usize;
    let mut end = 0usize;
    while !bytes.is_empty() {
        if position == 0 {
            end = check_header(bytes)?;
        } else if position > end {
            return Err(ParseError::Malformed("FIT: a message runs past the file's declared data size".into()));
        }
        let (rest, object) = processor.deserialize_next(bytes).map_err(malformed)?;
        position += bytes.len() - rest.len();
        match object {
            FitObject::Crc(..) => {
                processor.reset();
                position = 0;
            }
            FitObject::DataMessage(message) => {
                let record = processor.decode_message(message).map_err(malformed)?;
                collector.add(&record, limits)?;
            }
            FitObject::Header(..) | FitObject::DefinitionMessage(..) => {}
        }
        bytes = rest;
    }
    Ok(collector.finish())
}

/// Refuses a FIT file header that `fitparser` would slice out of bounds on (it panics on a
/// header size below 2 or beyond the input): the FIT protocol knows 12- and 14-byte headers,
/// each holding `.FIT` at bytes 8–11. Returns where the file's messages end (header size +
/// declared data size).
fn check_header(bytes: &[u8]) -> Result<usize, ParseError> {
    let size = usize::from(bytes[0]);
    if !matches!(size, 12 | 14) || bytes.len() < size || &bytes[8..12] != b".FIT" {
        return Err(ParseError::Malformed("FIT: not a FIT file header (12 or 14 bytes with .FIT)".into()));
    }
    let data_size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    Ok(size.saturating_add(usize::try_from(data_size).unwrap_or(usize::MAX)))
}

/// Parses FIT bytes (CRCs checked). `fitparser` is guarded against panics on hostile input.
pub(crate) fn parse_fit(bytes: &[u8], limits: &Limits) -> Result<ParsedFile, ParseError> {
    catch_unwind(AssertUnwindSafe(|| decode(bytes, limits)))
        .map_err(|_| ParseError::Malformed("FIT: decoder failed".into()))?
}
