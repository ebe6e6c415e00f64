//! Strava's activity streams, in either of its two JSON shapes.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::provider::Streams;

/// Streams in either of Strava's shapes: keyed by type (`{"heartrate": {"data": [...],
/// "original_size": N}}`) or a list (`[{"type": "heartrate", "data": [...]}]`).
pub(super) fn streams_from_json(activity_id: u64, body: Value) -> Result<Streams, String> {
    let entries: Vec<(String, Value)> = match body {
        Value::Object(map) => map.into_iter().collect(),
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| {
                let name = item.get("type")?.as_str()?.to_owned();
                Some((name, item))
            })
            .collect(),
        other => {
            return Err(format!("streams: expected an object or array, got {}", kind(&other)));
        }
    };
    let mut series = BTreeMap::new();
    let mut original_points = 0;
    for (name, mut stream) in entries {
        let data = match stream.get_mut("data").map(Value::take) {
            Some(Value::Array(data)) => data,
            _ => return Err(format!("streams: '{name}' has no data array")),
        };
        let original = stream.get("original_size").and_then(Value::as_u64);
        let original = original.and_then(|n| usize::try_from(n).ok()).unwrap_or(data.len());
        original_points = original_points.max(original);
        series.insert(name, data);
    }
    let returned_points = series.values().map(Vec::len).max().unwrap_or(0);
    Ok(Streams { activity_id, original_points, returned_points, series })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
