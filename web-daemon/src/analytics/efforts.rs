//! Best efforts from an activity's full-resolution streams, computed once at import:
//! fastest time over a distance (two-pointer sliding window with linear interpolation at the
//! window's start), best average power over a duration, and normalized power.

/// Distances whose best times are kept (metres) and their names.
pub const DISTANCES: [(&str, f64); 5] =
    [("1k", 1_000.0), ("5k", 5_000.0), ("10k", 10_000.0), ("half_marathon", 21_097.5), ("marathon", 42_195.0)];

/// Durations whose best average power is kept (seconds) and their names.
pub const POWER_WINDOWS: [(&str, i64); 3] = [("5min", 300), ("20min", 1_200), ("60min", 3_600)];

/// The fastest time in seconds to cover `target_m` anywhere in the activity, from cumulative
/// `distance` (m) against `time` (s, ascending). `None` when the activity is shorter.
pub fn best_time_for_distance(time: &[i64], distance: &[f64], target_m: f64) -> Option<f64> {
    let n = time.len().min(distance.len());
    if n < 2 || distance[n - 1] - distance[0] < target_m {
        return None;
    }
    let mut best: Option<f64> = None;
    let mut start = 0;
    for end in 1..n {
        // Advance the start while the window still covers the target without it.
        while start + 1 < end && distance[end] - distance[start + 1] >= target_m {
            start += 1;
        }
        let covered = distance[end] - distance[start];
        if covered < target_m {
            continue;
        }
        // Interpolate where, between `start` and `start + 1`, exactly `target_m` remains.
        let excess = covered - target_m;
        let (d0, d1) = (distance[start], distance[start + 1]);
        let (t0, t1) = (time[start] as f64, time[start + 1] as f64);
        let begin = if d1 > d0 { t0 + (t1 - t0) * (excess / (d1 - d0)).min(1.0) } else { t0 };
        let seconds = time[end] as f64 - begin;
        if seconds > 0.0 && best.is_none_or(|b| seconds < b) {
            best = Some(seconds);
        }
    }
    best
}

/// Time-weighted mean of `values` over `time` (each sample holds until the next).
fn weighted(time: &[i64], values: &[f64], from: usize, to: usize) -> f64 {
    let mut sum = 0.0;
    for i in from..to {
        sum += values[i] * (time[i + 1] - time[i]) as f64;
    }
    let span = (time[to] - time[from]) as f64;
    if span > 0.0 { sum / span } else { 0.0 }
}

/// The best average power over any `window_s` seconds (time-weighted), or `None` when the
/// activity is shorter than the window.
pub fn best_average_power(time: &[i64], watts: &[f64], window_s: i64) -> Option<f64> {
    let n = time.len().min(watts.len());
    if n < 2 || time[n - 1] - time[0] < window_s {
        return None;
    }
    // Prefix sums of watts × dt.
    let mut prefix = vec![0.0; n];
    for i in 1..n {
        prefix[i] = prefix[i - 1] + watts[i - 1] * (time[i] - time[i - 1]) as f64;
    }
    let mut best: Option<f64> = None;
    let mut start = 0;
    for end in 1..n {
        while start + 1 < end && time[end] - time[start + 1] >= window_s {
            start += 1;
        }
        let span = time[end] - time[start];
        if span < window_s {
            continue;
        }
        let avg = (prefix[end] - prefix[start]) / span as f64;
        if best.is_none_or(|b| avg > b) {
            best = Some(avg);
        }
    }
    best
}

/// Normalized power: the fourth root of the mean of the fourth power of the 30-second rolling
/// average power (Coggan). `None` below 30 s of data.
pub fn normalized_power(time: &[i64], watts: &[f64]) -> Option<f64> {
    let n = time.len().min(watts.len());
    if n < 2 || time[n - 1] - time[0] < 30 {
        return None;
    }
    let mut sum4 = 0.0;
    let mut count = 0.0;
    let mut start = 0;
    for end in 1..n {
        while start + 1 < end && time[end] - time[start + 1] >= 30 {
            start += 1;
        }
        if time[end] - time[start] < 30 {
            continue;
        }
        let rolling = weighted(time, watts, start, end);
        sum4 += rolling.powi(4);
        count += 1.0;
    }
    (count > 0.0).then(|| (sum4 / count).powf(0.25))
}

/// The effort name for a distance (`time_5k`) or a power window (`power_20min`).
pub fn time_effort(name: &str) -> String {
    format!("time_{name}")
}

/// See [`time_effort`].
pub fn power_effort(name: &str) -> String {
    format!("power_{name}")
}

/// Every best effort of an activity's streams: for runs, times over [`DISTANCES`] (when it
/// covered them); for anything with power, average power over [`POWER_WINDOWS`].
pub fn of_streams(sport: &str, streams: &pacer_files::Streams) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let distances: &[(&str, f64)] = if pacer_files::RUN_SPORTS.contains(&sport) { &DISTANCES } else { &[] };
    for &(name, metres) in distances {
        if let Some(s) = best_time_for_distance(&streams.time, &streams.distance, metres) {
            out.push((time_effort(name), s));
        }
    }
    if let Some(watts) = &streams.watts {
        for (name, window) in POWER_WINDOWS {
            if let Some(w) = best_average_power(&streams.time, watts, window) {
                out.push((power_effort(name), w));
            }
        }
    }
    out
}

/// Normalized power of an activity's power stream, if it has one.
pub fn normalized_power_of(streams: &pacer_files::Streams) -> Option<f64> {
    normalized_power(&streams.time, streams.watts.as_deref()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_distance_time_interpolates_and_finds_the_fast_part() {
        // 0–1 000 m in 400 s (2.5 m/s), then 1 000 m in 200 s (5 m/s), sampled every 100 s.
        let time = [0, 100, 200, 300, 400, 500, 600];
        let distance = [0.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, 2000.0];
        assert_eq!(best_time_for_distance(&time, &distance, 1000.0), Some(200.0));
        // 1 250 m: the fast 1 000 m plus 250 m at 2.5 m/s before it = 200 + 100 s.
        assert_eq!(best_time_for_distance(&time, &distance, 1250.0), Some(300.0));
        assert_eq!(best_time_for_distance(&time, &distance, 2500.0), None);
        // Interpolation inside a sample: 500 m of the fast part = 100 s.
        assert_eq!(best_time_for_distance(&time, &distance, 500.0), Some(100.0));
    }

    #[test]
    fn best_power_and_normalized_power() {
        // 60 s at 100 W then 60 s at 300 W, 1 Hz.
        let time: Vec<i64> = (0..=120).collect();
        let watts: Vec<f64> = time.iter().map(|t| if *t < 60 { 100.0 } else { 300.0 }).collect();
        assert_eq!(best_average_power(&time, &watts, 60), Some(300.0));
        let mixed = best_average_power(&time, &watts, 120).expect("whole ride");
        assert!((mixed - 200.0).abs() < 1e-9, "{mixed}");
        assert_eq!(best_average_power(&time, &watts, 121), None);
        // Constant power: NP equals it.
        let steady = vec![250.0; 121];
        let np = normalized_power(&time, &steady).expect("np");
        assert!((np - 250.0).abs() < 1e-9, "{np}");
        // Variable power: NP above the mean.
        let np = normalized_power(&time, &watts).expect("np");
        assert!(np > 200.0 && np < 300.0, "{np}");
    }
}
