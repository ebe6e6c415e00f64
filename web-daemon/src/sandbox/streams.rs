//! Strava streams of one activity and their JSON data (optionally downsampled).

use serde_json::{Value, json};

/// Strava streams of one activity; every vector has the same length.
#[derive(Debug, Clone, Default)]
pub(crate) struct Streams {
    pub(crate) time: Vec<i64>,
    pub(crate) distance: Vec<f64>,
    pub(crate) latlng: Option<Vec<[f64; 2]>>,
    pub(crate) altitude: Option<Vec<f64>>,
    pub(crate) heartrate: Option<Vec<i64>>,
    pub(crate) watts: Option<Vec<i64>>,
    pub(crate) cadence: Option<Vec<i64>>,
    pub(crate) velocity_smooth: Vec<f64>,
    pub(crate) moving: Vec<bool>,
    pub(crate) grade_smooth: Vec<f64>,
}

impl Streams {
    /// Stream types Strava knows, in the order responses list them.
    pub(crate) const KEYS: [&'static str; 11] = crate::provider::STREAM_KEYS;

    pub(crate) fn len(&self) -> usize {
        self.time.len()
    }

    /// The data of stream `key` at every `step`-th point, or `None` when the activity lacks it.
    pub(crate) fn data(&self, key: &str, step: usize) -> Option<Value> {
        fn pick<T: Clone + serde::Serialize>(v: &[T], step: usize) -> Value {
            json!(v.iter().step_by(step.max(1)).cloned().collect::<Vec<T>>())
        }
        Some(match key {
            "time" => pick(&self.time, step),
            "distance" => pick(&self.distance, step),
            "latlng" => pick(self.latlng.as_ref()?, step),
            "altitude" => pick(self.altitude.as_ref()?, step),
            "velocity_smooth" => pick(&self.velocity_smooth, step),
            "heartrate" => pick(self.heartrate.as_ref()?, step),
            "cadence" => pick(self.cadence.as_ref()?, step),
            "watts" => pick(self.watts.as_ref()?, step),
            "moving" => pick(&self.moving, step),
            "grade_smooth" => pick(&self.grade_smooth, step),
            _ => return None,
        })
    }
}
