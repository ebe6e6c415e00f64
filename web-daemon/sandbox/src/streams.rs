//! Stream JSON data as Strava returns it: rounded per stream type, optionally thinned.

use pacer_files::{StreamKey, StreamValues, Streams};
use serde_json::{Value, json};

use super::track::round_to;

/// Decimals Strava keeps per stream type (`None`: whole numbers).
fn decimals(key: StreamKey) -> Option<i32> {
    match key {
        StreamKey::Distance | StreamKey::Altitude | StreamKey::GradeSmooth => Some(1),
        StreamKey::VelocitySmooth => Some(3),
        StreamKey::Latlng => Some(6),
        StreamKey::Time | StreamKey::Heartrate | StreamKey::Cadence | StreamKey::Watts | StreamKey::Temp => None,
        StreamKey::Moving => None,
    }
}

/// The data of stream `key` at every `step`-th point, or `None` when the activity lacks it.
pub(crate) fn stream_data(streams: &Streams, key: StreamKey, step: usize) -> Option<Value> {
    let step = step.max(1);
    Some(match streams.values(key)? {
        StreamValues::Seconds(v) => json!(v.iter().step_by(step).collect::<Vec<_>>()),
        StreamValues::Flags(v) => json!(v.iter().step_by(step).collect::<Vec<_>>()),
        StreamValues::LatLng(v) => {
            json!(v.iter().step_by(step).map(|[a, b]| [round_to(*a, 6), round_to(*b, 6)]).collect::<Vec<_>>())
        }
        StreamValues::Numbers(v) => match decimals(key) {
            Some(places) => json!(v.iter().step_by(step).map(|x| round_to(*x, places)).collect::<Vec<_>>()),
            None => json!(v.iter().step_by(step).map(|x| x.round() as i64).collect::<Vec<_>>()),
        },
    })
}
