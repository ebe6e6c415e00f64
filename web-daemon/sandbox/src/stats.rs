//! `GET /api/v3/athletes/{id}/stats`: ActivityStats computed from the athlete's visible
//! activities (seeded and uploaded). Recent = the last 28 days, ytd = since 1 January UTC.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Shared;
use super::activity::Activity;
use super::error::Fault;
use super::request::{Auth, path_id};
use super::track::round_to;

/// Strava's ActivityTotal.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Totals {
    pub(crate) count: u64,
    pub(crate) distance: f64,
    pub(crate) moving_time: i64,
    pub(crate) elapsed_time: i64,
    pub(crate) elevation_gain: f64,
    pub(crate) achievement_count: u64,
}

impl Totals {
    fn add(&mut self, a: &Activity) {
        self.count += 1;
        self.distance += a.summary.distance;
        self.moving_time += a.summary.moving_time;
        self.elapsed_time += a.summary.elapsed_time;
        self.elevation_gain += a.summary.elevation_gain;
    }

    fn rounded(mut self) -> Self {
        self.distance = round_to(self.distance, 1);
        self.elevation_gain = round_to(self.elevation_gain, 1);
        self
    }
}

/// Which stats group an activity's legacy type belongs to.
pub(crate) fn group(legacy_type: &str) -> Option<&'static str> {
    match legacy_type {
        "Run" | "VirtualRun" => Some("run"),
        "Ride" | "VirtualRide" | "EBikeRide" | "Velomobile" | "Handcycle" => Some("ride"),
        "Swim" => Some("swim"),
        _ => None,
    }
}

/// The stats document for `activities` as of `now`.
pub(crate) fn compute<'a>(activities: impl Iterator<Item = &'a Activity>, now: DateTime<Utc>) -> Value {
    let recent_from = now - Duration::days(28);
    let year_from = Utc.with_ymd_and_hms(now.year(), 1, 1, 0, 0, 0).single().unwrap_or(now);
    let groups = ["ride", "run", "swim"];
    let mut totals = [[Totals::default(); 3]; 3]; // [recent, ytd, all][ride, run, swim]
    let (mut biggest_ride, mut biggest_climb) = (0.0f64, 0.0f64);
    for a in activities {
        let Some(g) = group(a.legacy_type()).and_then(|g| groups.iter().position(|x| *x == g)) else {
            continue;
        };
        if g == 0 {
            biggest_ride = biggest_ride.max(a.summary.distance);
            biggest_climb = biggest_climb.max(a.summary.elevation_gain);
        }
        let start = a.summary.start;
        for (period, included) in [start >= recent_from, start >= year_from, true].into_iter().enumerate() {
            if included {
                totals[period][g].add(a);
            }
        }
    }
    let mut doc = Map::new();
    doc.insert("biggest_ride_distance".into(), json!(biggest_ride));
    doc.insert("biggest_climb_elevation_gain".into(), json!(biggest_climb));
    for (period, name) in ["recent", "ytd", "all"].into_iter().enumerate() {
        for (g, group) in groups.into_iter().enumerate() {
            doc.insert(format!("{name}_{group}_totals"), json!(totals[period][g].rounded()));
        }
    }
    Value::Object(doc)
}

pub(crate) async fn stats(req: HttpRequest, auth: Auth, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    let id = path_id(&req, "Athlete")?;
    if id != auth.athlete_id() {
        return Err(Fault::forbidden("Athlete", "id"));
    }
    let now = Instant::now();
    let state = shared.state();
    let own = state.activities.values().filter(|a| a.athlete_id == id && a.is_visible(now));
    Ok(HttpResponse::Ok().json(compute(own, Utc::now())))
}
