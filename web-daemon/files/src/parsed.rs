//! What parsing an activity file yields: its points, the totals it states, and how points are
//! collected under the point cap. Shared by the parsers (`fit.rs`, `xml.rs`) and the dispatch
//! (`parse.rs`).

use chrono::{DateTime, Utc};

use crate::error::ParseError;
use crate::limits::Limits;

/// One sample of a recorded activity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Point {
    /// When it was recorded.
    pub time: Option<DateTime<Utc>>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Elevation, metres.
    pub ele: Option<f64>,
    /// Heart rate, beats per minute.
    pub hr: Option<f64>,
    /// Cadence, rpm (steps per minute per foot when running).
    pub cadence: Option<f64>,
    /// Power, watts.
    pub watts: Option<f64>,
    /// Cumulative distance in metres, when the file records it.
    pub dist: Option<f64>,
    /// Temperature, °C.
    pub temp: Option<f64>,
}

/// Totals a file states itself (FIT session, TCX laps); they win over computed values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileTotals {
    /// Distance, metres.
    pub distance: Option<f64>,
    /// Elapsed time, seconds.
    pub elapsed_s: Option<f64>,
    /// Moving (timer) time, seconds.
    pub moving_s: Option<f64>,
    /// Elevation gain, metres.
    pub ascent: Option<f64>,
}

/// What an activity file contained.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    /// Sport type (Strava's names: `Run`, `Ride`, `Swim`, …) when the file names a known sport.
    pub sport: Option<&'static str>,
    /// Activity name (GPX `trk/name`).
    pub name: Option<String>,
    /// Recording device or software.
    pub device: Option<String>,
    /// Track points in file order.
    pub points: Vec<Point>,
    /// Totals stated by the file.
    pub totals: FileTotals,
    /// Local time minus UTC at the start, seconds, when the file records it (FIT
    /// `activity.local_timestamp − timestamp`; GPX and TCX never do).
    pub utc_offset_s: Option<i32>,
}

/// Collects points under the [`Limits::max_points`] cap.
pub(crate) fn push_point(points: &mut Vec<Point>, point: Point, limits: &Limits) -> Result<(), ParseError> {
    if points.len() >= limits.max_points {
        return Err(ParseError::TooManyPoints { max: limits.max_points });
    }
    points.push(point);
    Ok(())
}
