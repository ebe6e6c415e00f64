//! pacer's provider-neutral fitness types. Doc comments become MCP output-schema descriptions;
//! units are part of every field name.

use std::collections::BTreeMap;
use std::fmt;

use pacer_shared::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One activity as listed by the provider, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Activity {
    /// Provider's activity id.
    pub id: u64,
    /// Activity title.
    pub name: String,
    /// Sport, e.g. `Run`, `Ride`, `Swim`, `TrailRun`, `VirtualRide`.
    pub sport_type: String,
    /// Start time in UTC, RFC 3339 (e.g. `2026-11-25T07:30:00Z`).
    pub start_date: String,
    /// Start time in the athlete's local time zone, RFC 3339 with its UTC offset
    /// (e.g. `2026-11-25T08:30:00+01:00`).
    pub start_date_local: String,
    /// Time zone as reported by the provider, e.g. `(GMT+01:00) Europe/Paris`.
    pub timezone: Option<String>,
    /// Distance in meters.
    pub distance_m: f64,
    /// Time spent moving, in seconds.
    pub moving_time_s: u64,
    /// Wall-clock duration from start to finish, in seconds.
    pub elapsed_time_s: u64,
    /// Total elevation gain in meters.
    pub total_elevation_gain_m: f64,
    /// Average moving speed in meters per second.
    pub average_speed_mps: f64,
    /// Maximum speed in meters per second.
    pub max_speed_mps: f64,
    /// Average heart rate in beats per minute, when recorded.
    pub average_heartrate_bpm: Option<f64>,
    /// Maximum heart rate in beats per minute, when recorded.
    pub max_heartrate_bpm: Option<f64>,
    /// Average cadence (revolutions or steps per minute as the provider reports it), when recorded.
    pub average_cadence_rpm: Option<f64>,
    /// Average power in watts, when recorded or estimated.
    pub average_watts: Option<f64>,
    /// Total work in kilojoules (rides with power).
    pub kilojoules: Option<f64>,
    /// Whether the activity was recorded on a trainer or treadmill.
    pub trainer: bool,
    /// Whether the activity is marked as a commute.
    pub commute: bool,
    /// Whether the activity was entered manually rather than recorded.
    pub manual: bool,
    /// Identifier of the uploaded file or the uploader's own id (e.g. the file name), if any.
    pub external_id: Option<String>,
}

/// One activity with the fields only the detail view carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub activity: Activity,
    /// Free-text description, if any.
    pub description: Option<String>,
    /// Energy expended in kilocalories, if known.
    pub calories_kcal: Option<f64>,
    /// Recording device, e.g. `Garmin Forerunner 965`.
    pub device_name: Option<String>,
    /// Provider's id of the gear (bike, shoes) used, if any.
    pub gear_id: Option<String>,
}

/// The connected athlete's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Athlete {
    /// Provider's athlete id.
    pub id: u64,
    /// Public user name, if set.
    pub username: Option<String>,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Sex as reported by the provider: `M`, `F` or absent.
    pub sex: Option<String>,
    /// Body weight in kilograms, if shared.
    pub weight_kg: Option<f64>,
    /// Whether the athlete has a paid subscription.
    pub premium: Option<bool>,
    /// Account creation time, RFC 3339.
    pub created_at: Option<String>,
    /// URL of the profile picture.
    pub profile_url: Option<String>,
}

/// Accumulated totals for one sport over one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    /// Number of activities.
    pub count: u64,
    /// Total distance in meters.
    pub distance_m: f64,
    /// Total moving time in seconds.
    pub moving_time_s: u64,
    /// Total elapsed time in seconds.
    pub elapsed_time_s: u64,
    /// Total elevation gain in meters.
    pub elevation_gain_m: f64,
}

/// The athlete's totals: recent (last 4 weeks), year to date and all time, per sport.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AthleteStats {
    /// Runs in the last 4 weeks.
    pub recent_run_totals: Totals,
    /// Runs this calendar year.
    pub ytd_run_totals: Totals,
    /// All runs.
    pub all_run_totals: Totals,
    /// Rides in the last 4 weeks.
    pub recent_ride_totals: Totals,
    /// Rides this calendar year.
    pub ytd_ride_totals: Totals,
    /// All rides.
    pub all_ride_totals: Totals,
    /// Swims in the last 4 weeks.
    pub recent_swim_totals: Totals,
    /// Swims this calendar year.
    pub ytd_swim_totals: Totals,
    /// All swims.
    pub all_swim_totals: Totals,
    /// Longest ride ever, in meters.
    pub biggest_ride_distance_m: Option<f64>,
    /// Biggest climb ever, elevation gain in meters.
    pub biggest_climb_elevation_gain_m: Option<f64>,
}

/// Recorded data series of one activity, aligned by sample index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Streams {
    /// The activity the streams belong to.
    pub activity_id: u64,
    /// Number of samples the provider recorded.
    pub original_points: usize,
    /// Number of samples returned in each series (after downsampling).
    pub returned_points: usize,
    /// Series by name (`time` in s, `distance` in m, `latlng` as `[lat, lng]`, `altitude` in m,
    /// `heartrate` in bpm, `watts`, `cadence`, `velocity_smooth` in m/s, `temp` in °C,
    /// `grade_smooth` in %, `moving` as booleans).
    pub series: BTreeMap<String, Vec<serde_json::Value>>,
}

/// The state of an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UploadStatus {
    /// Provider's upload id; poll it until `activity_id` or `error` is set.
    pub upload_id: u64,
    /// Provider's status text, e.g. `Your activity is still being processed.`
    pub status: String,
    /// The new activity's id once processing is done.
    pub activity_id: Option<u64>,
    /// Why processing failed (e.g. a duplicate), if it did.
    pub error: Option<String>,
    /// The external id given with the upload, if any.
    pub external_id: Option<String>,
}

impl UploadStatus {
    /// True once the provider has finished: an activity was created or an error reported.
    pub fn is_final(&self) -> bool {
        self.activity_id.is_some() || self.error.is_some()
    }
}

/// An activity file to upload.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// The file contents.
    pub bytes: Vec<u8>,
    /// `fit`, `fit.gz`, `tcx`, `tcx.gz`, `gpx` or `gpx.gz`.
    pub data_type: String,
    /// Activity title to set.
    pub name: Option<String>,
    /// Activity description to set.
    pub description: Option<String>,
    /// Uploader's own id for the file (used to detect duplicates).
    pub external_id: Option<String>,
    /// Sport to set, e.g. `Run`.
    pub sport_type: Option<String>,
}

impl fmt::Debug for UploadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadRequest")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("data_type", &self.data_type)
            .field("name", &self.name)
            .field("external_id", &self.external_id)
            .field("sport_type", &self.sport_type)
            .finish_non_exhaustive()
    }
}

/// Which page of activities to list. Times are epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityQuery {
    /// Only activities that started before this time.
    pub before: Option<i64>,
    /// Only activities that started after this time.
    pub after: Option<i64>,
    /// 1-based page number.
    pub page: u32,
    /// Activities per page (the provider caps it, Strava at 200).
    pub per_page: u32,
}

impl Default for ActivityQuery {
    fn default() -> Self {
        Self { before: None, after: None, page: 1, per_page: 30 }
    }
}

/// Tokens granted by the provider. `Debug` redacts the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// Bearer token for API calls.
    pub access_token: Secret,
    /// Token to obtain the next access token (rotated by Strava).
    pub refresh_token: Secret,
    /// When the access token expires, epoch seconds.
    pub expires_at: i64,
    /// The athlete the tokens belong to, when the provider says.
    pub athlete_id: Option<u64>,
    /// Granted scopes (comma-separated), when the provider says.
    pub scopes: Option<String>,
}

/// Result of exchanging an authorization code: the tokens and, when sent, the athlete.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenExchange {
    /// The granted tokens.
    pub tokens: TokenSet,
    /// The athlete who authorized, when the provider includes it.
    pub athlete: Option<Athlete>,
}

/// The provider's API rate-limit usage as last reported, for the current windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RateLimitUsage {
    /// Requests allowed per 15-minute window (all requests).
    pub limit_15min: Option<u32>,
    /// Requests used in the current 15-minute window (all requests).
    pub usage_15min: Option<u32>,
    /// Requests allowed per UTC day (all requests).
    pub limit_daily: Option<u32>,
    /// Requests used today, UTC (all requests).
    pub usage_daily: Option<u32>,
    /// Read requests allowed per 15-minute window.
    pub read_limit_15min: Option<u32>,
    /// Read requests used in the current 15-minute window.
    pub read_usage_15min: Option<u32>,
    /// Read requests allowed per UTC day.
    pub read_limit_daily: Option<u32>,
    /// Read requests used today, UTC.
    pub read_usage_daily: Option<u32>,
    /// When the provider last reported usage, RFC 3339.
    pub observed_at: String,
}

/// Stream types Strava records, in the order its responses list them (`time` always included);
/// the one list lives with the activity-file streams.
pub use pacer_files::STREAM_KEYS;
