//! The generated data: what one activity is, its samples, its file kind and its true totals.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// What to generate. Everything that varies between corpora is here; the same spec always yields
/// the same activities, byte for byte, on every platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusSpec {
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
    /// Last day of the period (the race is on the last Sunday at least a week before it).
    pub end_date: NaiveDate,
    /// Length of the period in days, ending on `end_date`.
    pub days: u32,
    /// Exact number of activities to produce.
    pub activities: usize,
    /// Cap on every activity's duration in seconds (benchmarks use short files); `None` = natural.
    pub max_duration_s: Option<u32>,
}

impl Default for CorpusSpec {
    /// A year of ~250 activities ending 2026-11-30, seed 7.
    fn default() -> Self {
        CorpusSpec {
            seed: 7,
            end_date: NaiveDate::from_ymd_opt(2026, 11, 30).expect("valid date"),
            days: 365,
            activities: 250,
            max_duration_s: None,
        }
    }
}

/// Strava's sport type names (the `Activity Type` column of `activities.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SportType {
    /// Road run.
    Run,
    /// Off-road run.
    TrailRun,
    /// Outdoor ride.
    Ride,
    /// Indoor trainer ride (no GPS).
    VirtualRide,
    /// Pool swim (no GPS).
    Swim,
}

impl SportType {
    /// Strava's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SportType::Run => "Run",
            SportType::TrailRun => "TrailRun",
            SportType::Ride => "Ride",
            SportType::VirtualRide => "VirtualRide",
            SportType::Swim => "Swim",
        }
    }

    /// Whether the activity records GPS positions and altitude.
    pub fn is_outdoor(self) -> bool {
        matches!(self, SportType::Run | SportType::TrailRun | SportType::Ride)
    }

    /// Runs (road or trail).
    pub fn is_run(self) -> bool {
        matches!(self, SportType::Run | SportType::TrailRun)
    }

    /// Rides (outdoor or virtual); these carry power.
    pub fn is_ride(self) -> bool {
        matches!(self, SportType::Ride | SportType::VirtualRide)
    }
}

/// The session a day's plan asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workout {
    /// Steady aerobic run.
    EasyRun,
    /// Warm-up, hard reps with jog recoveries, cool-down.
    Intervals,
    /// Warm-up, a continuous block near threshold, cool-down.
    Tempo,
    /// The weekly long run (grows through the year, tapers before the race).
    LongRun,
    /// The goal race: a half marathon.
    Race,
    /// Easy off-road run.
    TrailRun,
    /// Steady outdoor ride.
    EnduranceRide,
    /// Sweet-spot intervals (88–94 % FTP), outdoors or on the trainer.
    SweetSpot,
    /// The long weekend ride.
    LongRide,
    /// Trainer ride in Zwift-like style.
    VirtualRide,
    /// Pool session of 100 m repeats.
    PoolSwim,
}

/// The container of an activity file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Garmin FIT (binary).
    Fit,
    /// GPX 1.1 with Garmin TrackPointExtension.
    Gpx,
    /// Garmin Training Center XML.
    Tcx,
}

/// A file format plus whether it is gzipped, as in `activities/123.fit.gz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKind {
    /// The container.
    pub format: FileFormat,
    /// Whether the file is wrapped in gzip.
    pub gzip: bool,
}

impl FileKind {
    /// The extension without leading dot: `fit`, `gpx.gz`, …
    pub fn extension(self) -> &'static str {
        match (self.format, self.gzip) {
            (FileFormat::Fit, false) => "fit",
            (FileFormat::Fit, true) => "fit.gz",
            (FileFormat::Gpx, false) => "gpx",
            (FileFormat::Gpx, true) => "gpx.gz",
            (FileFormat::Tcx, false) => "tcx",
            (FileFormat::Tcx, true) => "tcx.gz",
        }
    }
}

/// A WGS84 position in degrees (rounded to 1e-7°, the precision every format keeps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// One 1 Hz sample. Values are pre-rounded to what FIT stores (altitude 0.2 m, distance 1 cm),
/// so totals computed here equal totals computed from any decoded file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Seconds since the activity start.
    pub t: u32,
    /// GPS position (outdoor sports only).
    pub position: Option<Position>,
    /// Altitude in metres (outdoor sports only).
    pub altitude_m: Option<f64>,
    /// Cumulative distance in metres.
    pub distance_m: f64,
    /// Instantaneous speed in m/s (0 while stopped).
    pub speed_mps: f64,
    /// Heart rate in bpm.
    pub heart_rate: Option<u8>,
    /// Cadence in FIT convention: rpm for rides, strides (not steps) per minute for runs.
    pub cadence: Option<u8>,
    /// Power in watts (rides only).
    pub power: Option<u16>,
    /// Air temperature in °C.
    pub temperature_c: Option<i8>,
}

impl Sample {
    /// Whether the athlete was moving in this second (speed above 0.5 m/s).
    pub fn is_moving(&self) -> bool {
        self.speed_mps > 0.5
    }
}

/// A lap: a contiguous range of samples (inclusive indices); structured workouts have one lap per
/// block, so intervals show up as laps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lap {
    /// Index of the first sample.
    pub first: usize,
    /// Index of the last sample (inclusive).
    pub last: usize,
}

/// One generated activity with everything an importer should recover from its file and CSV row.
#[derive(Clone, Debug)]
pub struct GeneratedActivity {
    /// Strava activity id (`Activity ID` column).
    pub id: u64,
    /// Upload id, the number in the file name (differs from `id`, as in real exports).
    pub upload_id: u64,
    /// Activity name (`Morning Run`, `Track 6×800 m`, the race's name, …).
    pub name: String,
    /// Strava sport type.
    pub sport: SportType,
    /// The planned session.
    pub workout: Workout,
    /// Free-text description (may hold commas, quotes, non-ASCII and newlines).
    pub description: String,
    /// Start time, UTC.
    pub start: DateTime<Utc>,
    /// IANA zone the activity took place in.
    pub time_zone: Tz,
    /// 1 Hz samples from `t = 0` to the end.
    pub samples: Vec<Sample>,
    /// Laps over `samples`.
    pub laps: Vec<Lap>,
    /// How the file is encoded in the export.
    pub file: FileKind,
    /// Gear name (`Activity Gear`).
    pub gear: Option<String>,
    /// Whether it is flagged as a commute.
    pub commute: bool,
    /// True totals computed from `samples`.
    pub totals: Totals,
}

impl GeneratedActivity {
    /// Path inside the export ZIP, e.g. `activities/1234567890.fit.gz`.
    pub fn file_name(&self) -> String {
        format!("activities/{}.{}", self.upload_id, self.file.extension())
    }

    /// Start time in the activity's own zone.
    pub fn local_start(&self) -> DateTime<Tz> {
        self.start.with_timezone(&self.time_zone)
    }

    /// Whether this is the goal race.
    pub fn is_race(&self) -> bool {
        self.workout == Workout::Race
    }
}

/// Totals of one activity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Totals {
    /// Distance in metres.
    pub distance_m: f64,
    /// Elapsed time in seconds (start to end, stops included).
    pub elapsed_s: u32,
    /// Moving time in seconds.
    pub moving_s: u32,
    /// Total ascent in metres (0 without altitude).
    pub elevation_gain_m: f64,
    /// Total descent in metres (0 without altitude).
    pub elevation_loss_m: f64,
    /// Mean heart rate in bpm.
    pub avg_heart_rate: Option<f64>,
    /// Maximum heart rate in bpm.
    pub max_heart_rate: Option<u8>,
    /// Mean power in watts (rides).
    pub avg_power: Option<f64>,
    /// Maximum power in watts (rides).
    pub max_power: Option<u16>,
    /// Mean cadence in FIT convention (rpm, or strides/min for runs).
    pub avg_cadence: Option<f64>,
    /// Maximum speed in m/s.
    pub max_speed_mps: f64,
}
