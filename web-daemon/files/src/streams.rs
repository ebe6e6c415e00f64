//! Per-point streams of an activity (Strava's stream types) and their one list of names.

/// A stream type. [`STREAM_KEYS`] lists their names in the order Strava's responses do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKey {
    /// Seconds since the start.
    Time,
    /// Cumulative metres.
    Distance,
    /// `[lat, lon]` degrees.
    Latlng,
    /// Metres.
    Altitude,
    /// Metres per second, over a short window.
    VelocitySmooth,
    /// Beats per minute.
    Heartrate,
    /// rpm.
    Cadence,
    /// Watts.
    Watts,
    /// °C.
    Temp,
    /// Whether the athlete was moving.
    Moving,
    /// Percent grade, over a short window.
    GradeSmooth,
}

impl StreamKey {
    /// Every stream type, in Strava's order.
    pub const ALL: [StreamKey; 11] = [
        StreamKey::Time,
        StreamKey::Distance,
        StreamKey::Latlng,
        StreamKey::Altitude,
        StreamKey::VelocitySmooth,
        StreamKey::Heartrate,
        StreamKey::Cadence,
        StreamKey::Watts,
        StreamKey::Temp,
        StreamKey::Moving,
        StreamKey::GradeSmooth,
    ];

    /// Strava's name for the stream (`velocity_smooth`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            StreamKey::Time => "time",
            StreamKey::Distance => "distance",
            StreamKey::Latlng => "latlng",
            StreamKey::Altitude => "altitude",
            StreamKey::VelocitySmooth => "velocity_smooth",
            StreamKey::Heartrate => "heartrate",
            StreamKey::Cadence => "cadence",
            StreamKey::Watts => "watts",
            StreamKey::Temp => "temp",
            StreamKey::Moving => "moving",
            StreamKey::GradeSmooth => "grade_smooth",
        }
    }

    /// The stream named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Stream type names, in the order Strava's responses list them (`time` always included).
pub const STREAM_KEYS: [&str; 11] = {
    let mut names = [""; 11];
    let mut i = 0;
    while i < names.len() {
        names[i] = StreamKey::ALL[i].as_str();
        i += 1;
    }
    names
};

/// One stream's values, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StreamValues<'a> {
    /// `time`.
    Seconds(&'a [i64]),
    /// Numeric streams.
    Numbers(&'a [f64]),
    /// `latlng`.
    LatLng(&'a [[f64; 2]]),
    /// `moving`.
    Flags(&'a [bool]),
}

/// The streams of one activity; every present vector has one value per point. Values are
/// unrounded; gaps in optional sensors are filled with the previous known value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Streams {
    /// Seconds since the start.
    pub time: Vec<i64>,
    /// Cumulative metres.
    pub distance: Vec<f64>,
    /// `[lat, lon]` degrees, when the file has positions.
    pub latlng: Option<Vec<[f64; 2]>>,
    /// Metres, when the file has elevations.
    pub altitude: Option<Vec<f64>>,
    /// Metres per second over the last two samples.
    pub velocity_smooth: Vec<f64>,
    /// Beats per minute.
    pub heartrate: Option<Vec<f64>>,
    /// rpm.
    pub cadence: Option<Vec<f64>>,
    /// Watts.
    pub watts: Option<Vec<f64>>,
    /// °C.
    pub temp: Option<Vec<f64>>,
    /// Whether each sample was moving.
    pub moving: Vec<bool>,
    /// Percent grade over the last two samples.
    pub grade_smooth: Vec<f64>,
}

impl Streams {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The values of stream `key`, or `None` when the activity lacks it.
    pub fn values(&self, key: StreamKey) -> Option<StreamValues<'_>> {
        Some(match key {
            StreamKey::Time => StreamValues::Seconds(&self.time),
            StreamKey::Distance => StreamValues::Numbers(&self.distance),
            StreamKey::Latlng => StreamValues::LatLng(self.latlng.as_deref()?),
            StreamKey::Altitude => StreamValues::Numbers(self.altitude.as_deref()?),
            StreamKey::VelocitySmooth => StreamValues::Numbers(&self.velocity_smooth),
            StreamKey::Heartrate => StreamValues::Numbers(self.heartrate.as_deref()?),
            StreamKey::Cadence => StreamValues::Numbers(self.cadence.as_deref()?),
            StreamKey::Watts => StreamValues::Numbers(self.watts.as_deref()?),
            StreamKey::Temp => StreamValues::Numbers(self.temp.as_deref()?),
            StreamKey::Moving => StreamValues::Flags(&self.moving),
            StreamKey::GradeSmooth => StreamValues::Numbers(&self.grade_smooth),
        })
    }

    /// The keys of the streams present, in [`StreamKey::ALL`] order.
    pub fn keys(&self) -> Vec<StreamKey> {
        StreamKey::ALL.into_iter().filter(|k| self.values(*k).is_some()).collect()
    }

    /// A stream as numbers (`time` as seconds, `moving` as 0/1); `None` for `latlng` or an
    /// absent stream.
    pub fn numbers(&self, key: StreamKey) -> Option<Vec<f64>> {
        match self.values(key)? {
            StreamValues::Seconds(v) => Some(v.iter().map(|s| *s as f64).collect()),
            StreamValues::Numbers(v) => Some(v.to_vec()),
            StreamValues::Flags(v) => Some(v.iter().map(|m| f64::from(u8::from(*m))).collect()),
            StreamValues::LatLng(_) => None,
        }
    }

    /// The points at `indices` (ascending, in range; others are skipped) of every stream.
    pub fn select(&self, indices: &[usize]) -> Streams {
        fn pick<T: Copy>(v: &[T], indices: &[usize]) -> Vec<T> {
            indices.iter().filter_map(|i| v.get(*i).copied()).collect()
        }
        let opt = |v: &Option<Vec<f64>>| v.as_deref().map(|v| pick(v, indices));
        Streams {
            time: pick(&self.time, indices),
            distance: pick(&self.distance, indices),
            latlng: self.latlng.as_deref().map(|v| pick(v, indices)),
            altitude: opt(&self.altitude),
            velocity_smooth: pick(&self.velocity_smooth, indices),
            heartrate: opt(&self.heartrate),
            cadence: opt(&self.cadence),
            watts: opt(&self.watts),
            temp: opt(&self.temp),
            moving: pick(&self.moving, indices),
            grade_smooth: pick(&self.grade_smooth, indices),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_strava_names_in_order() {
        assert_eq!(STREAM_KEYS[0], "time");
        assert_eq!(STREAM_KEYS[4], "velocity_smooth");
        assert_eq!(STREAM_KEYS[10], "grade_smooth");
        for key in StreamKey::ALL {
            assert_eq!(StreamKey::parse(key.as_str()), Some(key));
        }
    }
}
