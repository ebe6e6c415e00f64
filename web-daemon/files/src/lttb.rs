//! Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the points that
//! best preserve a series' visual shape, and applies one choice of points to every stream.

use crate::streams::{StreamKey, Streams};

/// Indices (ascending) of at most `threshold` points of the series `(xs[i], ys[i])` chosen by
/// LTTB; the first and last points are always kept. With `threshold` ≥ the length every index
/// is returned; with `threshold` < 3 only the ends.
///
/// Gaps: a point whose x or y is NaN is never chosen over a finite one. A bucket holding
/// only gaps keeps its first point (so the gap stays visible), and a gap-only look-ahead
/// bucket is treated as flat at the last chosen finite value.
pub fn lttb(xs: &[f64], ys: &[f64], threshold: usize) -> Vec<usize> {
    let n = xs.len().min(ys.len());
    if threshold >= n {
        return (0..n).collect();
    }
    if threshold < 3 {
        return if n == 0 { Vec::new() } else { vec![0, n - 1] };
    }
    let finite = |i: usize| xs[i].is_finite() && ys[i].is_finite();
    // Interior points are split into `threshold - 2` buckets of `every` points.
    let every = (n - 2) as f64 / (threshold - 2) as f64;
    let bound = |b: usize| ((b as f64 * every).floor() as usize + 1).min(n - 1);
    let mut chosen = Vec::with_capacity(threshold);
    chosen.push(0);
    // The last chosen point with finite coordinates (the triangle's first corner).
    let mut anchor = finite(0).then_some((xs[0], ys[0]));
    for bucket in 0..threshold - 2 {
        let (start, end) = (bound(bucket), bound(bucket + 1));
        let (next_start, next_end) = (end, if bucket + 2 == threshold - 1 { n } else { bound(bucket + 2) });
        let look_ahead: Vec<usize> = (next_start..next_end).filter(|i| finite(*i)).collect();
        let mean_x = if look_ahead.is_empty() {
            (next_start..next_end).map(|i| xs[i]).filter(|x| x.is_finite()).sum::<f64>()
                / (next_end - next_start).max(1) as f64
        } else {
            look_ahead.iter().map(|i| xs[*i]).sum::<f64>() / look_ahead.len() as f64
        };
        let mean_y = if look_ahead.is_empty() {
            anchor.map_or(0.0, |(_, y)| y)
        } else {
            look_ahead.iter().map(|i| ys[*i]).sum::<f64>() / look_ahead.len() as f64
        };
        let best = (start..end).filter(|i| finite(*i)).max_by(|a, b| {
            let area = |i: usize| match anchor {
                Some((ax, ay)) => ((ax - mean_x) * (ys[i] - ay) - (ax - xs[i]) * (mean_y - ay)).abs(),
                None => 0.0,
            };
            area(*a).total_cmp(&area(*b)).then(b.cmp(a))
        });
        match best {
            Some(i) => {
                chosen.push(i);
                anchor = Some((xs[i], ys[i]));
            }
            None if start < end => chosen.push(start),
            None => {}
        }
    }
    chosen.push(n - 1);
    chosen.dedup();
    chosen
}

/// Streams reduced to fewer points, with the count they had before.
#[derive(Debug, Clone, PartialEq)]
pub struct Downsampled {
    /// The kept points of every stream.
    pub streams: Streams,
    /// How many points the streams had.
    pub original_size: usize,
}

/// Downsamples every stream by one set of indices chosen with [`lttb`] on `reference`
/// against time (e.g. altitude or heart rate). When the reference stream is absent or not
/// numeric (`latlng`), points are taken at an even stride instead.
pub fn downsample(streams: &Streams, reference: StreamKey, threshold: usize) -> Downsampled {
    let original_size = streams.len();
    let xs: Vec<f64> = streams.time.iter().map(|t| *t as f64).collect();
    let indices = match streams.numbers(reference) {
        Some(ys) => lttb(&xs, &ys, threshold),
        None => even_stride(original_size, threshold),
    };
    Downsampled { streams: streams.select(&indices), original_size }
}

/// At most `threshold` evenly spaced indices of `0..n`, both ends included.
fn even_stride(n: usize, threshold: usize) -> Vec<usize> {
    if threshold >= n {
        return (0..n).collect();
    }
    if threshold < 2 {
        return if n == 0 { Vec::new() } else { vec![0, n - 1] };
    }
    let step = (n - 1) as f64 / (threshold - 1) as f64;
    let mut out: Vec<usize> = (0..threshold).map(|k| ((k as f64 * step).round() as usize).min(n - 1)).collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xs(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    #[test]
    fn a_single_peak_is_kept() {
        // Bucket {1,2,3}, look-ahead = point 4 (4,0): triangle area ∝ y, so the peak wins.
        assert_eq!(lttb(&xs(5), &[0.0, 0.0, 10.0, 0.0, 0.0], 3), [0, 2, 4]);
    }

    #[test]
    fn peak_and_trough_in_two_buckets() {
        // n = 8, 2 buckets of 3: {1,2,3} and {4,5,6}; the spike at 2 and the dip at 5 win.
        let ys = [0.0, 1.0, 9.0, 1.0, 0.0, -7.0, 0.0, 0.0];
        assert_eq!(lttb(&xs(8), &ys, 4), [0, 2, 5, 7]);
    }

    #[test]
    fn small_thresholds_and_short_series() {
        assert_eq!(lttb(&xs(4), &[1.0; 4], 10), [0, 1, 2, 3]);
        assert_eq!(lttb(&xs(10), &[1.0; 10], 2), [0, 9]);
        assert_eq!(lttb(&xs(10), &[1.0; 10], 0), [0, 9]);
        assert_eq!(lttb(&[], &[], 5), Vec::<usize>::new());
        assert_eq!(lttb(&xs(1), &[1.0], 1), [0]);
    }

    #[test]
    fn nan_gaps_are_never_preferred() {
        // The middle bucket {1,2,3}: the NaN at 2 would otherwise be "largest".
        let ys = [0.0, 1.0, f64::NAN, 3.0, 0.0];
        assert_eq!(lttb(&xs(5), &ys, 3), [0, 3, 4]);
        // A bucket of only gaps keeps its first point.
        let gap = [0.0, f64::NAN, f64::NAN, f64::NAN, 5.0];
        assert_eq!(lttb(&xs(5), &gap, 3), [0, 1, 4]);
    }

    #[test]
    fn output_is_bounded_ascending_and_keeps_ends() {
        let ys: Vec<f64> = (0..1000).map(|i| (i as f64 / 17.0).sin()).collect();
        let out = lttb(&xs(1000), &ys, 100);
        assert_eq!(out.len(), 100);
        assert!(out.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((out.first(), out.last()), (Some(&0), Some(&999)));
    }

    #[test]
    fn downsample_applies_one_index_set_to_all_streams() {
        let n = 50;
        let streams = Streams {
            time: (0..n as i64).collect(),
            distance: (0..n).map(|i| i as f64 * 3.0).collect(),
            altitude: Some((0..n).map(|i| if i == 20 { 100.0 } else { 0.0 }).collect()),
            velocity_smooth: vec![3.0; n],
            moving: vec![true; n],
            grade_smooth: vec![0.0; n],
            ..Streams::default()
        };
        let small = downsample(&streams, StreamKey::Altitude, 10);
        assert_eq!(small.original_size, n);
        assert_eq!(small.streams.len(), 10);
        assert!(small.streams.time.contains(&20), "the spike is kept: {:?}", small.streams.time);
        assert_eq!(small.streams.distance.len(), 10);
        let even = downsample(&streams, StreamKey::Heartrate, 5);
        assert_eq!(even.streams.time, [0, 12, 25, 37, 49]);
    }
}
