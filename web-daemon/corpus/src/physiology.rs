//! The athlete: how effort becomes pace, power, speed, cadence and a lagging, drifting heart rate.
//!
//! Effort is a fraction of threshold (1.0 = lactate threshold / FTP). Ranges every moving sample
//! respects are the `*_RANGE` constants below; tests check them.

use std::ops::RangeInclusive;

/// Run pace range in seconds per km (4:00–6:30 min/km).
pub const RUN_PACE_RANGE: RangeInclusive<f64> = 240.0..=390.0;
/// Heart-rate range in bpm.
pub const HEART_RATE_RANGE: RangeInclusive<u8> = 110..=190;
/// Ride power range in watts (FTP 250 W).
pub const POWER_RANGE: RangeInclusive<u16> = 120..=400;
/// Ride cadence range in rpm.
pub const RIDE_CADENCE_RANGE: RangeInclusive<u8> = 80..=95;
/// Run cadence range in strides per minute (FIT convention; steps/min is twice this).
pub const RUN_CADENCE_RANGE: RangeInclusive<u8> = 85..=95;
/// Ride speed range in m/s while moving.
pub const RIDE_SPEED_RANGE: RangeInclusive<f64> = 4.0..=16.0;
/// Pool swim speed range in m/s while moving (1:40–2:30 per 100 m).
pub const SWIM_SPEED_RANGE: RangeInclusive<f64> = 0.66..=1.0;

/// Functional threshold power in watts.
pub const FTP_W: f64 = 250.0;
const RIDER_KG: f64 = 82.0;

/// Run pace in s/km for an effort on flat ground, then corrected for grade and fitness.
/// `fitness` is 0 at the start of the year and 1 at the race.
pub fn run_pace(effort: f64, grade: f64, fitness: f64) -> f64 {
    const TABLE: [(f64, f64); 6] =
        [(0.6, 372.0), (0.72, 338.0), (0.8, 308.0), (0.92, 272.0), (1.0, 258.0), (1.08, 247.0)];
    let flat = interpolate(&TABLE, effort);
    let hill = if grade > 0.0 { 1.0 + 3.5 * grade } else { 1.0 + 1.5 * grade };
    (flat * hill * (1.03 - 0.03 * fitness)).clamp(*RUN_PACE_RANGE.start() + 1.0, *RUN_PACE_RANGE.end() - 1.0)
}

/// Target power for an effort: steady pressure, a little more on climbs.
pub fn ride_power(effort: f64, grade: f64, noise: f64) -> f64 {
    let power = FTP_W * effort * (1.0 + 3.0 * grade.max(-0.05)) * (1.0 + noise);
    power.clamp(f64::from(*POWER_RANGE.start()) + 2.0, f64::from(*POWER_RANGE.end()) - 5.0)
}

/// Road speed in m/s at `power` W on `grade`, from the usual rolling + air + gravity balance.
pub fn ride_speed(power: f64, grade: f64) -> f64 {
    const CRR: f64 = 0.0045;
    const CDA_RHO_HALF: f64 = 0.5 * 0.38 * 1.2;
    let resist = |v: f64| (RIDER_KG * 9.81 * (CRR + grade) + CDA_RHO_HALF * v * v) * v;
    let (mut lo, mut hi) = (0.5, 25.0);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if resist(mid) > power {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (0.5 * (lo + hi)).clamp(*RIDE_SPEED_RANGE.start() + 0.1, *RIDE_SPEED_RANGE.end() - 0.1)
}

/// Cadence (FIT convention) for an effort.
pub fn cadence(run: bool, effort: f64, noise: f64) -> u8 {
    let (value, range) = if run {
        (80.5 + 11.0 * effort + noise, RUN_CADENCE_RANGE)
    } else {
        (79.0 + 9.0 * effort + 2.0 * noise, RIDE_CADENCE_RANGE)
    };
    (value.round() as u8).clamp(*range.start(), *range.end())
}

/// Which kind of heart response: rides sit lower than runs at the same relative effort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartResponse {
    /// Running.
    Run,
    /// Cycling.
    Ride,
    /// Swimming.
    Swim,
}

/// Heart rate as a first-order lag towards an effort-dependent target, plus cardiac drift.
#[derive(Clone, Debug)]
pub struct Heart {
    response: HeartResponse,
    bpm: f64,
    /// Extra bpm per hour of exercise (warmth, hydration).
    drift_per_hour: f64,
}

impl Heart {
    /// A heart at the start of an activity; `drift_per_hour` is usually 3–8 bpm.
    pub fn new(response: HeartResponse, drift_per_hour: f64) -> Heart {
        Heart { response, bpm: 100.0, drift_per_hour }
    }

    /// Advances one second at `effort` (0 while stopped), `t` seconds into the activity.
    pub fn step(&mut self, effort: f64, t: u32, noise: f64) -> u8 {
        let target = match self.response {
            HeartResponse::Run => 60.0 + 110.0 * effort,
            HeartResponse::Ride => 58.0 + 102.0 * effort,
            HeartResponse::Swim => 62.0 + 98.0 * effort,
        } + self.drift_per_hour * (f64::from(t) / 3600.0).min(2.5);
        let target = if effort == 0.0 { 100.0 } else { target };
        let tau = if target > self.bpm { 22.0 } else { 38.0 };
        self.bpm += (target - self.bpm) / tau;
        let bpm = (self.bpm + noise).round();
        (bpm as u8).clamp(*HEART_RATE_RANGE.start(), *HEART_RATE_RANGE.end())
    }
}

fn interpolate(table: &[(f64, f64)], x: f64) -> f64 {
    let first = table[0];
    let last = table[table.len() - 1];
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    let i = table.partition_point(|&(tx, _)| tx <= x);
    let ((x0, y0), (x1, y1)) = (table[i - 1], table[i]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_and_speeds_are_plausible() {
        assert!((330.0..350.0).contains(&run_pace(0.72, 0.0, 0.0)));
        assert!((240.0..260.0).contains(&run_pace(1.08, 0.0, 1.0)));
        let v = ride_speed(180.0, 0.0);
        assert!((8.0..9.5).contains(&v), "{v}");
        assert!(ride_speed(250.0, 0.06) < 4.5);
    }

    #[test]
    fn heart_rate_lags_towards_its_target() {
        let mut heart = Heart::new(HeartResponse::Run, 5.0);
        let early = heart.step(1.0, 0, 0.0);
        let later = (1..300).map(|t| heart.step(1.0, t, 0.0)).last().unwrap();
        assert!(early < 120 && (165..=175).contains(&later), "{early} {later}");
    }
}
