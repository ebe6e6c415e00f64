//! Strava's view of a track: `pacer_files` computes the summary and streams, this rounds the
//! summary like Strava does. Seeded and uploaded activities both go through [`summarize`],
//! so a summary always agrees with its streams (rounded for output in `streams.rs`).

pub(crate) use pacer_files::{FileTotals, Point, Streams, Summary, TrackError};

pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

/// The summary (rounded like Strava's) and the unrounded streams of a track.
pub(crate) fn summarize(points: &[Point], totals: &FileTotals) -> Result<(Summary, Streams), TrackError> {
    let analysis = pacer_files::analyze(points, totals)?;
    Ok((strava_rounded(analysis.summary), analysis.streams))
}

/// Distances, elevations and averages to 0.1, speeds to 0.001, maxima of heart rate and power
/// to whole numbers.
fn strava_rounded(s: Summary) -> Summary {
    let one = |v: f64| round_to(v, 1);
    Summary {
        start: s.start,
        distance: one(s.distance),
        moving_time: s.moving_time,
        elapsed_time: s.elapsed_time,
        elevation_gain: one(s.elevation_gain),
        elev_high: s.elev_high.map(one),
        elev_low: s.elev_low.map(one),
        average_speed: round_to(s.average_speed, 3),
        max_speed: round_to(s.max_speed, 3),
        average_heartrate: s.average_heartrate.map(one),
        max_heartrate: s.max_heartrate.map(f64::round),
        average_watts: s.average_watts.map(one),
        max_watts: s.max_watts.map(f64::round),
        kilojoules: s.kilojoules.map(one),
        average_cadence: s.average_cadence.map(one),
        start_latlng: s.start_latlng,
        end_latlng: s.end_latlng,
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn summary_is_rounded_like_stravas() {
        // 0.001° of latitude ≈ 111.2 m; 10 segments of 30 s, then a 60 s stop.
        let mut pts: Vec<Point> = (0..=10)
            .map(|i| Point {
                time: DateTime::from_timestamp(1_700_000_000 + i * 30, 0),
                lat: Some(45.0 + 0.001 * i as f64),
                lon: Some(6.0),
                ele: Some(400.0 + i as f64),
                hr: Some(140.0 + i as f64),
                ..Point::default()
            })
            .collect();
        pts.push(Point { time: DateTime::from_timestamp(1_700_000_360, 0), ..pts[10].clone() });
        let (s, streams) = summarize(&pts, &FileTotals::default()).expect("valid track");
        assert!((s.distance - 1111.9).abs() < 0.5, "{}", s.distance);
        assert_eq!(s.distance, round_to(s.distance, 1));
        assert_eq!((s.elapsed_time, s.moving_time, s.elevation_gain), (360, 300, 10.0));
        assert_eq!(s.average_heartrate, Some(round_to((1595.0 + 150.0) / 12.0, 1)));
        assert_eq!(s.average_speed, round_to(s.average_speed, 3));
        assert!((s.average_speed - 1111.9 / 300.0).abs() < 0.01);
        assert_eq!(streams.len(), 12);
    }
}
