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
    /// Only activities that started before this time: ISO-8601 (`2026-11-25T00:00:00Z`,
    /// `2026-11-25T08:00:00+01:00`, `2026-11-25`) or epoch seconds.
    before: Option<TimeArg>,
    /// Only activities that started after this time: ISO-8601 or epoch seconds.
    after: Option<TimeArg>,
    /// Page number, 1 or more; each page holds `limit` activities.
    #[serde(default = "default_page")]
    #[schemars(range(min = 1))]
    page: u32,
    /// Only activities of this sport type, e.g. `Run`, `Ride`, `TrailRun`, `Swim`
    /// (case-insensitive).
    sport_type: Option<String>,
}

/// `get_activities` after validation.
pub struct ActivitiesRequest {
    query: ActivityQuery,
    sport_type: Option<String>,
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
        Ok(ActivitiesRequest { query, sport_type })
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
    /// Streams to return, e.g. `["heartrate", "watts"]`: any of `time`, `distance`, `latlng`,
    /// `altitude`, `velocity_smooth`, `heartrate`, `cadence`, `watts`, `temp`, `moving`,
    /// `grade_smooth`. Default: all. Only recorded streams come back; `time` always does.
    keys: Option<Vec<String>>,
    /// At most this many samples per stream, 2–10000; evenly spaced, first and last kept.
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
        let activities = self.activities().list(query, request.sport_type).await;
        let activities = self.or_provider_error(activities).await?;
        let full_page = activities.len() >= usize::try_from(query.per_page).unwrap_or(usize::MAX);
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
            next_page: full_page.then(|| query.page.saturating_add(1)),
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
    /// aligned by sample index and downsampled to at most `max_points` samples.
    #[tool(title = "Get activity streams", annotations(read_only_hint = true, open_world_hint = true))]
    async fn get_activity_streams(
        &self,
        Parameters(request, _): Parameters<GetStreamsParams>,
    ) -> Result<Json<Streams>, ToolError> {
        let (id, keys) = (request.activity_id, &request.keys);
        let streams = self.activities().streams(id, keys).await;
        let streams = self.or_provider_error(streams).await?;
        let streams = streams.downsample(request.max_points);
        let names: Vec<&str> = streams.series.keys().map(String::as_str).collect();
        let summary = format!(
            "Streams of activity {id}: {} — {} of {} samples each.",
            if names.is_empty() { "none recorded".to_owned() } else { names.join(", ") },
            streams.returned_points,
            streams.original_points
        );
        Ok(Json::new(streams, summary))
    }
}
