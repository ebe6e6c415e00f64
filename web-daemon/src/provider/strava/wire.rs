//! Strava API v3 JSON shapes and their mapping to pacer's types. Numeric fields are read
//! leniently (integers or floats) and missing optional fields default.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone};
use oauth2::basic::BasicTokenType;
use oauth2::{ExtraTokenFields, StandardTokenResponse, TokenResponse};
use pacer_shared::Secret;
use serde::{Deserialize, Serialize};

use crate::provider::{Activity, ActivityDetail, Athlete, AthleteStats, TokenSet, Totals, UploadStatus};

/// Seconds as a non-negative whole number (Strava sends integers; be lenient with floats).
fn secs(value: Option<f64>) -> u64 {
    match value {
        Some(v) if v.is_finite() && v > 0.0 => v.round() as u64,
        _ => 0,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct WireActivity {
    id: u64,
    #[serde(default)]
    name: String,
    sport_type: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    start_date_local: String,
    timezone: Option<String>,
    distance: Option<f64>,
    moving_time: Option<f64>,
    elapsed_time: Option<f64>,
    total_elevation_gain: Option<f64>,
    average_speed: Option<f64>,
    max_speed: Option<f64>,
    average_heartrate: Option<f64>,
    max_heartrate: Option<f64>,
    average_cadence: Option<f64>,
    average_watts: Option<f64>,
    kilojoules: Option<f64>,
    #[serde(default)]
    trainer: bool,
    #[serde(default)]
    commute: bool,
    #[serde(default)]
    manual: bool,
    external_id: Option<String>,
    // Detail-only fields.
    description: Option<String>,
    calories: Option<f64>,
    device_name: Option<String>,
    gear_id: Option<String>,
}

impl WireActivity {
    pub(super) fn into_activity(self) -> Activity {
        self.into_detail().activity
    }

    pub(super) fn into_detail(self) -> ActivityDetail {
        let start_date_local = local_with_offset(&self.start_date, &self.start_date_local);
        ActivityDetail {
            activity: Activity {
                id: self.id,
                name: self.name,
                sport_type: self.sport_type.or(self.kind).unwrap_or_else(|| "Workout".to_owned()),
                start_date: self.start_date,
                start_date_local,
                timezone: self.timezone,
                distance_m: self.distance.unwrap_or(0.0),
                moving_time_s: secs(self.moving_time),
                elapsed_time_s: secs(self.elapsed_time),
                total_elevation_gain_m: self.total_elevation_gain.unwrap_or(0.0),
                average_speed_mps: self.average_speed.unwrap_or(0.0),
                max_speed_mps: self.max_speed.unwrap_or(0.0),
                average_heartrate_bpm: self.average_heartrate,
                max_heartrate_bpm: self.max_heartrate,
                average_cadence_rpm: self.average_cadence,
                average_watts: self.average_watts,
                kilojoules: self.kilojoules,
                trainer: self.trainer,
                commute: self.commute,
                manual: self.manual,
                external_id: self.external_id,
            },
            description: self.description,
            calories_kcal: self.calories,
            device_name: self.device_name,
            gear_id: self.gear_id,
        }
    }
}

/// Strava's `start_date_local` is local wall-clock time wrongly suffixed `Z`. The true offset
/// is the difference to `start_date` (UTC); returns local time with that offset, RFC 3339.
/// Values that already carry a non-zero offset, or that do not parse, are returned unchanged.
fn local_with_offset(start_date: &str, start_date_local: &str) -> String {
    let parsed_local = DateTime::parse_from_rfc3339(start_date_local);
    if let Ok(local) = parsed_local
        && local.offset().local_minus_utc() != 0
    {
        return start_date_local.to_owned();
    }
    let naive_local = match parsed_local {
        Ok(local) => local.naive_local(),
        Err(_) => match NaiveDateTime::parse_from_str(start_date_local, "%Y-%m-%dT%H:%M:%S") {
            Ok(naive) => naive,
            Err(_) => return start_date_local.to_owned(),
        },
    };
    let Ok(utc) = DateTime::parse_from_rfc3339(start_date) else {
        return start_date_local.to_owned();
    };
    let offset_s = (naive_local - utc.naive_utc()).num_seconds();
    i32::try_from(offset_s)
        .ok()
        .and_then(FixedOffset::east_opt)
        .and_then(|offset| offset.from_local_datetime(&naive_local).single())
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| start_date_local.to_owned())
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(super) struct WireAthlete {
    id: u64,
    username: Option<String>,
    firstname: Option<String>,
    lastname: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    sex: Option<String>,
    weight: Option<f64>,
    premium: Option<bool>,
    summit: Option<bool>,
    created_at: Option<String>,
    profile: Option<String>,
}

impl From<WireAthlete> for Athlete {
    fn from(w: WireAthlete) -> Self {
        Athlete {
            id: w.id,
            username: w.username,
            firstname: w.firstname,
            lastname: w.lastname,
            city: w.city,
            state: w.state,
            country: w.country,
            sex: w.sex,
            weight_kg: w.weight,
            premium: w.premium.or(w.summit),
            created_at: w.created_at,
            profile_url: w.profile,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireTotals {
    count: Option<f64>,
    distance: Option<f64>,
    moving_time: Option<f64>,
    elapsed_time: Option<f64>,
    elevation_gain: Option<f64>,
}

impl From<WireTotals> for Totals {
    fn from(w: WireTotals) -> Self {
        Totals {
            count: secs(w.count),
            distance_m: w.distance.unwrap_or(0.0),
            moving_time_s: secs(w.moving_time),
            elapsed_time_s: secs(w.elapsed_time),
            elevation_gain_m: w.elevation_gain.unwrap_or(0.0),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireStats {
    biggest_ride_distance: Option<f64>,
    biggest_climb_elevation_gain: Option<f64>,
    recent_run_totals: WireTotals,
    ytd_run_totals: WireTotals,
    all_run_totals: WireTotals,
    recent_ride_totals: WireTotals,
    ytd_ride_totals: WireTotals,
    all_ride_totals: WireTotals,
    recent_swim_totals: WireTotals,
    ytd_swim_totals: WireTotals,
    all_swim_totals: WireTotals,
}

impl From<WireStats> for AthleteStats {
    fn from(w: WireStats) -> Self {
        AthleteStats {
            recent_run_totals: w.recent_run_totals.into(),
            ytd_run_totals: w.ytd_run_totals.into(),
            all_run_totals: w.all_run_totals.into(),
            recent_ride_totals: w.recent_ride_totals.into(),
            ytd_ride_totals: w.ytd_ride_totals.into(),
            all_ride_totals: w.all_ride_totals.into(),
            recent_swim_totals: w.recent_swim_totals.into(),
            ytd_swim_totals: w.ytd_swim_totals.into(),
            all_swim_totals: w.all_swim_totals.into(),
            biggest_ride_distance_m: w.biggest_ride_distance,
            biggest_climb_elevation_gain_m: w.biggest_climb_elevation_gain,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct WireUpload {
    id: Option<u64>,
    id_str: Option<String>,
    external_id: Option<String>,
    error: Option<String>,
    status: Option<String>,
    activity_id: Option<u64>,
}

impl WireUpload {
    pub(super) fn into_status(self) -> Result<UploadStatus, String> {
        let upload_id =
            self.id.or_else(|| self.id_str.as_deref().and_then(|s| s.parse().ok())).ok_or("upload: missing id")?;
        Ok(UploadStatus {
            upload_id,
            status: self.status.unwrap_or_default(),
            activity_id: self.activity_id,
            error: self.error.filter(|e| !e.is_empty()),
            external_id: self.external_id,
        })
    }
}

/// Strava's additions to the RFC 6749 token response (`authorization_code` and `refresh_token`
/// grants): when the access token expires, and (code exchange only) the athlete.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct StravaExtraFields {
    /// Expiry of the access token, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) expires_at: Option<i64>,
    /// The athlete who granted access (sent with the code exchange only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) athlete: Option<WireAthlete>,
}

impl ExtraTokenFields for StravaExtraFields {}

/// The token endpoint's answer as `oauth2` reads it: the standard fields plus Strava's.
pub(super) type StravaTokenResponse = StandardTokenResponse<StravaExtraFields, BasicTokenType>;

/// The token set in `response`; `now_s` (epoch seconds) fills `expires_at` from `expires_in` if
/// Strava left it out. Strava rotates refresh tokens, so one is required. Scopes (comma-separated
/// by Strava, so one `oauth2` "scope") are joined back with spaces.
pub(super) fn token_set(response: &StravaTokenResponse, now_s: i64) -> Result<TokenSet, String> {
    let extra = response.extra_fields();
    let expires_in = response.expires_in().map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let expires_at = extra
        .expires_at
        .or_else(|| expires_in.map(|secs| now_s.saturating_add(secs)))
        .ok_or("token response has neither expires_at nor expires_in")?;
    let refresh_token = response.refresh_token().ok_or("token response has no refresh_token")?;
    Ok(TokenSet {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: Secret::new(refresh_token.secret().clone()),
        expires_at,
        athlete_id: extra.athlete.as_ref().map(|a| a.id),
        scopes: response.scopes().map(|scopes| scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
