//! Answers over the local store (own files and cached API data; no provider connection
//! needed): `search_activities`, `get_training_load`, `get_weekly_summary`,
//! `get_personal_records`, `get_athlete_settings`, `set_athlete_settings`.

use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::format;
use crate::analytics::{Analytics, PersonalRecords, TrainingLoad, WeeklySummary};
use crate::mcp::output::{Json, ToolError};
use crate::mcp::params::{Parameters, TimeArg, Validate, invalid};
use crate::mcp::server::PacerMcp;
use crate::mcp::{budget, errors};
use crate::provider::Activity;
use crate::store::activities::{self, SearchFilter, SearchSort};
use crate::store::athlete_settings::AthleteSettings;
use crate::store::{StoreError, now_epoch};

fn store_error(e: StoreError) -> ToolError {
    ToolError::Rpc(errors::internal("internal error: the local activity store is unavailable", e))
}

fn default_search_limit() -> u32 {
    20
}

/// Arguments of `search_activities`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Started after.
    after: Option<TimeArg>,
    /// Started before.
    before: Option<TimeArg>,
    /// e.g. `Run`, `Ride`, `Swim`.
    sport_type: Option<String>,
    min_distance_m: Option<f64>,
    max_distance_m: Option<f64>,
    min_moving_time_s: Option<i64>,
    max_moving_time_s: Option<i64>,
    /// Text in the name (case-insensitive).
    name_contains: Option<String>,
    /// Default `newest`.
    sort: Option<SearchSort>,
    /// Per page, 1–50.
    #[serde(default = "default_search_limit")]
    #[schemars(range(min = 1, max = 50))]
    limit: u32,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The cursor's name of a search order.
fn sort_name(sort: SearchSort) -> &'static str {
    match sort {
        SearchSort::Newest => "newest",
        SearchSort::Oldest => "oldest",
        SearchSort::Longest => "longest",
        SearchSort::LongestTime => "longest_time",
    }
}

/// A page as serialized, for measuring it against the budget.
#[derive(Serialize)]
struct SearchPage<'a> {
    activities: Vec<&'a Activity>,
    next_cursor: Option<String>,
}

impl Validate for SearchParams {
    type Output = SearchFilter;
    fn validate(self) -> Result<SearchFilter, ErrorData> {
        if !(1..=50).contains(&self.limit) {
            return Err(invalid("limit", "must be between 1 and 50"));
        }
        let sort = self.sort.unwrap_or(SearchSort::Newest);
        let after_key = match self.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(crate::mcp::cursor::decode(text, sort_name(sort))?),
        };
        let text = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let name_contains = text(self.name_contains);
        if name_contains.as_ref().is_some_and(|n| n.chars().count() > 100) {
            return Err(invalid("name_contains", "at most 100 characters"));
        }
        Ok(SearchFilter {
            after: self.after.map(|t| t.to_epoch("after")).transpose()?,
            before: self.before.map(|t| t.to_epoch("before")).transpose()?,
            sport_type: text(self.sport_type),
            min_distance_m: self.min_distance_m,
            max_distance_m: self.max_distance_m,
            min_moving_time_s: self.min_moving_time_s,
            max_moving_time_s: self.max_moving_time_s,
            name_contains,
            sort,
            limit: self.limit,
            after_key,
        })
    }
}

/// One page of search results.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResults {
    /// Matching activities in the requested order.
    pub activities: Vec<Activity>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn default_days() -> u32 {
    42
}
fn default_weeks() -> u32 {
    8
}

/// Arguments of `get_training_load`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadParams {
    /// Days of daily values to return, 1–120 (today last).
    #[serde(default = "default_days")]
    #[schemars(range(min = 1, max = 120))]
    days: u32,
}

impl Validate for LoadParams {
    type Output = u32;
    fn validate(self) -> Result<u32, ErrorData> {
        if (1..=120).contains(&self.days) { Ok(self.days) } else { Err(invalid("days", "must be between 1 and 120")) }
    }
}

/// Arguments of `get_weekly_summary`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeksParams {
    /// ISO weeks to summarise, 1–26 (this week last).
    #[serde(default = "default_weeks")]
    #[schemars(range(min = 1, max = 26))]
    weeks: u32,
}

impl Validate for WeeksParams {
    type Output = u32;
    fn validate(self) -> Result<u32, ErrorData> {
        if (1..=26).contains(&self.weeks) { Ok(self.weeks) } else { Err(invalid("weeks", "must be between 1 and 26")) }
    }
}

/// Arguments of `get_personal_records`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordsParams {
    /// Only after this time (e.g. `2026-01-01`: this year).
    after: Option<TimeArg>,
    /// Only activities before this time.
    before: Option<TimeArg>,
}

impl Validate for RecordsParams {
    type Output = (i64, i64);
    fn validate(self) -> Result<(i64, i64), ErrorData> {
        let from = self.after.map(|t| t.to_epoch("after")).transpose()?.unwrap_or(i64::MIN);
        let to = self.before.map(|t| t.to_epoch("before")).transpose()?.unwrap_or(i64::MAX);
        Ok((from, to))
    }
}

/// Arguments of `set_athlete_settings`: the values to change (absent ones stay).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsParams {
    /// IANA time zone, e.g. `Europe/Amsterdam`.
    time_zone: Option<String>,
    /// 50–600.
    ftp_watts: Option<f64>,
    /// 25–120.
    resting_heartrate_bpm: Option<f64>,
    /// 120–230.
    max_heartrate_bpm: Option<f64>,
    /// 150–600.
    threshold_pace_s_per_km: Option<f64>,
}

fn in_range(field: &str, value: Option<f64>, (lo, hi): (f64, f64)) -> Result<Option<f64>, ErrorData> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) => Err(invalid(field, format!("must be between {lo} and {hi}"))),
        other => Ok(other),
    }
}

impl Validate for SettingsParams {
    type Output = SettingsParams;
    fn validate(self) -> Result<SettingsParams, ErrorData> {
        if let Some(zone) = &self.time_zone
            && pacer_files::offset_in_zone(zone, chrono::Utc::now()).is_none()
        {
            return Err(invalid("time_zone", format!("'{zone}' is not an IANA time zone like Europe/Amsterdam")));
        }
        Ok(SettingsParams {
            ftp_watts: in_range("ftp_watts", self.ftp_watts, (50.0, 600.0))?,
            resting_heartrate_bpm: in_range("resting_heartrate_bpm", self.resting_heartrate_bpm, (25.0, 120.0))?,
            max_heartrate_bpm: in_range("max_heartrate_bpm", self.max_heartrate_bpm, (120.0, 230.0))?,
            threshold_pace_s_per_km: in_range("threshold_pace_s_per_km", self.threshold_pace_s_per_km, (150.0, 600.0))?,
            time_zone: self.time_zone,
        })
    }
}

fn settings_summary(s: &AthleteSettings) -> String {
    let show = |v: Option<f64>, unit: &str| v.map_or_else(|| "not set".to_owned(), |v| format!("{v:.0} {unit}"));
    format!(
        "Time zone {}, FTP {}, resting HR {}, max HR {}, threshold pace {}.",
        s.time_zone.as_deref().unwrap_or("not set"),
        show(s.ftp_watts, "W"),
        show(s.resting_heartrate_bpm, "bpm"),
        show(s.max_heartrate_bpm, "bpm"),
        show(s.threshold_pace_s_per_km, "s/km"),
    )
}

#[tool_router(router = analytics_tools, vis = "pub(super)")]
impl PacerMcp {
    /// Find activities by date range, sport, distance, duration or name, sorted, one page at a
    /// time (pass `next_cursor` back as `cursor`). Use for questions like "my runs over 15 km".
    #[tool(title = "Search activities", annotations(read_only_hint = true, open_world_hint = false))]
    async fn search_activities(
        &self,
        Parameters(filter, _): Parameters<SearchParams>,
    ) -> Result<Json<SearchResults>, ToolError> {
        let p = self.principal();
        let (t, u) = (p.tenant_id.clone(), p.user_id.clone());
        let mut probe = filter.clone();
        probe.limit = filter.limit.saturating_add(1);
        let sort = filter.sort;
        let mut rows = self
            .state()
            .store
            .call(move |c| activities::search(c, &t, &u, &probe, now_epoch()))
            .await
            .map_err(store_error)?;
        let mut more = rows.len() > usize::try_from(filter.limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
        let budget = self.state().config.result_budget_bytes;
        more |= budget::fit_list(&mut rows, budget, |page| {
            let activities: Vec<&Activity> = page.iter().map(|r| &r.detail.activity).collect();
            budget::size_of(&SearchPage { activities, next_cursor: Some("x".repeat(64)) })
        });
        let next_cursor = match rows.last() {
            Some(last) if more => {
                Some(crate::mcp::cursor::encode(sort_name(sort), sort.value_of(last), last.detail.activity.id))
            }
            _ => None,
        };
        let activities: Vec<Activity> = rows.into_iter().map(|r| r.detail.activity).collect();
        let summary = match activities.first() {
            None => "No matching activities.".to_owned(),
            Some(first) => format!(
                "{} matching activities on this page{}; first: {}.",
                activities.len(),
                if next_cursor.is_some() { " (more: pass next_cursor)" } else { "" },
                format::activity(first)
            ),
        };
        Ok(Json::new(SearchResults { activities, next_cursor }, summary))
    }

    /// Fitness (CTL, 42-day), fatigue (ATL, 7-day) and form (TSB = CTL − ATL) today and per
    /// day, from each activity's load (power TSS with FTP, else heart-rate TRIMP with resting and
    /// max HR, else a duration estimate). Use for "am I fitter than last month?".
    #[tool(title = "Training load", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_training_load(
        &self,
        Parameters(days, _): Parameters<LoadParams>,
    ) -> Result<Json<TrainingLoad>, ToolError> {
        let load = Analytics::new(self.state(), self.principal()).training_load(days).await.map_err(store_error)?;
        let summary = match (&load.today, load.series.first()) {
            (Some(today), Some(first)) => format!(
                "Today ({}): fitness {:.1}, fatigue {:.1}, form {:+.1}. {} days ago fitness was {:.1}. Methods: {}.",
                today.date,
                today.ctl,
                today.atl,
                today.tsb,
                load.series.len().saturating_sub(1),
                first.ctl,
                load.methods.iter().map(|m| format!("{:?} ×{}", m.method, m.activities)).collect::<Vec<_>>().join(", ")
            ),
            _ => "No activities stored yet: import files (import_activities) or connect Strava.".to_owned(),
        };
        Ok(Json::new(load, summary))
    }

    /// Distance, moving time, elevation and load per sport for each ISO week (local time),
    /// with totals. Use for "how much did I ride per week before the race?".
    #[tool(title = "Weekly summary", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_weekly_summary(
        &self,
        Parameters(weeks, _): Parameters<WeeksParams>,
    ) -> Result<Json<WeeklySummary>, ToolError> {
        let summary_data =
            Analytics::new(self.state(), self.principal()).weekly_summary(weeks).await.map_err(store_error)?;
        let t = &summary_data.totals;
        let summary = format!(
            "{} weeks: {} activities, {:.1} km, {:.1} h moving, {:.0} m climbed. This week: {} activities, {:.1} km.",
            summary_data.weeks.len(),
            t.count,
            t.distance_m / 1000.0,
            t.moving_time_s / 3600.0,
            t.elevation_gain_m,
            summary_data.weeks.last().map_or(0, |w| w.total.count),
            summary_data.weeks.last().map_or(0.0, |w| w.total.distance_m / 1000.0),
        );
        Ok(Json::new(summary_data, summary))
    }

    /// Personal records: fastest 1 km, 5 km, 10 km, half marathon and marathon, best 5/20/60-minute
    /// power, longest run and ride, biggest climb, each with its activity. Use for "what's my best
    /// 10k this year?" (pass `after`).
    #[tool(title = "Personal records", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_personal_records(
        &self,
        Parameters((from, to), _): Parameters<RecordsParams>,
    ) -> Result<Json<PersonalRecords>, ToolError> {
        let records =
            Analytics::new(self.state(), self.principal()).personal_records(from, to).await.map_err(store_error)?;
        let lines: Vec<String> = records
            .best_efforts
            .iter()
            .map(|r| match r.unit {
                "s" => format!("{} {} ({})", r.record, format::duration(r.value as u64), r.date),
                _ => format!("{} {:.0} {} ({})", r.record, r.value, r.unit, r.date),
            })
            .collect();
        let summary =
            if lines.is_empty() { "No records yet.".to_owned() } else { format!("Records: {}.", lines.join("; ")) };
        Ok(Json::new(records, summary))
    }

    /// The athlete's settings used by analysis: time zone, FTP, resting and max heart rate,
    /// threshold pace.
    #[tool(title = "Athlete settings", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_athlete_settings(&self) -> Result<Json<AthleteSettings>, ToolError> {
        let settings = Analytics::new(self.state(), self.principal()).settings().await.map_err(store_error)?;
        let summary = settings_summary(&settings);
        Ok(Json::new(settings, summary))
    }

    /// Change the athlete's settings (only the values given): time zone, FTP, resting and max
    /// heart rate, threshold pace. Training load uses them.
    #[tool(
        title = "Change athlete settings",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn set_athlete_settings(
        &self,
        Parameters(change, _): Parameters<SettingsParams>,
    ) -> Result<Json<AthleteSettings>, ToolError> {
        let analytics = Analytics::new(self.state(), self.principal());
        let mut settings = analytics.settings().await.map_err(store_error)?;
        settings.time_zone = change.time_zone.or(settings.time_zone);
        settings.ftp_watts = change.ftp_watts.or(settings.ftp_watts);
        settings.resting_heartrate_bpm = change.resting_heartrate_bpm.or(settings.resting_heartrate_bpm);
        settings.max_heartrate_bpm = change.max_heartrate_bpm.or(settings.max_heartrate_bpm);
        settings.threshold_pace_s_per_km = change.threshold_pace_s_per_km.or(settings.threshold_pace_s_per_km);
        analytics.set_settings(settings.clone()).await.map_err(store_error)?;
        let summary = format!("Saved. {}", settings_summary(&settings));
        Ok(Json::new(settings, summary))
    }
}
