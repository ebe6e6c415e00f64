//! `get_activities`, `get_activity`, `get_activity_streams`.

use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::format;
use crate::mcp::output::{Json, ToolError};
use crate::mcp::params::{Parameters, TimeArg, Validate, invalid};
use crate::mcp::server::PacerMcp;
use crate::provider::{Activity, ActivityDetail, ActivityQuery, Streams};
use rmcp::ErrorData;

pub use crate::provider::STREAM_KEYS;

fn default_limit() -> u32 {
    10
}
fn default_page() -> u32 {
    1
}
fn default_max_points() -> u32 {
    500
}

/// Arguments of `get_activities`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetActivitiesParams {
    /// How many activities to return per page, 1–200.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 200))]
    limit: u32,
    /// Only activities that started before this time.
    before: Option<TimeArg>,
    /// Only activities that started after this time.
    after: Option<TimeArg>,
    /// Page number (1+), `limit` activities each.
    #[serde(default = "default_page")]
    #[schemars(range(min = 1))]
    page: u32,
    /// Sport type, e.g. `Run`, `Ride`, `TrailRun`, `Swim` (any case).
    sport_type: Option<String>,
    /// `next_cursor` of the previous page (instead of `page`).
    cursor: Option<String>,
}

/// The cursor's name of this list's order.
const CURSOR_ORDER: &str = "newest";

/// `get_activities` after validation.
pub struct ActivitiesRequest {
    query: ActivityQuery,
    sport_type: Option<String>,
    after_key: Option<(f64, i64)>,
}

impl Validate for GetActivitiesParams {
    type Output = ActivitiesRequest;
    fn validate(self) -> Result<ActivitiesRequest, ErrorData> {
        if !(1..=200).contains(&self.limit) {
            return Err(invalid("limit", "must be between 1 and 200"));
        }
        if self.page < 1 {
            return Err(invalid("page", "must be 1 or more"));
        }
        let before = self.before.map(|t| t.to_epoch("before")).transpose()?;
        let after = self.after.map(|t| t.to_epoch("after")).transpose()?;
        if let (Some(b), Some(a)) = (before, after)
            && a >= b
        {
            return Err(invalid("after", "must be earlier than before"));
        }
        let sport_type = self.sport_type.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let query = ActivityQuery { before, after, page: self.page, per_page: self.limit };
        let after_key = match self.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => Some(crate::mcp::cursor::decode(text, CURSOR_ORDER)?),
            None => None,
        };
        Ok(ActivitiesRequest { query, sport_type, after_key })
    }
}

/// One page of activities.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ActivityList {
    /// Activities, newest first.
    pub activities: Vec<Activity>,
    /// Number of activities returned.
    pub count: usize,
    /// The page returned.
    pub page: u32,
    /// Page size asked for (`limit`).
    pub per_page: u32,
    /// The next page to ask for when this page was full (more may exist), else null.
    pub next_page: Option<u32>,
    /// Pass as `cursor` for the next page (stable when activities are added); null on the last.
    pub next_cursor: Option<String>,
}

/// Arguments of `get_activity`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetActivityParams {
    /// The activity's id (`id` in `get_activities` results).
    activity_id: u64,
}

impl Validate for GetActivityParams {
    type Output = u64;
    fn validate(self) -> Result<u64, ErrorData> {
        Ok(self.activity_id)
    }
}

/// Arguments of `get_activity_streams`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetStreamsParams {
    /// The activity's id.
    activity_id: u64,
    /// Streams, e.g. `["heartrate", "watts"]` (of time, distance, latlng, altitude,
    /// velocity_smooth, heartrate, cadence, watts, temp, moving, grade_smooth); default all.
    keys: Option<Vec<String>>,
    /// Samples per stream, 2–10000 (LTTB: shape, first and last kept).
    #[serde(default = "default_max_points")]
    #[schemars(range(min = 2, max = 10000))]
    max_points: u32,
}

/// `get_activity_streams` after validation.
pub struct StreamsRequest {
    activity_id: u64,
    keys: Vec<String>,
    max_points: usize,
}

impl Validate for GetStreamsParams {
    type Output = StreamsRequest;
    fn validate(self) -> Result<StreamsRequest, ErrorData> {
        if !(2..=10_000).contains(&self.max_points) {
            return Err(invalid("max_points", "must be between 2 and 10000"));
        }
        let mut keys = Vec::new();
        for key in self.keys.unwrap_or_default() {
            let key = key.trim().to_ascii_lowercase();
            if !STREAM_KEYS.contains(&key.as_str()) {
                return Err(invalid("keys", format!("unknown stream '{key}' (known: {})", STREAM_KEYS.join(", "))));
            }
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            keys = STREAM_KEYS.iter().map(|k| (*k).to_owned()).collect();
        }
        let max_points = usize::try_from(self.max_points).unwrap_or(usize::MAX);
        Ok(StreamsRequest { activity_id: self.activity_id, keys, max_points })
    }
}

#[tool_router(router = activity_tools, vis = "pub(super)")]
impl PacerMcp {
    /// List the person's activities, newest first, one page at a time. Use `after`/`before`
    /// to pick a time range; then call get_activity or get_activity_streams with an `id`.
    #[tool(title = "List activities", annotations(read_only_hint = true, open_world_hint = true))]
    async fn get_activities(
        &self,
        Parameters(request, _): Parameters<GetActivitiesParams>,
    ) -> Result<Json<ActivityList>, ToolError> {
        let query = request.query;
        let activities = self.activities().list(query, request.sport_type, request.after_key).await;
        let mut activities = self.or_provider_error(activities).await?;
        let full_page = activities.len() >= usize::try_from(query.per_page).unwrap_or(usize::MAX);
        let budget = self.state().config.result_budget_bytes;
        let cut = crate::mcp::budget::fit_list(&mut activities, budget, |page| {
            crate::mcp::budget::size_of(&(page, "x".repeat(96)))
        });
        // A page cut to fit the budget continues by cursor only (its page number would skip).
        let more = full_page || cut;
        let next_cursor = activities.last().filter(|_| more).map(|last| {
            let start = chrono::DateTime::parse_from_rfc3339(&last.start_date).map_or(0, |t| t.timestamp());
            crate::mcp::cursor::encode(CURSOR_ORDER, start as f64, last.id)
        });
        let summary = match activities.first() {
            None => format!("No activities on page {}.", query.page),
            Some(newest) => format!(
                "{} {} on page {}, newest first; newest: {}.",
                activities.len(),
                if activities.len() == 1 { "activity" } else { "activities" },
                query.page,
                format::activity(newest)
            ),
        };
        let list = ActivityList {
            count: activities.len(),
            activities,
            page: query.page,
            per_page: query.per_page,
            next_page: (full_page && !cut && request.after_key.is_none()).then(|| query.page.saturating_add(1)),
            next_cursor,
        };
        Ok(Json::new(list, summary))
    }

    /// One activity in detail: the summary fields plus description, calories, device and gear.
    #[tool(title = "Get one activity", annotations(read_only_hint = true, open_world_hint = true))]
    async fn get_activity(
        &self,
        Parameters(activity_id, _): Parameters<GetActivityParams>,
    ) -> Result<Json<ActivityDetail>, ToolError> {
        let detail = self.activities().get(activity_id).await;
        let detail = self.or_provider_error(detail).await?;
        let a = &detail.activity;
        let summary = format!(
            "{}; elevation gain {:.0} m, started {}.",
            format::activity(a),
            a.total_elevation_gain_m,
            a.start_date_local
        );
        Ok(Json::new(detail, summary))
    }

    /// An activity's recorded time series (heart rate, power, cadence, altitude, GPS, ...),
    /// downsampled keeping their shape (LTTB) to at most `max_points`
    /// and to the result budget, with min/avg/max of each series. Ask for fewer keys or points
    /// when the result says it was cut.
    #[tool(title = "Get activity streams", annotations(read_only_hint = true, open_world_hint = true))]
    async fn get_activity_streams(
        &self,
        Parameters(request, _): Parameters<GetStreamsParams>,
    ) -> Result<Json<StreamsResult>, ToolError> {
        let (id, keys) = (request.activity_id, &request.keys);
        let streams = self.activities().streams(id, keys).await;
        let streams = self.or_provider_error(streams).await?;
        let budget = self.state().config.result_budget_bytes;
        let result = StreamsResult::fit(streams, request.max_points, budget);
        let names: Vec<&str> = result.series.keys().map(String::as_str).collect();
        let summary = format!(
            "Streams of activity {id}: {} — {} of {} samples each.{}",
            if names.is_empty() { "none recorded".to_owned() } else { names.join(", ") },
            result.returned_points,
            result.original_points,
            result.cut.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
        );
        Ok(Json::new(result, summary))
    }
}

/// min/avg/max of a numeric series.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SeriesStats {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

/// `get_activity_streams`' answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StreamsResult {
    /// The activity the streams belong to.
    pub activity_id: u64,
    /// Samples recorded (or stored) per series.
    pub original_points: usize,
    /// Samples returned per series.
    pub returned_points: usize,
    /// Series by name (`time` s, `distance` m, `latlng` [lat, lng], `altitude` m, `heartrate`
    /// bpm, `watts`, `cadence`, `velocity_smooth` m/s, `temp` °C, `grade_smooth` %, `moving`).
    pub series: std::collections::BTreeMap<String, Vec<serde_json::Value>>,
    /// min/avg/max of every numeric series over all samples (not only those returned).
    pub stats: std::collections::BTreeMap<String, SeriesStats>,
    /// What was cut to fit the result budget and how to get more, when anything was.
    pub cut: Option<String>,
}

impl StreamsResult {
    /// Downsamples `streams` (LTTB) to `max_points` and then to what fits `budget`.
    fn fit(streams: Streams, max_points: usize, budget: usize) -> Self {
        let mut stats = streams
            .series
            .iter()
            .filter_map(|(k, v)| {
                let nums: Vec<f64> = v.iter().filter_map(serde_json::Value::as_f64).collect();
                if nums.is_empty() || k == "time" {
                    return None;
                }
                let (min, max) = nums.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
                let avg = nums.iter().sum::<f64>() / nums.len() as f64;
                let r = |x: f64| (x * 100.0).round() / 100.0;
                Some((k.clone(), SeriesStats { min: r(min), avg: r(avg), max: r(max) }))
            })
            .collect();
        let len = streams.series.values().map(Vec::len).max().unwrap_or(0);
        let original_points = streams.original_points.max(len);
        let mut target = max_points.min(len);
        let mut cut = None;
        loop {
            let indices = crate::activities::record::shape_keeping_indices(&streams.series, target);
            let series = crate::activities::record::select(&streams.series, &indices);
            let returned_points = series.values().map(Vec::len).max().unwrap_or(0);
            let result = StreamsResult {
                activity_id: streams.activity_id,
                original_points,
                returned_points,
                series,
                stats,
                cut: cut.clone(),
            };
            let size = crate::mcp::budget::size_of(&result) + crate::mcp::budget::ENVELOPE_BYTES;
            if size <= budget || target <= 2 {
                return result;
            }
            // Scale down by the overshoot (with a margin), keeping at least 2 points.
            let scaled = (target as f64 * budget as f64 / size as f64 * 0.9) as usize;
            target = scaled.clamp(2, target - 1);
            cut = Some(format!(
                "Cut to {target} samples to fit the {budget}-byte result budget: ask for fewer keys, or a \
                 smaller max_points, for more detail per series."
            ));
            stats = result.stats;
        }
    }
}
