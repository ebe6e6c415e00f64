//! A parsed activity file → a store record and its stored streams.

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike, Utc};
use pacer_files::archive::CsvActivity;
use pacer_files::{ParsedFile, StreamKey, StreamValues, Streams};
use serde_json::Value;

use crate::provider::{Activity, ActivityDetail};
use crate::store::activities::{ActivityRecord, RowSource, ZoneSource};
use crate::store::activity_streams::{MAX_STORED_POINTS, StoredStreams};

/// Ids derived from a file's content hash start here, above any Strava activity id.
pub const FILE_ID_BASE: u64 = 1 << 50;

/// A file's activity id: the bulk export's (Strava's) id when it names one, else one derived
/// from the content hash (stable across re-imports).
pub fn activity_id(csv: Option<&CsvActivity>, hash: &[u8; 32]) -> u64 {
    if let Some(id) = csv.and_then(|c| c.id).filter(|id| *id > 0 && *id < FILE_ID_BASE) {
        return id;
    }
    let mut head = [0u8; 8];
    head.copy_from_slice(&hash[..8]);
    FILE_ID_BASE | (u64::from_be_bytes(head) & (FILE_ID_BASE - 1))
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// The record for `file` (already parsed) with metadata from its CSV row, and the file's
/// full-resolution streams; [`finish`] (on the writer thread) adds what comes from the streams.
pub fn record(
    file: &ParsedFile,
    csv: Option<&CsvActivity>,
    source_name: &str,
    hash: [u8; 32],
    athlete_zone: Option<&str>,
    now: i64,
) -> Result<(ActivityRecord, Streams), String> {
    let analysis = pacer_files::analyze(&file.points, &file.totals).map_err(|e| e.to_string())?;
    let s = &analysis.summary;
    let start: DateTime<Utc> = s.start;
    let (offset, zone, zone_source) = match pacer_files::local_time(file, start, athlete_zone) {
        Some(local) => {
            let source = match local.source {
                pacer_files::LocalTimeSource::File => ZoneSource::File,
                pacer_files::LocalTimeSource::Coordinates => ZoneSource::Coordinates,
                pacer_files::LocalTimeSource::AthleteSetting => ZoneSource::AthleteSetting,
            };
            (local.utc_offset_s, local.zone, source)
        }
        None => (0, None, ZoneSource::Utc),
    };
    let sport = csv
        .and_then(|c| c.activity_type.as_deref())
        .and_then(|t| pacer_files::sport_type(&t.replace(' ', "")).or_else(|| pacer_files::sport_from_file(t)))
        .or(file.sport)
        .unwrap_or("Workout")
        .to_owned();
    let local_hour = (start + chrono::Duration::seconds(i64::from(offset))).hour();
    let name = csv
        .and_then(|c| c.name.clone())
        .or_else(|| file.name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| pacer_files::default_name(&sport, local_hour));
    let id = activity_id(csv, &hash);
    let activity = Activity {
        id,
        name,
        sport_type: sport,
        start_date: String::new(),
        start_date_local: String::new(),
        timezone: zone.clone(),
        distance_m: round(s.distance, 1),
        moving_time_s: u64::try_from(s.moving_time).unwrap_or(0),
        elapsed_time_s: u64::try_from(s.elapsed_time).unwrap_or(0),
        total_elevation_gain_m: round(s.elevation_gain, 1),
        average_speed_mps: round(s.average_speed, 3),
        max_speed_mps: round(s.max_speed, 3),
        average_heartrate_bpm: s.average_heartrate.map(|v| round(v, 1)),
        max_heartrate_bpm: s.max_heartrate.map(|v| round(v, 0)),
        average_cadence_rpm: s.average_cadence.map(|v| round(v, 1)),
        average_watts: s.average_watts.map(|v| round(v, 1)),
        kilojoules: s.kilojoules.map(|v| round(v, 1)),
        trainer: s.start_latlng.is_none(),
        commute: false,
        manual: false,
        external_id: Some(source_name.to_owned()),
    };
    let detail = ActivityDetail {
        activity,
        description: csv.and_then(|c| c.description.clone()).filter(|d| !d.trim().is_empty()),
        calories_kcal: None,
        device_name: file.device.clone(),
        gear_id: None,
    };
    let rec = ActivityRecord {
        detail,
        start_epoch_s: start.timestamp(),
        utc_offset_s: offset,
        time_zone: zone,
        zone_source,
        source: RowSource::File,
        // The file's identity is its content (two files may share a name: every single-file
        // upload is "upload", two folders may each hold "a.fit"); the name stays in external_id.
        source_id: hex::encode(hash),
        content_hash: Some(hash),
        start_latlng: s.start_latlng,
        has_detail: true,
        laps: Vec::new(),
        normalized_watts: None,
        efforts: Vec::new(),
        fetched_at: now,
        expires_at: None,
    };
    Ok((rec, analysis.streams))
}

/// Completes `rec` from its full-resolution `streams` (best efforts, normalized power) and
/// returns the streams as stored (downsampled). Runs on the import's writer thread, so parsing
/// the next file overlaps with it.
pub fn finish(rec: &mut ActivityRecord, streams: &Streams) -> StoredStreams {
    rec.efforts = crate::analytics::efforts::of_streams(&rec.detail.activity.sport_type, streams);
    rec.normalized_watts = crate::analytics::efforts::normalized_power_of(streams);
    stored_streams(streams)
}

/// The series to store: shape-keeping LTTB on the most telling stream, ≤ [`MAX_STORED_POINTS`].
pub fn stored_streams(streams: &Streams) -> StoredStreams {
    let reference = [StreamKey::Watts, StreamKey::Heartrate, StreamKey::Altitude, StreamKey::VelocitySmooth]
        .into_iter()
        .find(|k| streams.values(*k).is_some())
        .unwrap_or(StreamKey::Distance);
    let down = pacer_files::downsample(streams, reference, MAX_STORED_POINTS);
    let mut series = BTreeMap::new();
    for key in down.streams.keys() {
        let Some(values) = down.streams.values(key) else { continue };
        let json: Vec<Value> = match values {
            StreamValues::Seconds(v) => v.iter().map(|x| Value::from(*x)).collect(),
            StreamValues::Numbers(v) => v.iter().map(|x| Value::from(round(*x, 2))).collect(),
            StreamValues::LatLng(v) => v.iter().map(|[a, b]| Value::from(vec![round(*a, 6), round(*b, 6)])).collect(),
            StreamValues::Flags(v) => v.iter().map(|x| Value::from(*x)).collect(),
        };
        series.insert(key.as_str().to_owned(), json);
    }
    StoredStreams { original_points: down.original_size, series }
}
