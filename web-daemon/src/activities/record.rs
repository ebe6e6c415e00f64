//! Conversions into store records: provider API activities (cached, expiring) and stream series
//! (downsampled for storage).

use std::collections::BTreeMap;

use chrono::DateTime;
use pacer_shared::ProviderId;
use serde_json::Value;

use crate::provider::ActivityDetail;
use crate::store::activities::{ActivityRecord, RowSource, ZoneSource};
use crate::store::activity_streams::{MAX_STORED_POINTS, StoredStreams};

/// A provider's activity as a cache row: fetched at `now`, served until `expires_at`.
pub fn from_api(
    provider: ProviderId,
    detail: ActivityDetail,
    has_detail: bool,
    now: i64,
    expires_at: i64,
) -> ActivityRecord {
    let a = &detail.activity;
    let start = DateTime::parse_from_rfc3339(&a.start_date).map(|t| t.timestamp()).unwrap_or(0);
    let offset = DateTime::parse_from_rfc3339(&a.start_date_local).map(|t| t.offset().local_minus_utc()).unwrap_or(0);
    ActivityRecord {
        start_epoch_s: start,
        utc_offset_s: offset,
        time_zone: a.timezone.clone(),
        zone_source: if a.timezone.is_some() { ZoneSource::Provider } else { ZoneSource::Utc },
        source: RowSource::Api(provider),
        source_id: a.id.to_string(),
        content_hash: None,
        start_latlng: None,
        has_detail,
        laps: Vec::new(),
        normalized_watts: None,
        efforts: Vec::new(),
        fetched_at: now,
        expires_at: Some(expires_at),
        detail,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The series LTTB keeps the shape of, in order of preference.
const REFERENCE_SERIES: [&str; 5] = ["watts", "heartrate", "velocity_smooth", "altitude", "distance"];

/// Indices of at most `max_points` samples that keep the shape of the most telling series
/// (largest-triangle-three-buckets against `time`, or the sample index when `time` is absent).
pub fn shape_keeping_indices(series: &BTreeMap<String, Vec<Value>>, max_points: usize) -> Vec<usize> {
    let len = series.values().map(Vec::len).max().unwrap_or(0);
    if len <= max_points {
        return (0..len).collect();
    }
    let xs: Vec<f64> = match series.get("time") {
        Some(t) if t.len() == len => t.iter().enumerate().map(|(i, v)| number(v).unwrap_or(i as f64)).collect(),
        _ => (0..len).map(|i| i as f64).collect(),
    };
    let reference = REFERENCE_SERIES.iter().find_map(|k| series.get(*k).filter(|s| s.len() == len));
    let ys: Vec<f64> = match reference {
        Some(s) => s.iter().map(|v| number(v).unwrap_or(f64::NAN)).collect(),
        None => vec![0.0; len],
    };
    pacer_files::lttb(&xs, &ys, max_points)
}

/// Keeps the samples at `indices` of every series.
pub fn select(series: &BTreeMap<String, Vec<Value>>, indices: &[usize]) -> BTreeMap<String, Vec<Value>> {
    series
        .iter()
        .map(|(k, values)| (k.clone(), indices.iter().filter_map(|&i| values.get(i).cloned()).collect()))
        .collect()
}

/// Streams as stored: at most [`MAX_STORED_POINTS`] shape-keeping samples.
pub fn for_storage(original_points: usize, series: &BTreeMap<String, Vec<Value>>) -> StoredStreams {
    let indices = shape_keeping_indices(series, MAX_STORED_POINTS);
    StoredStreams { original_points, series: select(series, &indices) }
}
