//! Activities and their Strava JSON shapes (SummaryActivity = resource_state 2,
//! DetailedActivity = resource_state 3). Absent values are omitted, as Strava does.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, Offset as _, Timelike, Utc};
use serde_json::{Map, Value, json};

use super::model::{format_utc, legacy_type};
use super::recipe::Recipe;
use super::track::{Streams, Summary, summarize};

/// Where an activity's streams come from.
#[derive(Debug, Clone)]
pub(crate) enum StreamSource {
    /// Regenerated on demand from the seed recipe (deterministic).
    Seeded(Recipe),
    /// Parsed from an uploaded file.
    Stored(Arc<Streams>),
}

#[derive(Debug, Clone)]
pub(crate) struct Activity {
    pub(crate) id: u64,
    pub(crate) athlete_id: u64,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) sport_type: String,
    pub(crate) summary: Summary,
    pub(crate) tz_label: String,
    pub(crate) tz_offset_s: i32,
    pub(crate) external_id: Option<String>,
    pub(crate) upload_id: Option<u64>,
    pub(crate) trainer: bool,
    pub(crate) commute: bool,
    pub(crate) device_name: Option<String>,
    /// sha256 of the uploaded file bytes (duplicate detection).
    pub(crate) file_sha256: Option<String>,
    /// Uploaded activities stay hidden until their upload has finished processing.
    pub(crate) visible_at: Option<Instant>,
    pub(crate) streams: StreamSource,
}

impl Activity {
    pub(crate) fn is_visible(&self, now: Instant) -> bool {
        self.visible_at.is_none_or(|at| at <= now)
    }

    pub(crate) fn start_local(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.tz_offset_s).unwrap_or_else(|| Utc.fix());
        self.summary.start.with_timezone(&offset)
    }

    pub(crate) fn legacy_type(&self) -> &str {
        legacy_type(&self.sport_type)
    }

    /// The activity's streams (regenerated for seeded activities).
    pub(crate) fn streams(&self) -> Option<Arc<Streams>> {
        match &self.streams {
            StreamSource::Stored(streams) => Some(Arc::clone(streams)),
            StreamSource::Seeded(recipe) => {
                let points = recipe.points();
                summarize(&points, &Default::default()).ok().map(|(_, s)| Arc::new(s))
            }
        }
    }

    /// SummaryActivity (`GET /athlete/activities`).
    pub(crate) fn summary_json(&self) -> Value {
        let s = &self.summary;
        let local = self.start_local().naive_local();
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("resource_state", json!(2));
        put("athlete", json!({"id": self.athlete_id, "resource_state": 1}));
        put("name", json!(self.name));
        put("distance", json!(s.distance));
        put("moving_time", json!(s.moving_time));
        put("elapsed_time", json!(s.elapsed_time));
        put("total_elevation_gain", json!(s.elevation_gain));
        put("type", json!(self.legacy_type()));
        put("sport_type", json!(self.sport_type));
        put("workout_type", Value::Null);
        put("id", json!(self.id));
        put("start_date", json!(format_utc(s.start)));
        put("start_date_local", json!(local.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
        put("timezone", json!(self.tz_label));
        put("utc_offset", json!(f64::from(self.tz_offset_s)));
        put("location_city", Value::Null);
        put("location_state", Value::Null);
        put("location_country", Value::Null);
        for key in ["achievement_count", "kudos_count", "comment_count", "photo_count", "total_photo_count", "pr_count"]
        {
            put(key, json!(0));
        }
        put("athlete_count", json!(1));
        put("map", json!({"id": format!("a{}", self.id), "summary_polyline": "", "resource_state": 2}));
        put("trainer", json!(self.trainer));
        put("commute", json!(self.commute));
        put("manual", json!(false));
        put("private", json!(false));
        put("visibility", json!("everyone"));
        put("flagged", json!(false));
        put("gear_id", Value::Null);
        put("start_latlng", json!(s.start_latlng.map_or(Vec::new(), |p| p.to_vec())));
        put("end_latlng", json!(s.end_latlng.map_or(Vec::new(), |p| p.to_vec())));
        put("average_speed", json!(s.average_speed));
        put("max_speed", json!(s.max_speed));
        let mut opt = |k: &str, v: Option<f64>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), json!(v));
            }
        };
        opt("average_cadence", s.average_cadence);
        opt("average_watts", s.average_watts);
        opt("max_watts", s.max_watts);
        opt("weighted_average_watts", s.average_watts.map(|w| w.round()));
        opt("kilojoules", s.kilojoules);
        opt("average_heartrate", s.average_heartrate);
        opt("max_heartrate", s.max_heartrate);
        opt("elev_high", s.elev_high);
        opt("elev_low", s.elev_low);
        m.insert("device_watts".into(), json!(s.average_watts.is_some()));
        m.insert("has_heartrate".into(), json!(s.average_heartrate.is_some()));
        m.insert("heartrate_opt_out".into(), json!(false));
        m.insert("display_hide_heartrate_option".into(), json!(s.average_heartrate.is_some()));
        m.insert("upload_id".into(), json!(self.upload_id));
        m.insert("upload_id_str".into(), json!(self.upload_id.map(|id| id.to_string())));
        m.insert("external_id".into(), json!(self.external_id));
        m.insert("from_accepted_tag".into(), json!(false));
        m.insert("has_kudoed".into(), json!(false));
        Value::Object(m)
    }

    /// DetailedActivity (`GET /activities/{id}`).
    pub(crate) fn detailed_json(&self) -> Value {
        let mut value = self.summary_json();
        if let Value::Object(m) = &mut value {
            m.insert("resource_state".into(), json!(3));
            m.insert("description".into(), json!(self.description));
            m.insert("calories".into(), json!(self.calories()));
            m.insert("device_name".into(), json!(self.device_name));
            m.insert("embed_token".into(), json!(format!("{:x}", self.id.wrapping_mul(0x9E37_79B9))));
            m.insert("gear".into(), Value::Null);
            m.insert("photos".into(), json!({"primary": null, "count": 0}));
            for key in ["segment_efforts", "splits_metric", "laps", "best_efforts", "highlighted_kudosers"] {
                m.insert(key.into(), json!([]));
            }
            m.insert(
                "map".into(),
                json!({"id": format!("a{}", self.id), "polyline": "", "summary_polyline": "", "resource_state": 3}),
            );
        }
        value
    }

    /// kcal: mechanical kJ ≈ kcal when power is known, else a MET estimate for 70 kg.
    fn calories(&self) -> f64 {
        if let Some(kj) = self.summary.kilojoules {
            return kj.round();
        }
        let met = match self.legacy_type() {
            "Run" => 10.0,
            "Ride" | "VirtualRide" => 7.5,
            "Swim" => 8.0,
            "Hike" => 6.0,
            "Walk" => 3.5,
            _ => 5.0,
        };
        (met * 70.0 * self.summary.moving_time as f64 / 3600.0).round()
    }

    /// Local hour of the start, for default names.
    pub(crate) fn local_hour(&self) -> u32 {
        self.start_local().hour()
    }
}
