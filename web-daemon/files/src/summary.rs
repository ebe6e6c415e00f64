//! Track points → activity summary and per-point streams, computed together so a summary
//! always agrees with its streams. Values are unrounded; presentation (Strava's rounding)
//! belongs to the caller.

use chrono::{DateTime, Utc};

use crate::error::TrackError;
use crate::parsed::{FileTotals, ParsedFile, Point};
use crate::streams::Streams;

/// A segment slower than this (m/s) counts as stopped for moving time.
const MOVING_SPEED: f64 = 0.5;
/// Grade is only computed over at least this many metres.
const MIN_GRADE_RUN_M: f64 = 1.0;

/// Summary numbers of an activity (unrounded; times in whole seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Time of the first timed point.
    pub start: DateTime<Utc>,
    /// Metres (the file's total when stated).
    pub distance: f64,
    /// Seconds moving (the file's timer time when stated).
    pub moving_time: i64,
    /// Seconds from start to end (the file's elapsed time when stated).
    pub elapsed_time: i64,
    /// Metres climbed (the file's ascent when stated).
    pub elevation_gain: f64,
    /// Highest elevation, metres.
    pub elev_high: Option<f64>,
    /// Lowest elevation, metres.
    pub elev_low: Option<f64>,
    /// distance / moving time, m/s.
    pub average_speed: f64,
    /// Highest smoothed speed, m/s.
    pub max_speed: f64,
    /// Mean heart rate.
    pub average_heartrate: Option<f64>,
    /// Highest heart rate.
    pub max_heartrate: Option<f64>,
    /// Mean power.
    pub average_watts: Option<f64>,
    /// Highest power.
    pub max_watts: Option<f64>,
    /// Mechanical work: mean power × moving time, kJ.
    pub kilojoules: Option<f64>,
    /// Mean cadence.
    pub average_cadence: Option<f64>,
    /// First position `[lat, lon]`.
    pub start_latlng: Option<[f64; 2]>,
    /// Last position `[lat, lon]`.
    pub end_latlng: Option<[f64; 2]>,
}

/// A track's summary and streams.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The summary.
    pub summary: Summary,
    /// One value per timed point, sorted by time.
    pub streams: Streams,
}

/// The summary of a parsed file.
pub fn summarize(file: &ParsedFile) -> Result<Summary, TrackError> {
    analyze(&file.points, &file.totals).map(|a| a.summary)
}

/// The streams of a parsed file.
pub fn streams(file: &ParsedFile) -> Result<Streams, TrackError> {
    analyze(&file.points, &file.totals).map(|a| a.streams)
}

/// Great-circle distance in metres between two `[lat, lon]` positions.
pub fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
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

/// Builds the summary and streams of a track (points are sorted by time first; untimed
/// points are dropped).
pub fn analyze(points: &[Point], totals: &FileTotals) -> Result<Analysis, TrackError> {
    let mut timed: Vec<(DateTime<Utc>, &Point)> = points.iter().filter_map(|p| p.time.map(|t| (t, p))).collect();
    let Some(start) = timed.iter().map(|(t, _)| *t).min() else {
        return Err(if points.is_empty() { TrackError::NoPoints } else { TrackError::NoTime });
    };
    timed.sort_by_key(|(t, _)| *t);
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
        velocity[i] = if wdt > 0.0 { wdd / wdt } else { velocity[i - 1] };
        if let Some(alt) = &altitude {
            grade[i] = if wdd >= MIN_GRADE_RUN_M { 100.0 * (alt[i] - alt[j]) / wdd } else { grade[i - 1] };
        }
    }

    let last_time = time.last().copied().unwrap_or(0);
    let elapsed_time = totals.elapsed_s.map_or(last_time, |s| s.round() as i64);
    let moving_time = totals.moving_s.map_or(moving_s, |s| s.round() as i64).min(elapsed_time.max(0));
    let total_distance = totals.distance.unwrap_or_else(|| distance.last().copied().unwrap_or(0.0));
    let computed_gain = altitude.as_ref().map_or(0.0, |alt| alt.windows(2).map(|w| (w[1] - w[0]).max(0.0)).sum());
    let hr = mean_max(pts.iter().map(|p| p.hr));
    let watts = mean_max(pts.iter().map(|p| p.watts));
    let cadence = mean_max(pts.iter().map(|p| p.cadence));
    let summary = Summary {
        start,
        distance: total_distance,
        moving_time,
        elapsed_time,
        elevation_gain: totals.ascent.unwrap_or(computed_gain),
        elev_high: altitude.as_ref().map(|a| a.iter().copied().fold(f64::MIN, f64::max)),
        elev_low: altitude.as_ref().map(|a| a.iter().copied().fold(f64::MAX, f64::min)),
        average_speed: if moving_time > 0 { total_distance / moving_time as f64 } else { 0.0 },
        max_speed: velocity.iter().copied().fold(0.0, f64::max),
        average_heartrate: hr.map(|(avg, _)| avg),
        max_heartrate: hr.map(|(_, max)| max),
        average_watts: watts.map(|(avg, _)| avg),
        max_watts: watts.map(|(_, max)| max),
        kilojoules: watts.map(|(avg, _)| avg * moving_time as f64 / 1000.0),
        average_cadence: cadence.map(|(avg, _)| avg),
        start_latlng: latlng.as_ref().and_then(|l| l.first().copied()),
        end_latlng: latlng.as_ref().and_then(|l| l.last().copied()),
    };
    let streams = Streams {
        time,
        distance,
        latlng,
        altitude,
        velocity_smooth: velocity,
        heartrate: filled(pts.iter().map(|p| p.hr)),
        cadence: filled(pts.iter().map(|p| p.cadence)),
        watts: filled(pts.iter().map(|p| p.watts)),
        temp: filled(pts.iter().map(|p| p.temp)),
        moving,
        grade_smooth: grade,
    };
    Ok(Analysis { summary, streams })
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
    let mut out = Vec::with_capacity(latlng.len());
    let mut previous: Option<[f64; 2]> = None;
    for pos in latlng {
        if let Some(prev) = previous {
            total += haversine(prev, *pos);
        }
        previous = Some(*pos);
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
        let Analysis { summary: s, streams } = analyze(&pts, &FileTotals::default()).expect("valid track");
        assert!((s.distance - 1111.9).abs() < 0.5, "distance {}", s.distance);
        assert_eq!((s.elapsed_time, s.moving_time), (360, 300));
        assert!((s.elevation_gain - 10.0).abs() < 1e-9);
        assert!((s.average_heartrate.unwrap_or_default() - (1595.0 + 150.0) / 12.0).abs() < 1e-9);
        assert_eq!(s.max_heartrate, Some(150.0));
        assert_eq!(streams.len(), 12);
        assert_eq!(streams.moving.iter().filter(|m| **m).count(), 10);
        assert!((s.average_speed - 1111.9 / 300.0).abs() < 0.01);
        assert_eq!(streams.temp, None);
    }

    #[test]
    fn untimed_track_is_rejected() {
        let pts = vec![Point { lat: Some(1.0), lon: Some(1.0), ..Point::default() }];
        assert_eq!(analyze(&pts, &FileTotals::default()).err(), Some(TrackError::NoTime));
        assert_eq!(analyze(&[], &FileTotals::default()).err(), Some(TrackError::NoPoints));
    }
}
