//! Track points → activity summary and Strava streams. Seeded and uploaded activities both go
//! through [`summarize`], so a summary always agrees with its streams.

use chrono::{DateTime, Utc};

use super::streams::Streams;

/// A segment slower than this (m/s) counts as stopped for moving time.
const MOVING_SPEED: f64 = 0.5;

/// One sample of a recorded activity.
#[derive(Debug, Clone, Default)]
pub(crate) struct Point {
    pub(crate) time: Option<DateTime<Utc>>,
    pub(crate) lat: Option<f64>,
    pub(crate) lon: Option<f64>,
    pub(crate) ele: Option<f64>,
    pub(crate) hr: Option<f64>,
    pub(crate) cadence: Option<f64>,
    pub(crate) watts: Option<f64>,
    /// Cumulative distance in metres, when the file records it.
    pub(crate) dist: Option<f64>,
}

/// Totals a file states itself (FIT session, TCX lap); they win over computed values.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileTotals {
    pub(crate) distance: Option<f64>,
    pub(crate) elapsed_s: Option<f64>,
    pub(crate) moving_s: Option<f64>,
    pub(crate) ascent: Option<f64>,
}

/// Summary numbers of an activity, already rounded like Strava's.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub(crate) start: DateTime<Utc>,
    pub(crate) distance: f64,
    pub(crate) moving_time: i64,
    pub(crate) elapsed_time: i64,
    pub(crate) elevation_gain: f64,
    pub(crate) elev_high: Option<f64>,
    pub(crate) elev_low: Option<f64>,
    pub(crate) average_speed: f64,
    pub(crate) max_speed: f64,
    pub(crate) average_heartrate: Option<f64>,
    pub(crate) max_heartrate: Option<f64>,
    pub(crate) average_watts: Option<f64>,
    pub(crate) max_watts: Option<f64>,
    pub(crate) kilojoules: Option<f64>,
    pub(crate) average_cadence: Option<f64>,
    pub(crate) start_latlng: Option<[f64; 2]>,
    pub(crate) end_latlng: Option<[f64; 2]>,
}

/// Why a track cannot become an activity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TrackError {
    #[error("Time information is missing from your file.")]
    NoTime,
    #[error("The file contains no track points.")]
    NoPoints,
}

pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

/// Great-circle distance in metres.
pub(crate) fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (lat1, lat2) = (a[0].to_radians(), b[0].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[1] - a[1]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Fills gaps with the previous known value (leading gaps with the first known one);
/// `None` when no value is known at all.
fn filled(values: impl Iterator<Item = Option<f64>>) -> Option<Vec<f64>> {
    let raw: Vec<Option<f64>> = values.collect();
    let first = raw.iter().flatten().next().copied()?;
    let mut last = first;
    Some(
        raw.into_iter()
            .map(|v| {
                last = v.unwrap_or(last);
                last
            })
            .collect(),
    )
}

fn mean_max(values: impl Iterator<Item = Option<f64>>) -> Option<(f64, f64)> {
    let (mut sum, mut count, mut max) = (0.0, 0usize, f64::MIN);
    for v in values.flatten() {
        sum += v;
        count += 1;
        max = max.max(v);
    }
    (count > 0).then(|| (sum / count as f64, max))
}

fn ints(values: Option<Vec<f64>>) -> Option<Vec<i64>> {
    values.map(|v| v.into_iter().map(|x| x.round() as i64).collect())
}

/// Builds the summary and streams of a track (points are sorted by time first).
pub(crate) fn summarize(points: &[Point], totals: &FileTotals) -> Result<(Summary, Streams), TrackError> {
    let mut timed: Vec<(DateTime<Utc>, &Point)> = points.iter().filter_map(|p| p.time.map(|t| (t, p))).collect();
    if timed.is_empty() {
        return Err(if points.is_empty() { TrackError::NoPoints } else { TrackError::NoTime });
    }
    timed.sort_by_key(|(t, _)| *t);
    let start = timed[0].0;
    let pts: Vec<&Point> = timed.iter().map(|(_, p)| *p).collect();
    let time: Vec<i64> = timed.iter().map(|(t, _)| (*t - start).num_seconds()).collect();
    let latlng: Option<Vec<[f64; 2]>> = {
        let pos = |p: &&Point| p.lat.zip(p.lon);
        let lat = filled(pts.iter().map(|p| pos(p).map(|(la, _)| la)));
        let lon = filled(pts.iter().map(|p| pos(p).map(|(_, lo)| lo)));
        lat.zip(lon).map(|(la, lo)| la.into_iter().zip(lo).map(|(a, b)| [a, b]).collect())
    };
    let distance = cumulative_distance(&pts, latlng.as_deref());
    let altitude = filled(pts.iter().map(|p| p.ele));
    let n = time.len();

    let mut velocity = vec![0.0; n];
    let mut moving = vec![false; n];
    let mut grade = vec![0.0; n];
    let stationary_kind = distance.last().copied().unwrap_or(0.0) <= 0.0;
    let mut moving_s = 0i64;
    for i in 1..n {
        let dt = (time[i] - time[i - 1]) as f64;
        let dd = distance[i] - distance[i - 1];
        moving[i] = stationary_kind || (dt > 0.0 && dd / dt >= MOVING_SPEED);
        if moving[i] {
            moving_s += time[i] - time[i - 1];
        }
        let j = i.saturating_sub(2);
        let (wdt, wdd) = ((time[i] - time[j]) as f64, distance[i] - distance[j]);
        velocity[i] = if wdt > 0.0 { round_to(wdd / wdt, 3) } else { velocity[i - 1] };
        if let Some(alt) = &altitude {
            grade[i] = if wdd >= 1.0 { round_to(100.0 * (alt[i] - alt[j]) / wdd, 1) } else { grade[i - 1] };
        }
    }

    let elapsed_time = totals.elapsed_s.map_or(time[n - 1], |s| s.round() as i64);
    let moving_time = totals.moving_s.map_or(moving_s, |s| s.round() as i64).min(elapsed_time.max(0));
    let total_distance = totals.distance.unwrap_or(distance[n - 1]);
    let computed_gain = altitude.as_ref().map_or(0.0, |alt| alt.windows(2).map(|w| (w[1] - w[0]).max(0.0)).sum());
    let hr = mean_max(pts.iter().map(|p| p.hr));
    let watts = mean_max(pts.iter().map(|p| p.watts));
    let cadence = mean_max(pts.iter().map(|p| p.cadence));
    let summary = Summary {
        start,
        distance: round_to(total_distance, 1),
        moving_time,
        elapsed_time,
        elevation_gain: round_to(totals.ascent.unwrap_or(computed_gain), 1),
        elev_high: altitude.as_ref().map(|a| round_to(a.iter().copied().fold(f64::MIN, f64::max), 1)),
        elev_low: altitude.as_ref().map(|a| round_to(a.iter().copied().fold(f64::MAX, f64::min), 1)),
        average_speed: if moving_time > 0 { round_to(total_distance / moving_time as f64, 3) } else { 0.0 },
        max_speed: round_to(velocity.iter().copied().fold(0.0, f64::max), 3),
        average_heartrate: hr.map(|(avg, _)| round_to(avg, 1)),
        max_heartrate: hr.map(|(_, max)| max.round()),
        average_watts: watts.map(|(avg, _)| round_to(avg, 1)),
        max_watts: watts.map(|(_, max)| max.round()),
        kilojoules: watts.map(|(avg, _)| round_to(avg * moving_time as f64 / 1000.0, 1)),
        average_cadence: cadence.map(|(avg, _)| round_to(avg, 1)),
        start_latlng: latlng.as_ref().and_then(|l| l.first().copied()),
        end_latlng: latlng.as_ref().and_then(|l| l.last().copied()),
    };
    let streams = Streams {
        time,
        distance: distance.into_iter().map(|d| round_to(d, 1)).collect(),
        latlng: latlng.map(|l| l.into_iter().map(|[a, b]| [round_to(a, 6), round_to(b, 6)]).collect()),
        altitude: altitude.map(|a| a.into_iter().map(|x| round_to(x, 1)).collect()),
        heartrate: ints(filled(pts.iter().map(|p| p.hr))),
        watts: ints(filled(pts.iter().map(|p| p.watts))),
        cadence: ints(filled(pts.iter().map(|p| p.cadence))),
        velocity_smooth: velocity,
        moving,
        grade_smooth: grade,
    };
    Ok((summary, streams))
}

/// Recorded cumulative distance when present (kept monotonic), else summed from positions.
fn cumulative_distance(pts: &[&Point], latlng: Option<&[[f64; 2]]>) -> Vec<f64> {
    if pts.iter().any(|p| p.dist.is_some()) {
        let mut last = 0.0f64;
        return pts
            .iter()
            .map(|p| {
                last = last.max(p.dist.unwrap_or(last));
                last
            })
            .collect();
    }
    let Some(latlng) = latlng else {
        return vec![0.0; pts.len()];
    };
    let mut total = 0.0;
    let mut out = Vec::with_capacity(pts.len());
    for (i, pos) in latlng.iter().enumerate() {
        if i > 0 {
            total += haversine(latlng[i - 1], *pos);
        }
        out.push(total);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: i64, lat: f64, ele: f64, hr: f64) -> Point {
        Point {
            time: DateTime::from_timestamp(1_700_000_000 + t, 0),
            lat: Some(lat),
            lon: Some(6.0),
            ele: Some(ele),
            hr: Some(hr),
            ..Point::default()
        }
    }

    #[test]
    fn summary_from_positions() {
        // 0.001° of latitude ≈ 111.2 m; 10 segments of 30 s, then a 60 s stop.
        let mut pts: Vec<Point> =
            (0..=10).map(|i| point(i * 30, 45.0 + 0.001 * i as f64, 400.0 + i as f64, 140.0 + i as f64)).collect();
        pts.push(point(360, 45.010, 410.0, 150.0));
        let (s, streams) = summarize(&pts, &FileTotals::default()).expect("valid track");
        assert!((s.distance - 1111.9).abs() < 0.5, "distance {}", s.distance);
        assert_eq!(s.elapsed_time, 360);
        assert_eq!(s.moving_time, 300);
        assert_eq!(s.elevation_gain, 10.0);
        assert_eq!(s.average_heartrate, Some(round_to((1595.0 + 150.0) / 12.0, 1)));
        assert_eq!(s.max_heartrate, Some(150.0));
        assert_eq!(streams.len(), 12);
        assert_eq!(streams.moving.iter().filter(|m| **m).count(), 10);
        assert!((s.average_speed - 1111.9 / 300.0).abs() < 0.01);
    }

    #[test]
    fn untimed_track_is_rejected() {
        let pts = vec![Point { lat: Some(1.0), lon: Some(1.0), ..Point::default() }];
        assert_eq!(summarize(&pts, &FileTotals::default()).err(), Some(TrackError::NoTime));
        assert_eq!(summarize(&[], &FileTotals::default()).err(), Some(TrackError::NoPoints));
    }
}
