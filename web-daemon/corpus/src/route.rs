//! Routes near a city (loops and out-and-backs as smooth 5 m polylines) and a smooth terrain.
//!
//! Positions are integrated from a smooth heading along the route, so the GPS track's length
//! equals the recorded distance. All transcendental maths goes through `libm` so the output is
//! identical on every platform.

use chrono_tz::Tz;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::Position;

const METRES_PER_DEGREE: f64 = 111_320.0;
const STEP_M: f64 = 5.0;

/// Where the athlete is: a centre, its zone and a terrain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct City {
    /// Name (used in descriptions).
    pub name: &'static str,
    /// IANA zone.
    pub time_zone: Tz,
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lon: f64,
    /// Mean terrain height in metres.
    pub base_elevation_m: f64,
    /// Height of the terrain's waves in metres (sum of amplitudes).
    pub relief_m: f64,
    /// Seasonal mean air temperature offset in °C.
    pub warmer_by_c: f64,
}

/// The athlete's home.
pub const AMSTERDAM: City = City {
    name: "Amsterdam",
    time_zone: chrono_tz::Europe::Amsterdam,
    lat: 52.3676,
    lon: 4.9041,
    base_elevation_m: 12.0,
    relief_m: 18.0,
    warmer_by_c: 0.0,
};

/// The one trip (a different UTC offset, and DST changes on other dates).
pub const NEW_YORK: City = City {
    name: "New York",
    time_zone: chrono_tz::America::New_York,
    lat: 40.7812,
    lon: -73.9665,
    base_elevation_m: 35.0,
    relief_m: 30.0,
    warmer_by_c: 4.0,
};

impl City {
    /// Terrain height at a position: a few long smooth waves around the base.
    pub fn elevation(&self, p: Position) -> f64 {
        let y = (p.lat - self.lat) * METRES_PER_DEGREE;
        let x = (p.lon - self.lon) * METRES_PER_DEGREE * libm::cos(self.lat.to_radians());
        let a = self.relief_m;
        self.base_elevation_m
            + 0.55 * a * libm::sin(x / 1_450.0 + 0.7) * libm::cos(y / 1_900.0 - 0.3)
            + 0.30 * a * libm::sin((0.6 * x + 0.8 * y) / 620.0 + 1.9)
            + 0.15 * a * libm::cos((0.9 * x - 0.4 * y) / 230.0)
    }

    fn position_at(&self, x: f64, y: f64) -> Position {
        let lat = self.lat + y / METRES_PER_DEGREE;
        let lon = self.lon + x / (METRES_PER_DEGREE * libm::cos(self.lat.to_radians()));
        Position { lat: (lat * 1e7).round() / 1e7, lon: (lon * 1e7).round() / 1e7 }
    }
}

/// A route: points every ~5 m (local metres east/north of the city centre) with cumulative length.
#[derive(Clone, Debug)]
pub struct Route {
    city: City,
    points: Vec<(f64, f64)>,
    cumulative: Vec<f64>,
}

impl Route {
    /// A random loop or out-and-back of about `length_m`, starting within ~2 km of the centre.
    pub fn random(rng: &mut ChaCha8Rng, city: City, length_m: f64, out_and_back: bool) -> Route {
        let length_m = length_m.max(500.0);
        let start = (rng.random_range(-1_500.0..1_500.0), rng.random_range(-1_500.0..1_500.0));
        let heading0 = rng.random_range(0.0..std::f64::consts::TAU);
        let (p1, p2) = (rng.random_range(0.0..std::f64::consts::TAU), rng.random_range(0.0..std::f64::consts::TAU));
        let points = if out_and_back {
            let half = length_m / 2.0;
            let outbound = integrate(start, half, |s| {
                heading0 + 0.45 * libm::sin(s / 900.0 + p1) + 0.25 * libm::sin(s / 260.0 + p2)
            });
            let mut points = outbound.clone();
            points.extend(outbound.iter().rev().skip(1));
            points
        } else {
            let w = std::f64::consts::TAU / length_m;
            let mut points = integrate(start, length_m, |s| {
                heading0 + w * s + 0.5 * libm::sin(2.0 * w * s + p1) + 0.2 * libm::sin(5.0 * w * s + p2)
            });
            // Close the loop: spread the end point's miss linearly over the route.
            let n = points.len() - 1;
            let miss = (points[n].0 - start.0, points[n].1 - start.1);
            for (i, p) in points.iter_mut().enumerate() {
                let f = i as f64 / n as f64;
                *p = (p.0 - f * miss.0, p.1 - f * miss.1);
            }
            points
        };
        let mut cumulative = Vec::with_capacity(points.len());
        let mut total = 0.0;
        cumulative.push(0.0);
        for pair in points.windows(2) {
            total += libm::hypot(pair[1].0 - pair[0].0, pair[1].1 - pair[0].1);
            cumulative.push(total);
        }
        Route { city, points, cumulative }
    }

    /// The city the route is in.
    pub fn city(&self) -> &City {
        &self.city
    }

    /// Length of one lap of the route in metres.
    pub fn length(&self) -> f64 {
        *self.cumulative.last().unwrap_or(&0.0)
    }

    /// Position after `distance_m` along the route (repeating it when longer).
    pub fn position(&self, distance_m: f64) -> Position {
        let (x, y) = self.local(distance_m);
        self.city.position_at(x, y)
    }

    fn local(&self, distance_m: f64) -> (f64, f64) {
        let length = self.length();
        let d = if length > 0.0 { distance_m % length } else { 0.0 };
        let i = self.cumulative.partition_point(|&c| c <= d).clamp(1, self.points.len() - 1);
        let (c0, c1) = (self.cumulative[i - 1], self.cumulative[i]);
        let f = if c1 > c0 { (d - c0) / (c1 - c0) } else { 0.0 };
        let (a, b) = (self.points[i - 1], self.points[i]);
        (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1))
    }
}

/// Points every `STEP_M` metres from `start` following `heading(s)` (radians from north).
fn integrate(start: (f64, f64), length_m: f64, heading: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    let steps = (length_m / STEP_M).ceil().max(1.0) as usize;
    let step = length_m / steps as f64;
    let mut points = Vec::with_capacity(steps + 1);
    let mut p = start;
    points.push(p);
    for i in 0..steps {
        let h = heading((i as f64 + 0.5) * step);
        p = (p.0 + step * libm::sin(h), p.1 + step * libm::cos(h));
        points.push(p);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn loops_close_and_keep_their_length() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let route = Route::random(&mut rng, AMSTERDAM, 10_000.0, false);
        assert!((route.length() - 10_000.0).abs() < 150.0, "{}", route.length());
        let (a, b) = (route.position(0.0), route.position(route.length() - 0.01));
        assert!((a.lat - b.lat).abs() < 1e-5 && (a.lon - b.lon).abs() < 1e-5);
    }

    #[test]
    fn out_and_back_returns_to_start() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let route = Route::random(&mut rng, NEW_YORK, 8_000.0, true);
        let mid = route.position(4_000.0);
        let (a, b) = (route.position(0.0), route.position(route.length() - 0.01));
        assert_eq!((a.lat * 1e5).round(), (b.lat * 1e5).round());
        assert!((mid.lat - a.lat).abs() + (mid.lon - a.lon).abs() > 0.01);
    }
}
