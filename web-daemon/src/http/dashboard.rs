//! The dashboard on the web page (session auth, the caller's own store only):
//!
//! - `GET /api/dashboard/weekly.svg?weeks=12&metric=time&width=720`: weekly volume, bars stacked
//!   by sport.
//! - `GET /api/dashboard/fitness.svg?days=90&width=720`: fitness, fatigue and form (CTL/ATL/TSB).
//! - `GET /api/dashboard/recent?limit=10`: the latest activities, each with its route as a small
//!   standalone SVG drawn from the stored GPS track.
//!
//! Charts are drawn here, in Rust ([`super::charts`], [`super::svg`]): the page shows them as
//! `<img>`, so they run no script and need no charting library (see ARCHITECTURE.md).

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::charts::{self, WeeklyMetric};
use super::error::ApiError;
use super::extract::{Authenticated, TenantHeader};
use super::responses::{BadQuery, SessionAuth};
use super::svg;
use crate::analytics::Analytics;
use crate::state::AppState;
use crate::store::activities::{self, ActivityFilter};
use crate::store::{activity_streams, now_epoch};

/// Chart widths the routes draw at (user units = CSS pixels at 100 %).
/// (The query structs' `#[param(minimum, maximum)]` repeat these ranges as literals, which utoipa
/// requires; `ranges_match_the_document` in the tests keeps the two equal.)
const WIDTH: (u32, u32) = (280, 1600);
/// `weeks` of the weekly chart.
const WEEKS: (u32, u32) = (1, 104);
/// `days` of the fitness chart.
const DAYS: (u32, u32) = (14, 730);
/// `limit` of the recent list.
const LIMIT: (u32, u32) = (1, 50);

fn check(name: &str, value: u32, (min, max): (u32, u32)) -> Result<f64, ApiError> {
    if (min..=max).contains(&value) {
        Ok(f64::from(value))
    } else {
        Err(ApiError::bad_request(format!("{name}: must be between {min} and {max}")))
    }
}

/// `?weeks=&metric=&width=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeeklyQuery {
    /// ISO weeks to draw, the current one last (1–104, default 12).
    #[param(minimum = 1, maximum = 104)]
    pub weeks: Option<u32>,
    /// `time` (hours, default), `distance` (km) or `load`.
    #[param(inline)]
    pub metric: Option<WeeklyMetric>,
    /// Drawing width in pixels (280–1600, default 720); the page sends its column's width.
    #[param(minimum = 280, maximum = 1600)]
    pub width: Option<u32>,
}

/// Weekly volume of the signed-in person, as SVG bars stacked by sport.
#[utoipa::path(
    tag = "dashboard",
    params(WeeklyQuery, TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "SVG chart (`viewBox` of `width` × 220–300)", content_type = "image/svg+xml", body = String),
        BadQuery,
        SessionAuth,
    )
)]
#[get("/weekly.svg")]
pub async fn weekly_svg(
    auth: Authenticated,
    state: web::Data<AppState>,
    q: web::Query<WeeklyQuery>,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let weeks = check("weeks", q.weeks.unwrap_or(12), WEEKS)? as u32;
    let width = check("width", q.width.unwrap_or(720), WIDTH)?;
    let summary = Analytics::new(&state, &p).weekly_summary(weeks).await?;
    Ok(svg::response(charts::weekly(&summary, q.metric.unwrap_or_default(), width)))
}

/// `?days=&width=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FitnessQuery {
    /// Days to draw, today last (14–730, default 90); the averages warm up on earlier history.
    #[param(minimum = 14, maximum = 730)]
    pub days: Option<u32>,
    /// Drawing width in pixels (280–1600, default 720).
    #[param(minimum = 280, maximum = 1600)]
    pub width: Option<u32>,
}

/// Fitness (CTL), fatigue (ATL) and form (TSB) of the signed-in person, as three SVG lines.
#[utoipa::path(
    tag = "dashboard",
    params(FitnessQuery, TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "SVG chart (`viewBox` of `width` × 220–300)", content_type = "image/svg+xml", body = String),
        BadQuery,
        SessionAuth,
    )
)]
#[get("/fitness.svg")]
pub async fn fitness_svg(
    auth: Authenticated,
    state: web::Data<AppState>,
    q: web::Query<FitnessQuery>,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let days = check("days", q.days.unwrap_or(90), DAYS)? as u32;
    let width = check("width", q.width.unwrap_or(720), WIDTH)?;
    let load = Analytics::new(&state, &p).training_load(days).await?;
    Ok(svg::response(charts::fitness(&load.series, width)))
}

/// `?limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecentQuery {
    /// How many activities (1–50, default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// One row of the recent-activities table.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecentActivity {
    pub id: u64,
    pub name: String,
    /// e.g. `Run`, `Ride`, `Swim`.
    pub sport_type: String,
    /// Local start time, RFC 3339 with its offset.
    pub start_date_local: String,
    pub distance_m: f64,
    pub moving_time_s: u64,
    pub total_elevation_gain_m: f64,
    pub average_heartrate_bpm: Option<f64>,
    /// The route as a standalone SVG document (96 × 64, no script), from the stored GPS track;
    /// null without one (indoor, swims, API rows whose streams were never fetched).
    pub route_svg: Option<String>,
}

/// The latest activities, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecentActivities {
    pub activities: Vec<RecentActivity>,
}

/// The `[lat, lng]` pairs of a stored `latlng` stream.
fn track(series: &[serde_json::Value]) -> Vec<[f64; 2]> {
    series
        .iter()
        .filter_map(|v| match v.as_array().map(Vec::as_slice) {
            Some([lat, lng]) => Some([lat.as_f64()?, lng.as_f64()?]),
            _ => None,
        })
        .collect()
}

/// The signed-in person's latest activities with their routes.
#[utoipa::path(
    tag = "dashboard",
    params(RecentQuery, TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Latest activities, newest first", body = RecentActivities),
        BadQuery,
        SessionAuth,
    )
)]
#[get("/recent")]
pub async fn recent(
    auth: Authenticated,
    state: web::Data<AppState>,
    q: web::Query<RecentQuery>,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let limit = check("limit", q.limit.unwrap_or(10), LIMIT)? as u32;
    let (t, u) = (p.tenant_id, p.user_id);
    let rows = state
        .store
        .call(move |c| {
            let now = now_epoch();
            let filter = ActivityFilter { limit, ..Default::default() };
            let mut rows = Vec::new();
            for rec in activities::list(c, &t, &u, &filter, now)? {
                let a = rec.detail.activity;
                let streams = activity_streams::get(c, &t, &u, a.id, now)?;
                let route_svg =
                    streams.as_ref().and_then(|s| s.series.get("latlng")).and_then(|l| svg::route_svg(&track(l)));
                rows.push(RecentActivity {
                    id: a.id,
                    name: a.name,
                    sport_type: a.sport_type,
                    start_date_local: a.start_date_local,
                    distance_m: a.distance_m,
                    moving_time_s: a.moving_time_s,
                    total_elevation_gain_m: a.total_elevation_gain_m,
                    average_heartrate_bpm: a.average_heartrate_bpm,
                    route_svg,
                });
            }
            Ok(rows)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RecentActivities { activities: rows }))
}

/// Mounts the dashboard routes under `/api/dashboard`, with query errors as JSON.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/dashboard")
            .app_data(super::error::query_config())
            .service(weekly_svg)
            .service(fitness_svg)
            .service(recent),
    );
}

#[cfg(test)]
mod tests {
    use super::{DAYS, LIMIT, WEEKS, WIDTH, track};

    #[test]
    fn tracks_skip_malformed_points() {
        let series: Vec<serde_json::Value> =
            serde_json::from_str(r#"[[52.1, 4.2], null, [1], ["a", 2], [52.2, 4.3, 9], [52.3, 4.4]]"#).expect("json");
        assert_eq!(track(&series), vec![[52.1, 4.2], [52.3, 4.4]]);
    }

    /// The documented `minimum`/`maximum` of each query parameter equal the ranges checked.
    #[test]
    fn ranges_match_the_document() {
        let doc: serde_json::Value = serde_json::from_str(crate::http::openapi::document_json()).unwrap();
        for (path, name, (min, max)) in [
            ("/api/dashboard/weekly.svg", "weeks", WEEKS),
            ("/api/dashboard/weekly.svg", "width", WIDTH),
            ("/api/dashboard/fitness.svg", "days", DAYS),
            ("/api/dashboard/fitness.svg", "width", WIDTH),
            ("/api/dashboard/recent", "limit", LIMIT),
        ] {
            let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
            let p = params.iter().find(|p| p["name"] == name).unwrap();
            assert_eq!(p["schema"]["minimum"], min, "{path} {name}");
            assert_eq!(p["schema"]["maximum"], max, "{path} {name}");
        }
    }
}
