//! Sport types, default names and athletes with their Strava JSON shapes (summary =
//! resource_state 2, detailed = resource_state 3). Activities are in [`super::activity`].

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub(crate) use pacer_files::sport_type;

/// The legacy `type` field for a sport type.
pub(crate) fn legacy_type(sport: &str) -> &str {
    match sport {
        "TrailRun" => "Run",
        "MountainBikeRide" | "GravelRide" => "Ride",
        "EMountainBikeRide" => "EBikeRide",
        "Badminton"
        | "HighIntensityIntervalTraining"
        | "Pickleball"
        | "Pilates"
        | "Racquetball"
        | "Squash"
        | "TableTennis"
        | "Tennis"
        | "VirtualRow" => "Workout",
        other => other,
    }
}

pub(crate) use pacer_files::default_name;

pub(crate) fn format_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A seeded athlete (DetailedAthlete fields plus what the seed needs).
#[derive(Debug, Clone)]
pub(crate) struct Athlete {
    pub(crate) id: u64,
    pub(crate) username: &'static str,
    pub(crate) firstname: &'static str,
    pub(crate) lastname: &'static str,
    pub(crate) city: &'static str,
    pub(crate) state: &'static str,
    pub(crate) country: &'static str,
    pub(crate) sex: &'static str,
    pub(crate) weight: f64,
    pub(crate) ftp: Option<u32>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) tz_name: &'static str,
    pub(crate) tz_offset_s: i32,
    pub(crate) home: [f64; 2],
    pub(crate) base_ele: f64,
}

impl Athlete {
    pub(crate) fn timezone_label(&self) -> String {
        let sign = if self.tz_offset_s < 0 { '-' } else { '+' };
        let abs = self.tz_offset_s.unsigned_abs();
        format!("(GMT{sign}{:02}:{:02}) {}", abs / 3600, abs % 3600 / 60, self.tz_name)
    }

    /// SummaryAthlete (as in the token response).
    pub(crate) fn summary_json(&self) -> Value {
        json!({
            "id": self.id, "username": self.username, "resource_state": 2,
            "firstname": self.firstname, "lastname": self.lastname, "bio": "",
            "city": self.city, "state": self.state, "country": self.country, "sex": self.sex,
            "premium": true, "summit": true, "badge_type_id": 1,
            "created_at": format_utc(self.created_at), "updated_at": format_utc(self.created_at),
            "weight": self.weight,
            "profile_medium": "avatar/athlete/medium.png", "profile": "avatar/athlete/large.png",
            "friend": null, "follower": null,
        })
    }

    /// DetailedAthlete (`GET /athlete`).
    pub(crate) fn detailed_json(&self) -> Value {
        let mut value = self.summary_json();
        if let Value::Object(map) = &mut value {
            map.insert("resource_state".into(), json!(3));
            for (key, v) in [
                ("follower_count", json!(12)),
                ("friend_count", json!(9)),
                ("mutual_friend_count", json!(0)),
                ("athlete_type", json!(if self.ftp.is_some() { 0 } else { 1 })),
                ("date_preference", json!("%m/%d/%Y")),
                ("measurement_preference", json!("meters")),
                ("clubs", json!([])),
                ("ftp", json!(self.ftp)),
                ("bikes", json!([])),
                ("shoes", json!([])),
            ] {
                map.insert(key.into(), v);
            }
        }
        value
    }
}
