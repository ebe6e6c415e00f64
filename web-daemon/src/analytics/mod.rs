//! Answers over the local store (imported files and cached API data), no provider needed:
//! training load and fitness ([`load`]), best efforts ([`efforts`], computed at import), weekly
//! summaries and personal records. The MCP tools in `mcp/tools/analytics.rs` present them.

pub mod efforts;
pub mod load;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::auth::Principal;
use crate::state::AppState;
use crate::store::analytics::{self as queries, Largest, LoadRow, RecordRow};
use crate::store::athlete_settings::{self, AthleteSettings};
use crate::store::{StoreError, now_epoch};
use load::{DayLoad, LoadInput, LoadMethod};

/// Days of history before a requested window that the fitness average warms up on.
pub const WARM_UP_DAYS: i64 = 180;

/// The local calendar day of a row: the athlete's time zone when set, else the activity's own
/// UTC offset.
fn local_date(row: &LoadRow, zone: Option<&str>) -> NaiveDate {
    let start = DateTime::<Utc>::from_timestamp(row.start_epoch_s, 0).unwrap_or_default();
    let offset = zone.and_then(|z| pacer_files::offset_in_zone(z, start)).unwrap_or(row.utc_offset_s);
    (start + chrono::Duration::seconds(i64::from(offset))).date_naive()
}

/// What the load formula needs of a row.
fn load_input(row: &LoadRow) -> LoadInput {
    LoadInput {
        moving_time_s: row.moving_time_s,
        normalized_watts: row.normalized_watts,
        average_watts: row.average_watts,
        average_heartrate_bpm: row.average_heartrate_bpm,
    }
}

/// One person's analytics.
pub struct Analytics<'a> {
    state: &'a AppState,
    principal: &'a Principal,
}

impl<'a> Analytics<'a> {
    /// Analytics of `principal`'s store.
    pub fn new(state: &'a AppState, principal: &'a Principal) -> Self {
        Self { state, principal }
    }

    /// The person's settings.
    pub async fn settings(&self) -> Result<AthleteSettings, StoreError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        self.state.store.call(move |c| athlete_settings::get(c, &t, &u)).await
    }

    /// Replaces the person's settings.
    pub async fn set_settings(&self, settings: AthleteSettings) -> Result<(), StoreError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        self.state.store.call(move |c| athlete_settings::put(c, &t, &u, &settings)).await
    }

    async fn rows(&self, from: i64, to: i64) -> Result<Vec<LoadRow>, StoreError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        self.state.store.call(move |c| queries::load_rows(c, &t, &u, (from, to), now_epoch())).await
    }

    /// Daily load, CTL, ATL and TSB for the last `days` days (warmed up on earlier history).
    pub async fn training_load(&self, days: u32) -> Result<TrainingLoad, StoreError> {
        let settings = self.settings().await?;
        let now = now_epoch();
        let from = now - (i64::from(days) + WARM_UP_DAYS) * 86_400;
        let rows = self.rows(from, now + 1).await?;
        let zone = settings.time_zone.as_deref();
        let mut daily: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        let mut methods: BTreeMap<LoadMethod, u32> = BTreeMap::new();
        for row in &rows {
            let input = load_input(row);
            let (value, method) = load::activity_load(&input, &settings);
            *daily.entry(local_date(row, zone)).or_default() += value;
            *methods.entry(method).or_default() += 1;
        }
        let today = DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default().date_naive();
        let all = load::fitness_series(&daily, today);
        let keep = usize::try_from(days).unwrap_or(usize::MAX);
        let series: Vec<DayLoad> = all.iter().skip(all.len().saturating_sub(keep)).map(round_day).collect();
        Ok(TrainingLoad {
            today: series.last().cloned(),
            activities: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            methods: methods.into_iter().map(|(method, activities)| MethodCount { method, activities }).collect(),
            series,
        })
    }

    /// Per-sport totals of the last `weeks` ISO weeks (Monday first), newest last.
    pub async fn weekly_summary(&self, weeks: u32) -> Result<WeeklySummary, StoreError> {
        let settings = self.settings().await?;
        let now = now_epoch();
        let today = DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default().date_naive();
        let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
        let first = monday - chrono::Days::new(7 * u64::from(weeks.saturating_sub(1)));
        let from = first.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp()) - 86_400;
        let rows = self.rows(from, now + 1).await?;
        let zone = settings.time_zone.as_deref();
        let mut by_week: BTreeMap<NaiveDate, HashMap<String, SportWeek>> = BTreeMap::new();
        let mut week = first;
        while week <= monday {
            by_week.insert(week, HashMap::new());
            week = week + chrono::Days::new(7);
        }
        for row in &rows {
            let date = local_date(row, zone);
            let start = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
            let Some(sports) = by_week.get_mut(&start) else { continue };
            let input = load_input(row);
            let (value, _) = load::activity_load(&input, &settings);
            sports.entry(row.sport_type.clone()).or_default().add(row, value);
        }
        let mut totals = SportWeek::default();
        let weeks: Vec<Week> = by_week
            .into_iter()
            .map(|(start, sports)| {
                let mut total = SportWeek::default();
                let mut sports: Vec<(String, SportWeek)> = sports.into_iter().collect();
                sports.sort_by(|a, b| a.0.cmp(&b.0));
                for (_, s) in &sports {
                    total.merge(s);
                }
                totals.merge(&total);
                let iso = start.iso_week();
                Week {
                    week: format!("{}-W{:02}", iso.year(), iso.week()),
                    start_date: start,
                    sports: sports.into_iter().map(|(sport, s)| SportTotals { sport, totals: s.rounded() }).collect(),
                    total: total.rounded(),
                }
            })
            .collect();
        Ok(WeeklySummary { weeks, totals: totals.rounded() })
    }

    /// Best efforts and extremes among activities started in `[from, to)`.
    pub async fn personal_records(&self, from: i64, to: i64) -> Result<PersonalRecords, StoreError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        let now = now_epoch();
        self.state
            .store
            .call(move |c| {
                let window = (from, to);
                let mut best_efforts = Vec::new();
                for (name, metres) in efforts::DISTANCES {
                    let effort = efforts::time_effort(name);
                    if let Some(r) = queries::best_effort(c, &t, &u, &effort, true, window, now)? {
                        best_efforts.push(Record::new(effort, "s", Some(metres), r));
                    }
                }
                for (name, _) in efforts::POWER_WINDOWS {
                    let effort = efforts::power_effort(name);
                    if let Some(r) = queries::best_effort(c, &t, &u, &effort, false, window, now)? {
                        best_efforts.push(Record::new(effort, "W", None, r));
                    }
                }
                let (runs, rides) = (pacer_files::RUN_SPORTS, pacer_files::RIDE_SPORTS);
                let longest = |sports: &[&str], name: &str| -> Result<Option<Record>, StoreError> {
                    Ok(queries::largest(c, &t, &u, Largest::Distance, sports, window, now)?
                        .map(|r| Record::new(name.to_owned(), "m", None, r)))
                };
                Ok(PersonalRecords {
                    best_efforts,
                    longest_run: longest(&runs, "longest_run")?,
                    longest_ride: longest(&rides, "longest_ride")?,
                    biggest_climb: queries::largest(c, &t, &u, Largest::Climb, &[], window, now)?
                        .map(|r| Record::new("biggest_climb".to_owned(), "m", None, r)),
                })
            })
            .await
    }
}

fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round_day(d: &DayLoad) -> DayLoad {
    DayLoad { date: d.date, load: r1(d.load), ctl: r1(d.ctl), atl: r1(d.atl), tsb: r1(d.tsb) }
}

/// How many activities each load method was used for.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MethodCount {
    pub method: LoadMethod,
    pub activities: u32,
}

/// `get_training_load`'s answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TrainingLoad {
    /// Today's values (null with no activities at all).
    pub today: Option<DayLoad>,
    /// Activities counted (including the warm-up history).
    pub activities: u32,
    /// Which load method was used how often (`power_tss` needs FTP, `heart_rate_trimp` resting
    /// and maximum heart rate: set them with set_athlete_settings).
    pub methods: Vec<MethodCount>,
    /// One entry per day, oldest first.
    pub series: Vec<DayLoad>,
}

/// Totals of one sport (or all) over a week.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SportWeek {
    pub count: u32,
    pub distance_m: f64,
    pub moving_time_s: f64,
    pub elevation_gain_m: f64,
    /// Training load (see get_training_load for the method).
    pub load: f64,
}

impl SportWeek {
    fn add(&mut self, row: &LoadRow, load: f64) {
        self.count += 1;
        self.distance_m += row.distance_m;
        self.moving_time_s += row.moving_time_s;
        self.elevation_gain_m += row.elevation_gain_m;
        self.load += load;
    }

    fn merge(&mut self, other: &SportWeek) {
        self.count += other.count;
        self.distance_m += other.distance_m;
        self.moving_time_s += other.moving_time_s;
        self.elevation_gain_m += other.elevation_gain_m;
        self.load += other.load;
    }

    fn rounded(&self) -> SportWeek {
        SportWeek {
            count: self.count,
            distance_m: self.distance_m.round(),
            moving_time_s: self.moving_time_s.round(),
            elevation_gain_m: self.elevation_gain_m.round(),
            load: r1(self.load),
        }
    }
}

/// One sport's totals in a week.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SportTotals {
    pub sport: String,
    #[serde(flatten)]
    pub totals: SportWeek,
}

/// One ISO week.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Week {
    /// ISO week, e.g. `2026-W48`.
    pub week: String,
    /// Its Monday (local date).
    pub start_date: NaiveDate,
    pub sports: Vec<SportTotals>,
    pub total: SportWeek,
}

/// `get_weekly_summary`'s answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WeeklySummary {
    /// Oldest first; weeks without activities are included (zeros).
    pub weeks: Vec<Week>,
    /// All weeks together.
    pub totals: SportWeek,
}

/// One record and where it was set.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Record {
    /// e.g. `time_5k`, `power_20min`, `longest_run`.
    pub record: String,
    pub value: f64,
    /// `s`, `W` or `m`.
    pub unit: &'static str,
    /// For distance efforts: the pace in seconds per kilometre.
    pub pace_s_per_km: Option<f64>,
    pub activity_id: u64,
    pub activity_name: String,
    pub sport_type: String,
    /// Local start date of that activity.
    pub date: NaiveDate,
}

impl Record {
    fn new(record: String, unit: &'static str, metres: Option<f64>, r: RecordRow) -> Self {
        let start = DateTime::<Utc>::from_timestamp(r.start_epoch_s + i64::from(r.utc_offset_s), 0).unwrap_or_default();
        Record {
            record,
            value: r1(r.value),
            unit,
            pace_s_per_km: metres.map(|m| r1(r.value / (m / 1000.0))),
            activity_id: r.activity_id,
            activity_name: r.name,
            sport_type: r.sport_type,
            date: start.date_naive(),
        }
    }
}

/// `get_personal_records`' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PersonalRecords {
    /// Fastest 1k/5k/10k/half/marathon and best 5/20/60-minute power.
    pub best_efforts: Vec<Record>,
    pub longest_run: Option<Record>,
    pub longest_ride: Option<Record>,
    pub biggest_climb: Option<Record>,
}
