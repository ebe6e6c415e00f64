//! `athlete_settings`: per-user settings that analysis needs (time zone for local dates; FTP and
//! heart rates for training load).

use crate::store::{Conn, OptionalExtension, params};
use pacer_shared::{TenantId, UserId};

use super::StoreError;

/// A user's settings; every field optional.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AthleteSettings {
    /// IANA time zone, e.g. `Europe/Amsterdam`: used for local dates when a file does not say.
    pub time_zone: Option<String>,
    /// Functional threshold power in watts.
    pub ftp_watts: Option<f64>,
    /// Resting heart rate in beats per minute.
    pub resting_heartrate_bpm: Option<f64>,
    /// Maximum heart rate in beats per minute.
    pub max_heartrate_bpm: Option<f64>,
    /// Threshold running pace in seconds per kilometre.
    pub threshold_pace_s_per_km: Option<f64>,
}

/// The user's settings (all empty when never set).
pub fn get(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<AthleteSettings, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT time_zone, ftp_watts, resting_heartrate_bpm, max_heartrate_bpm, threshold_pace_s_per_km
             FROM athlete_settings WHERE tenant_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![tenant.as_str(), user.as_str()], |r| {
            Ok(AthleteSettings {
                time_zone: r.get(0)?,
                ftp_watts: r.get(1)?,
                resting_heartrate_bpm: r.get(2)?,
                max_heartrate_bpm: r.get(3)?,
                threshold_pace_s_per_km: r.get(4)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Replaces the user's settings.
pub fn put(conn: &Conn, tenant: &TenantId, user: &UserId, s: &AthleteSettings) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO athlete_settings (tenant_id, user_id, time_zone, ftp_watts, resting_heartrate_bpm,
            max_heartrate_bpm, threshold_pace_s_per_km, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET time_zone = excluded.time_zone,
           ftp_watts = excluded.ftp_watts, resting_heartrate_bpm = excluded.resting_heartrate_bpm,
           max_heartrate_bpm = excluded.max_heartrate_bpm,
           threshold_pace_s_per_km = excluded.threshold_pace_s_per_km, updated_at = excluded.updated_at",
        params![
            tenant.as_str(),
            user.as_str(),
            s.time_zone,
            s.ftp_watts,
            s.resting_heartrate_bpm,
            s.max_heartrate_bpm,
            s.threshold_pace_s_per_km,
            super::now_rfc3339()
        ],
    )?;
    Ok(())
}
