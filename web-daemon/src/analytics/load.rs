//! Training load: a load number per activity, and fitness (CTL), fatigue (ATL) and form (TSB)
//! as exponentially weighted daily averages.
//!
//! Per activity, the best method the data and the athlete's settings allow:
//! - **Power TSS** (FTP set, power recorded): `TSS = hours × IF² × 100`, `IF = NP / FTP`
//!   (normalized power; average power when NP is unknown).
//! - **Heart-rate TRIMP** (resting and maximum heart rate set, heart rate recorded; Banister):
//!   `TRIMP = minutes × r × 0.64 × e^(1.92 r)`, `r = (HRavg − HRrest) / (HRmax − HRrest)`
//!   clamped to 0–1.
//! - **Duration estimate** (otherwise): `50 × hours` (an hour at an easy–moderate effort).
//!
//! Daily load is the sum of the day's activity loads (local calendar day). With
//! `CTL₀ = ATL₀ = 0` on the first day: `CTL_d = CTL_{d−1} + (load_d − CTL_{d−1}) / 42`,
//! `ATL_d = ATL_{d−1} + (load_d − ATL_{d−1}) / 7`, `TSB_d = CTL_d − ATL_d`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use crate::store::athlete_settings::AthleteSettings;

/// Days of the fitness (chronic) average.
pub const CTL_DAYS: f64 = 42.0;
/// Days of the fatigue (acute) average.
pub const ATL_DAYS: f64 = 7.0;
/// Load per hour of the duration estimate.
pub const DURATION_LOAD_PER_HOUR: f64 = 50.0;

/// How an activity's load was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadMethod {
    /// Power-based training stress score (needs FTP and power).
    PowerTss,
    /// Heart-rate TRIMP (needs resting and maximum heart rate, and heart rate).
    HeartRateTrimp,
    /// 50 per hour of moving time.
    DurationEstimate,
}

/// What the load of one activity is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadInput {
    pub moving_time_s: f64,
    pub normalized_watts: Option<f64>,
    pub average_watts: Option<f64>,
    pub average_heartrate_bpm: Option<f64>,
}

/// One activity's load and its method.
pub fn activity_load(input: &LoadInput, settings: &AthleteSettings) -> (f64, LoadMethod) {
    let hours = input.moving_time_s.max(0.0) / 3600.0;
    let power = input.normalized_watts.or(input.average_watts).filter(|w| *w > 0.0);
    if let (Some(ftp), Some(np)) = (settings.ftp_watts.filter(|f| *f > 0.0), power) {
        let intensity = np / ftp;
        return (hours * intensity * intensity * 100.0, LoadMethod::PowerTss);
    }
    let hr = (settings.resting_heartrate_bpm, settings.max_heartrate_bpm, input.average_heartrate_bpm);
    if let (Some(rest), Some(max), Some(avg)) = hr
        && max > rest
        && avg > 0.0
    {
        let r = ((avg - rest) / (max - rest)).clamp(0.0, 1.0);
        return (hours * 60.0 * r * 0.64 * (1.92 * r).exp(), LoadMethod::HeartRateTrimp);
    }
    (hours * DURATION_LOAD_PER_HOUR, LoadMethod::DurationEstimate)
}

/// One day of the fitness series.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DayLoad {
    /// Local calendar day.
    pub date: NaiveDate,
    /// Sum of the day's activity loads.
    pub load: f64,
    /// Fitness: 42-day exponentially weighted average load.
    pub ctl: f64,
    /// Fatigue: 7-day exponentially weighted average load.
    pub atl: f64,
    /// Form: CTL − ATL.
    pub tsb: f64,
}

/// CTL/ATL/TSB for every day from the first day of `daily` (or `to` if earlier) through `to`.
pub fn fitness_series(daily: &BTreeMap<NaiveDate, f64>, to: NaiveDate) -> Vec<DayLoad> {
    let Some(first) = daily.keys().next().copied().filter(|d| *d <= to) else { return Vec::new() };
    let (mut ctl, mut atl) = (0.0, 0.0);
    let mut out = Vec::new();
    let mut day = first;
    while day <= to {
        let load = daily.get(&day).copied().unwrap_or(0.0);
        ctl += (load - ctl) / CTL_DAYS;
        atl += (load - atl) / ATL_DAYS;
        out.push(DayLoad { date: day, load, ctl, atl, tsb: ctl - atl });
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ftp: Option<f64>, rest: Option<f64>, max: Option<f64>) -> AthleteSettings {
        AthleteSettings { ftp_watts: ftp, resting_heartrate_bpm: rest, max_heartrate_bpm: max, ..Default::default() }
    }

    fn input(moving_s: f64, np: Option<f64>, hr: Option<f64>) -> LoadInput {
        LoadInput { moving_time_s: moving_s, normalized_watts: np, average_watts: None, average_heartrate_bpm: hr }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn power_tss_by_hand() {
        // One hour at FTP = 100; 90 min at IF 0.8 = 1.5 × 0.64 × 100 = 96.
        let (tss, m) = activity_load(&input(3600.0, Some(250.0), Some(150.0)), &settings(Some(250.0), None, None));
        assert!(close(tss, 100.0) && m == LoadMethod::PowerTss, "{tss}");
        let (tss, _) = activity_load(&input(5400.0, Some(200.0), None), &settings(Some(250.0), None, None));
        assert!(close(tss, 96.0), "{tss}");
    }

    #[test]
    fn heart_rate_trimp_by_hand() {
        // 60 min, rest 50, max 190, avg 148: r = 0.7 → 60 × 0.7 × 0.64 × e^1.344 = 103.0667…
        let (trimp, m) = activity_load(&input(3600.0, None, Some(148.0)), &settings(None, Some(50.0), Some(190.0)));
        let expected = 60.0 * 0.7 * 0.64 * (1.92f64 * 0.7).exp();
        assert!(close(trimp, expected) && m == LoadMethod::HeartRateTrimp, "{trimp}");
        assert!((trimp - 103.0667).abs() < 1e-3, "{trimp}");
    }

    #[test]
    fn duration_estimate_without_settings() {
        let (load, m) = activity_load(&input(5400.0, Some(250.0), Some(150.0)), &AthleteSettings::default());
        assert!(close(load, 75.0) && m == LoadMethod::DurationEstimate, "{load}");
    }

    #[test]
    fn fitness_fatigue_form_by_hand() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).expect("date");
        let daily = BTreeMap::from([(d(1), 100.0), (d(3), 42.0)]);
        let s = fitness_series(&daily, d(3));
        assert_eq!(s.len(), 3);
        // Day 1: CTL = 100/42, ATL = 100/7.
        assert!(close(s[0].ctl, 100.0 / 42.0) && close(s[0].atl, 100.0 / 7.0));
        assert!(close(s[0].tsb, 100.0 / 42.0 - 100.0 / 7.0));
        // Day 2 (rest): both decay.
        let ctl2 = 100.0 / 42.0 * (41.0 / 42.0);
        let atl2 = 100.0 / 7.0 * (6.0 / 7.0);
        assert!(close(s[1].ctl, ctl2) && close(s[1].atl, atl2) && s[1].load == 0.0);
        // Day 3: 42 in.
        assert!(close(s[2].ctl, ctl2 + (42.0 - ctl2) / 42.0));
        assert!(close(s[2].atl, atl2 + (42.0 - atl2) / 7.0));
        assert!(fitness_series(&daily, d(1) - chrono::Days::new(1)).is_empty());
    }
}
