//! Time zones: the IANA zone at a position (embedded boundary data from `tzf-rs`, no network),
//! UTC offsets in a zone (`chrono-tz`), and the choice of an activity's local time with a
//! record of where it came from.

use std::str::FromStr as _;
use std::sync::OnceLock;

use chrono::{DateTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tzf_rs::EmbeddedFinder;

use crate::parsed::ParsedFile;

/// The zone finder, built once (it reads the ~4 MB embedded boundary file in place).
fn finder() -> &'static EmbeddedFinder {
    static FINDER: OnceLock<EmbeddedFinder> = OnceLock::new();
    FINDER.get_or_init(EmbeddedFinder::new)
}

/// The IANA zone name at a position (`51.5, -0.12` → `Europe/London`); `None` for invalid
/// coordinates or where no zone is known.
pub fn zone_at(lat: f64, lon: f64) -> Option<&'static str> {
    let valid = lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0;
    if !valid {
        return None;
    }
    Some(finder().get_tz_name(lon, lat)).filter(|name| !name.is_empty())
}

/// Local time minus UTC in seconds in IANA zone `zone` at instant `at` (DST applied);
/// `None` for an unknown zone name.
pub fn offset_in_zone(zone: &str, at: DateTime<Utc>) -> Option<i32> {
    let tz = Tz::from_str(zone).ok()?;
    Some(tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc())
}

/// Where an activity's local time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalTimeSource {
    /// The file recorded it (FIT `activity.local_timestamp`).
    File,
    /// The zone at the activity's start position.
    Coordinates,
    /// The athlete's configured time zone.
    AthleteSetting,
}

impl LocalTimeSource {
    /// The label: `file`, `coordinates`, `athlete_setting`.
    pub const fn label(self) -> &'static str {
        match self {
            LocalTimeSource::File => "file",
            LocalTimeSource::Coordinates => "coordinates",
            LocalTimeSource::AthleteSetting => "athlete_setting",
        }
    }
}

/// An activity's local time at its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalTime {
    /// Local time minus UTC, seconds.
    pub utc_offset_s: i32,
    /// The IANA zone, when known (a file's offset alone names none).
    pub zone: Option<String>,
    /// Where it came from.
    pub source: LocalTimeSource,
}

/// Chooses the local time of an activity starting at `start`: the file's own offset, else the
/// zone at the first recorded position, else `athlete_zone` (an IANA name); `None` when none
/// of them is known.
pub fn local_time(file: &ParsedFile, start: DateTime<Utc>, athlete_zone: Option<&str>) -> Option<LocalTime> {
    if let Some(offset) = file.utc_offset_s {
        let zone = first_position(file).and_then(|(lat, lon)| zone_at(lat, lon));
        let zone = zone.filter(|z| offset_in_zone(z, start) == Some(offset)).map(str::to_owned);
        return Some(LocalTime { utc_offset_s: offset, zone, source: LocalTimeSource::File });
    }
    let from_position = first_position(file).and_then(|(lat, lon)| zone_at(lat, lon)).and_then(|zone| {
        let utc_offset_s = offset_in_zone(zone, start)?;
        Some(LocalTime { utc_offset_s, zone: Some(zone.to_owned()), source: LocalTimeSource::Coordinates })
    });
    from_position.or_else(|| {
        let zone = athlete_zone?;
        let utc_offset_s = offset_in_zone(zone, start)?;
        Some(LocalTime { utc_offset_s, zone: Some(zone.to_owned()), source: LocalTimeSource::AthleteSetting })
    })
}

fn first_position(file: &ParsedFile) -> Option<(f64, f64)> {
    file.points.iter().find_map(|p| p.lat.zip(p.lon))
}
