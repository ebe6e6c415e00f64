//! True totals of an activity, computed from its samples: what an importer should arrive at.
//!
//! Definitions (compare within these tolerances):
//! - `distance_m`: the last sample's cumulative distance. GPX carries no distance, so a GPX
//!   importer summing haversine steps lands within ~0.5 % of it.
//! - `elapsed_s`: last sample's `t` (exact). `moving_s`: seconds whose speed exceeds 0.5 m/s
//!   (importers with their own stop detection: within ~3 %).
//! - `elevation_gain_m`: sum of positive steps of the 0.2 m-quantised altitude, no smoothing (the
//!   terrain is smooth, so importers that smooth or use a 1 m hysteresis land within ~5 %).
//! - `avg_heart_rate`, `avg_power`, `avg_cadence`: mean over all samples that carry the value
//!   (stops included, as Strava's FIT session does), `max_*`: maximum; exact to ±1.

use crate::model::{Sample, Totals};

impl Totals {
    /// Computes the totals of `samples` (non-empty, 1 Hz); distance and elapsed time count from
    /// the first sample, so a lap's slice gives the lap's totals.
    pub fn from_samples(samples: &[Sample]) -> Totals {
        let first = samples.first().expect("an activity has samples");
        let last = samples.last().expect("an activity has samples");
        let (mut gain, mut loss) = (0.0, 0.0);
        for pair in samples.windows(2) {
            if let (Some(a), Some(b)) = (pair[0].altitude_m, pair[1].altitude_m) {
                if b > a {
                    gain += b - a;
                } else {
                    loss += a - b;
                }
            }
        }
        Totals {
            distance_m: ((last.distance_m - first.distance_m) * 100.0).round() / 100.0,
            elapsed_s: last.t - first.t,
            moving_s: samples.iter().skip(1).filter(|s| s.is_moving()).count() as u32,
            elevation_gain_m: gain,
            elevation_loss_m: loss,
            avg_heart_rate: mean(samples.iter().filter_map(|s| s.heart_rate.map(f64::from))),
            max_heart_rate: samples.iter().filter_map(|s| s.heart_rate).max(),
            avg_power: mean(samples.iter().filter_map(|s| s.power.map(f64::from))),
            max_power: samples.iter().filter_map(|s| s.power).max(),
            avg_cadence: mean(samples.iter().filter_map(|s| s.cadence.map(f64::from))),
            max_speed_mps: samples.iter().map(|s| s.speed_mps).fold(0.0, f64::max),
        }
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0u32), |(sum, n), v| (sum + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}
