//! `/api/v3` routes: athlete, activity list and detail, streams (bearer authentication:
//! [`super::request::Auth`]).
//! Stats are in [`super::stats`], uploads in [`super::uploads`].

use std::collections::HashMap;
use std::time::Instant;

use actix_web::dev::HttpServiceFactory;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use pacer_files::{StreamKey, Streams};
use serde_json::{Map, Value, json};

use super::activity::Activity;
use super::error::Fault;
use super::request::{Auth, path_id, query};
use super::streams::stream_data;
use super::{Shared, limits, stats, uploads};

pub(crate) fn scope(path: &str, data: web::Data<Shared>) -> impl HttpServiceFactory + 'static {
    let gate_data = data.clone();
    web::scope(path)
        .app_data(data)
        .wrap(from_fn(move |req, next| limits::gate(gate_data.clone(), req, next)))
        .route("/athlete", web::get().to(athlete))
        .route("/athlete/activities", web::get().to(list_activities))
        .route("/activities/{id}", web::get().to(activity))
        .route("/activities/{id}/streams", web::get().to(streams))
        .route("/activities/{id}/streams/{keys}", web::get().to(streams))
        .route("/athletes/{id}/stats", web::get().to(stats::stats))
        .route("/uploads", web::post().to(uploads::create))
        .route("/uploads/{id}", web::get().to(uploads::status))
        .default_service(web::to(|| async { Err::<HttpResponse, Fault>(Fault::not_found("Resource")) }))
}

fn int_param(q: &HashMap<String, String>, key: &str) -> Result<Option<i64>, Fault> {
    match q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| Some(v.floor() as i64))
            .ok_or_else(|| Fault::bad_request("Application", key, "invalid")),
    }
}

async fn athlete(auth: Auth, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    let state = shared.state();
    let athlete = state.athlete(auth.athlete_id()).ok_or_else(|| Fault::not_found("Athlete"))?;
    Ok(HttpResponse::Ok().json(athlete.detailed_json()))
}

/// `GET /athlete/activities?before&after&page&per_page`: newest first; per_page defaults to 30
/// and is capped at 200; page and per_page below 1 are rejected.
async fn list_activities(req: HttpRequest, auth: Auth, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    auth.require_activity_read()?;
    let q = query(&req);
    let before = int_param(&q, "before")?;
    let after = int_param(&q, "after")?;
    let page = int_param(&q, "page")?.unwrap_or(1);
    let per_page = int_param(&q, "per_page")?.unwrap_or(30);
    if page < 1 {
        return Err(Fault::bad_request("Application", "page", "invalid"));
    }
    if per_page < 1 {
        return Err(Fault::bad_request("Application", "per_page", "invalid"));
    }
    let per_page = per_page.min(200) as usize;
    let skip = usize::try_from(page - 1).unwrap_or(usize::MAX).saturating_mul(per_page);
    let now = Instant::now();
    let state = shared.state();
    let mut own: Vec<&Activity> = state
        .activities
        .values()
        .filter(|a| a.athlete_id == auth.athlete_id() && a.is_visible(now))
        .filter(|a| before.is_none_or(|b| a.summary.start.timestamp() < b))
        .filter(|a| after.is_none_or(|t| a.summary.start.timestamp() > t))
        .collect();
    own.sort_by(|a, b| b.summary.start.cmp(&a.summary.start).then(b.id.cmp(&a.id)));
    let body: Vec<Value> = own.into_iter().skip(skip).take(per_page).map(Activity::summary_json).collect();
    tracing::debug!(athlete_id = auth.athlete_id(), count = body.len(), "sandbox: list activities");
    Ok(HttpResponse::Ok().json(body))
}

/// The token athlete's visible activity `id`, or 404.
pub(crate) fn own_activity(shared: &Shared, auth: &Auth, id: u64) -> Result<Activity, Fault> {
    let state = shared.state();
    state
        .activities
        .get(&id)
        .filter(|a| a.athlete_id == auth.athlete_id() && a.is_visible(Instant::now()))
        .cloned()
        .ok_or_else(|| Fault::not_found("Activity"))
}

async fn activity(req: HttpRequest, auth: Auth, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    auth.require_activity_read()?;
    let id = path_id(&req, "Activity")?;
    Ok(HttpResponse::Ok().json(own_activity(&shared, &auth, id)?.detailed_json()))
}

/// `GET /activities/{id}/streams?keys=…&key_by_type=true&series_type&resolution` (also the
/// older `/streams/{keys}` form). `distance` and `time` are always included.
async fn streams(req: HttpRequest, auth: Auth, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    auth.require_activity_read()?;
    let id = path_id(&req, "Activity")?;
    let activity = own_activity(&shared, &auth, id)?;
    let streams = activity.streams().ok_or_else(|| Fault::not_found("Activity"))?;
    let q = query(&req);
    let keys_param = req.match_info().get("keys").map(str::to_owned).or_else(|| q.get("keys").cloned());
    let requested: Vec<&str> = keys_param.as_deref().map_or_else(Vec::new, |k| k.split(',').map(str::trim).collect());
    let key_by_type = q.get("key_by_type").is_some_and(|v| v == "true");
    let series_type = match q.get("series_type").map(String::as_str) {
        None | Some("") | Some("distance") => "distance",
        Some("time") => "time",
        Some(_) => return Err(Fault::bad_request("Application", "series_type", "invalid")),
    };
    let (resolution, max_points) = match q.get("resolution").map(String::as_str) {
        None | Some("") => ("high", usize::MAX),
        Some("low") => ("low", 100),
        Some("medium") => ("medium", 1000),
        Some("high") => ("high", 10_000),
        Some(_) => return Err(Fault::bad_request("Application", "resolution", "invalid")),
    };
    Ok(HttpResponse::Ok().json(streams_json(&streams, &requested, key_by_type, series_type, resolution, max_points)))
}

fn streams_json(
    streams: &Streams,
    requested: &[&str],
    key_by_type: bool,
    series_type: &str,
    resolution: &str,
    max_points: usize,
) -> Value {
    let size = streams.len();
    let step = size.div_ceil(max_points.max(1)).max(1);
    let mut by_type = Map::new();
    let mut list = Vec::new();
    for key in StreamKey::ALL {
        let name = key.as_str();
        let wanted = requested.is_empty() || requested.contains(&name) || name == "distance" || name == "time";
        let Some(data) = wanted.then(|| stream_data(streams, key, step)).flatten() else {
            continue;
        };
        let mut entry =
            json!({"data": data, "series_type": series_type, "original_size": size, "resolution": resolution});
        if key_by_type {
            by_type.insert(name.to_owned(), entry);
        } else {
            entry["type"] = json!(name);
            list.push(entry);
        }
    }
    if key_by_type { Value::Object(by_type) } else { Value::Array(list) }
}
