//! Seeded sports and the deterministic generator of one activity's samples. A [`Recipe`] is
//! small and stored with its activity; streams are regenerated from it on demand.

use std::f64::consts::TAU;

use chrono::{DateTime, Duration, Utc};

use super::track::Point;

/// SplitMix64: tiny, fast and stable across crate versions (unlike `rand`'s `StdRng`).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn signed(&mut self) -> f64 {
        self.range(-1.0, 1.0)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The seeded sports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Run,
    Ride,
    Swim,
    Walk,
    Hike,
    VirtualRide,
    WeightTraining,
}

/// How a sport is generated.
pub(crate) struct KindParams {
    /// Moving time range (s) and speed range (m/s).
    pub(crate) moving_s: (f64, f64),
    pub(crate) speed: (f64, f64),
    /// Altitude amplitude range (m) and number-of-climbs range; `None` = no altitude stream.
    pub(crate) hills: Option<((f64, f64), (f64, f64))>,
    pub(crate) hr: Option<f64>,
    pub(crate) cadence: Option<f64>,
    pub(crate) gps: bool,
    pub(crate) hours: &'static [u32],
    pub(crate) names: &'static [&'static str],
}

impl Kind {
    pub(crate) const ALL: [Kind; 7] =
        [Kind::Run, Kind::Ride, Kind::Swim, Kind::Walk, Kind::Hike, Kind::VirtualRide, Kind::WeightTraining];

    pub(crate) fn sport_type(self) -> &'static str {
        match self {
            Kind::Run => "Run",
            Kind::Ride => "Ride",
            Kind::Swim => "Swim",
            Kind::Walk => "Walk",
            Kind::Hike => "Hike",
            Kind::VirtualRide => "VirtualRide",
            Kind::WeightTraining => "WeightTraining",
        }
    }

    #[rustfmt::skip]
    pub(crate) fn params(self) -> KindParams {
        let p = |moving_s, speed, hills, hr, cadence, gps, hours, names| KindParams {
            moving_s, speed, hills, hr, cadence, gps, hours, names,
        };
        match self {
            Kind::Run => p((1500.0, 6000.0), (2.6, 3.5), Some(((10.0, 40.0), (1.0, 3.0))), Some(148.0), Some(84.0),
                true, &[6, 7, 12, 18], &["Tempo intervals", "Long run", "Easy recovery jog", "Hill repeats"]),
            Kind::Ride => p((2700.0, 12600.0), (6.0, 8.5), Some(((60.0, 180.0), (1.0, 4.0))), Some(132.0), Some(88.0),
                true, &[7, 8, 9, 14], &["Lake loop", "Col climb", "Group ride", "Coffee ride"]),
            Kind::Swim => p((1500.0, 3600.0), (0.65, 0.85), None, None, None,
                false, &[7, 12, 19], &["Pool session", "Technique drills"]),
            Kind::Walk => p((1200.0, 4200.0), (1.25, 1.5), Some(((5.0, 15.0), (1.0, 2.0))), Some(98.0), Some(55.0),
                true, &[12, 17, 19], &["Walk with the dog"]),
            Kind::Hike => p((5400.0, 18000.0), (0.95, 1.3), Some(((150.0, 450.0), (1.0, 2.0))), Some(118.0), Some(50.0),
                true, &[8, 9], &["Ridge hike", "Summit push"]),
            Kind::VirtualRide => p((1800.0, 5400.0), (8.0, 10.0), Some(((20.0, 80.0), (2.0, 5.0))), Some(140.0), Some(90.0),
                false, &[6, 18, 19, 20], &["Zwift - Volcano Circuit in Watopia", "Zwift - Tempus Fugit in Watopia"]),
            Kind::WeightTraining => p((1800.0, 3600.0), (0.0, 0.0), None, Some(108.0), None,
                false, &[7, 18, 19], &["Strength: legs & core"]),
        }
    }
}

/// Everything needed to regenerate one seeded activity's points.
#[derive(Debug, Clone)]
pub(crate) struct Recipe {
    pub(crate) seed: u64,
    pub(crate) kind: Kind,
    pub(crate) start: DateTime<Utc>,
    pub(crate) moving_s: i64,
    pub(crate) speed: f64,
    pub(crate) home: [f64; 2],
    pub(crate) base_ele: f64,
    pub(crate) hills: Option<(f64, f64)>,
    pub(crate) hr: Option<f64>,
    pub(crate) watts: Option<f64>,
    pub(crate) cadence: Option<f64>,
    pub(crate) gps: bool,
    pub(crate) pauses: usize,
}

impl Recipe {
    /// The activity's samples: one every 5 s of moving time, plus a few pauses.
    pub(crate) fn points(&self) -> Vec<Point> {
        let mut rng = Rng::new(self.seed);
        let n = usize::try_from(self.moving_s / 5).unwrap_or(2).max(2);
        let pauses: Vec<(usize, i64)> = (0..self.pauses).map(|_| (rng.below(n), 20 + rng.below(220) as i64)).collect();
        let (mut lat, mut lon) = (self.home[0] + 0.01 * rng.signed(), self.home[1] + 0.01 * rng.signed());
        let mut heading = rng.range(0.0, TAU);
        let phase = rng.range(0.0, TAU);
        let (mut t, mut dist) = (0i64, 0.0f64);
        let mut points: Vec<Point> = Vec::with_capacity(n + self.pauses);
        for i in 0..n {
            let frac = i as f64 / n as f64;
            let v = self.speed * (1.0 + 0.08 * (frac * TAU * 5.0 + phase).sin() + 0.06 * rng.signed());
            if i > 0 {
                let pause: i64 = pauses.iter().filter(|(at, _)| *at == i).map(|(_, s)| s).sum();
                if let (true, Some(last)) = (pause > 0, points.last().cloned()) {
                    // Standing still: a sample at the same place after the pause.
                    t += pause;
                    points.push(Point { time: Some(self.start + Duration::seconds(t)), ..last });
                }
                t += 5;
                dist += v * 5.0;
                heading += TAU / n as f64 + 0.2 * rng.signed();
                lat += v * 5.0 * heading.cos() / 111_320.0;
                lon += v * 5.0 * heading.sin() / (111_320.0 * lat.to_radians().cos());
            }
            let ele = self.hills.map(|(amp, cycles)| self.base_ele + amp * (1.0 - (frac * TAU * cycles).cos()) / 2.0);
            let effort = if self.speed > 0.0 { v / self.speed - 1.0 } else { 0.0 };
            points.push(Point {
                time: Some(self.start + Duration::seconds(t)),
                lat: self.gps.then_some(lat),
                lon: self.gps.then_some(lon),
                ele,
                hr: self.hr.map(|hr| (hr + 8.0 * frac + 15.0 * effort + 2.0 * rng.signed()).round()),
                cadence: self.cadence.map(|c| (c + 3.0 * rng.signed()).round()),
                watts: self.watts.map(|w| (w * (1.0 + 1.5 * effort + 0.12 * rng.signed())).max(0.0).round()),
                dist: Some(dist),
                temp: None,
            });
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::summarize;

    #[test]
    fn long_ride_has_a_point_every_five_seconds() {
        let recipe = Recipe {
            seed: 7,
            kind: Kind::Ride,
            start: Utc::now(),
            moving_s: 10_800,
            speed: 7.0,
            home: [45.0, 6.0],
            base_ele: 400.0,
            hills: Some((100.0, 2.0)),
            hr: Some(130.0),
            watts: Some(200.0),
            cadence: Some(88.0),
            gps: true,
            pauses: 2,
        };
        let points = recipe.points();
        assert!((2160..=2162).contains(&points.len()), "{} points", points.len());
        let (summary, streams) = summarize(&points, &Default::default()).expect("track");
        assert_eq!(streams.len(), points.len());
        assert!((summary.distance - 7.0 * 10_800.0).abs() < 0.05 * 7.0 * 10_800.0);
        assert!(summary.average_watts.is_some() && summary.average_heartrate.is_some());
        assert!(summary.elapsed_time > summary.moving_time);
    }
}
