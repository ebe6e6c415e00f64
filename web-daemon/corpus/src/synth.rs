//! Turns a planned session into 1 Hz samples: effort blocks → speed/power → distance → route
//! position and terrain height, with a lagging heart rate, cadence, traffic stops and weather.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{Lap, Position, Sample, SportType, Workout};
use crate::physiology::{self, Heart, HeartResponse, SWIM_SPEED_RANGE};
use crate::plan::Session;
use crate::route::Route;
use crate::workout::{Block, BlockEnd};

/// Samples and laps of one activity.
pub(crate) struct Track {
    pub samples: Vec<Sample>,
    pub laps: Vec<Lap>,
}

/// Synthesises the samples of `blocks` for a session done as `sport`.
pub(crate) fn track(
    session: &Session,
    sport: SportType,
    blocks: &[Block],
    route: Option<&Route>,
    max_duration_s: Option<u32>,
    rng: &mut ChaCha8Rng,
) -> Track {
    let response = match sport {
        SportType::Run | SportType::TrailRun => HeartResponse::Run,
        SportType::Ride | SportType::VirtualRide => HeartResponse::Ride,
        SportType::Swim => HeartResponse::Swim,
    };
    let mut heart = Heart::new(response, rng.random_range(3.0..8.0));
    let temperature = air_temperature(session, rng.random_range(-2.0..2.0));
    let wind = rng.random_range(-0.06..0.06);
    let limit = max_duration_s.unwrap_or(u32::MAX);
    let mut samples: Vec<Sample> = Vec::with_capacity(3_600);
    let mut laps = Vec::with_capacity(blocks.len());
    let (mut t, mut distance, mut stopped_for) = (0u32, 0.0f64, 0u32);
    let mut wobble = 0.0f64;
    let mut here = Terrain::at(route, 0.0);
    let mut grade = 0.0;
    // Standing at the start: cadence and power read 0, like a watch that has its sensors paired.
    let (power0, cadence0) = (sport.is_ride().then_some(0), (sport != SportType::Swim).then_some(0));
    samples.push(sample(0, 0.0, 0.0, heart.step(0.3, 0, 0.0), cadence0, power0, here, temperature));
    'blocks: for block in blocks {
        let (first, block_t0, block_d0) = (samples.len(), t, distance);
        loop {
            let done = match block.end {
                BlockEnd::Seconds(s) => t - block_t0 >= s,
                BlockEnd::Metres(m) => distance - block_d0 >= m,
            };
            if done {
                break;
            }
            if t >= limit {
                if samples.len() > first {
                    laps.push(Lap { first: first.saturating_sub(1), last: samples.len() - 1 });
                }
                break 'blocks;
            }
            t += 1;
            wobble = 0.9 * wobble + rng.random_range(-0.004..0.004);
            if stopped_for == 0 && block.may_stop && route.is_some() && rng.random_bool(1.0 / 700.0) {
                stopped_for = rng.random_range(8..40);
            }
            let standing = block.effort == 0.0 || stopped_for > 0;
            stopped_for = stopped_for.saturating_sub(1);
            let (speed, power, cadence) = if standing {
                (0.0, sport.is_ride().then_some(0), (sport != SportType::Swim).then_some(0))
            } else {
                moving(session, sport, block.effort, grade + wind * 0.1, wobble, rng)
            };
            distance += speed;
            if let BlockEnd::Metres(m) = block.end {
                distance = distance.min(block_d0 + m);
            }
            // Grade over the last second's travel (kept while standing still).
            let next = Terrain::at(route, distance);
            if let (Some(a), Some(b)) = (here.elevation, next.elevation)
                && speed > 0.5
            {
                grade = ((b - a) / speed).clamp(-0.12, 0.12);
            }
            here = next;
            let effort = if standing { 0.0 } else { block.effort };
            let bpm = heart.step(effort, t, rng.random_range(-1.0..1.0));
            samples.push(sample(t, distance, speed, bpm, cadence, power, here, temperature));
        }
        laps.push(Lap { first: first.saturating_sub(1), last: samples.len() - 1 });
    }
    laps.retain(|lap| lap.last > lap.first);
    if laps.is_empty() {
        laps.push(Lap { first: 0, last: samples.len() - 1 });
    }
    Track { samples, laps }
}

/// Speed (m/s), power and cadence while moving.
fn moving(
    session: &Session,
    sport: SportType,
    effort: f64,
    grade: f64,
    wobble: f64,
    rng: &mut ChaCha8Rng,
) -> (f64, Option<u16>, Option<u8>) {
    let noise = rng.random_range(-1.0..1.0);
    match sport {
        SportType::Run | SportType::TrailRun => {
            let trail = if sport == SportType::TrailRun { 1.06 } else { 1.0 };
            let pace = physiology::run_pace(effort, grade, session.fitness) * trail * (1.0 + wobble);
            let pace = pace.clamp(*physiology::RUN_PACE_RANGE.start() + 0.5, *physiology::RUN_PACE_RANGE.end() - 0.5);
            (1000.0 / pace, None, Some(physiology::cadence(true, effort, 0.6 * noise)))
        }
        SportType::Ride | SportType::VirtualRide => {
            let power = physiology::ride_power(effort, grade, 8.0 * wobble + 0.03 * noise);
            let speed = if sport == SportType::VirtualRide {
                physiology::ride_speed(power, 0.0)
            } else {
                physiology::ride_speed(power, grade) * (1.0 + wobble)
            };
            (speed, Some(power.round() as u16), Some(physiology::cadence(false, effort, noise)))
        }
        SportType::Swim => {
            let speed = (0.62 + 0.3 * effort) * (1.0 + wobble) * (1.0 + 0.04 * session.fitness);
            (speed.clamp(*SWIM_SPEED_RANGE.start() + 0.01, *SWIM_SPEED_RANGE.end() - 0.01), None, None)
        }
    }
}

/// Position and terrain height at a distance along the route (none indoors).
#[derive(Clone, Copy)]
struct Terrain {
    position: Option<Position>,
    elevation: Option<f64>,
}

impl Terrain {
    fn at(route: Option<&Route>, distance: f64) -> Terrain {
        let position = route.map(|r| r.position(distance));
        let elevation = route.zip(position).map(|(r, p)| r.city().elevation(p));
        Terrain { position, elevation }
    }
}

#[allow(clippy::too_many_arguments)]
fn sample(
    t: u32,
    distance: f64,
    speed: f64,
    heart_rate: u8,
    cadence: Option<u8>,
    power: Option<u16>,
    here: Terrain,
    temperature: Option<i8>,
) -> Sample {
    Sample {
        t,
        altitude_m: here.elevation.map(|e| (e * 5.0).round() / 5.0),
        position: here.position,
        distance_m: (distance * 100.0).round() / 100.0,
        speed_mps: (speed * 1000.0).round() / 1000.0,
        heart_rate: Some(heart_rate),
        cadence,
        power,
        temperature_c: temperature,
    }
}

/// Air temperature for outdoor sessions: seasonal curve, time of day, city offset.
fn air_temperature(session: &Session, noise: f64) -> Option<i8> {
    if session.indoor || session.workout == Workout::PoolSwim {
        return None;
    }
    use chrono::Datelike;
    let day = f64::from(session.date.ordinal());
    let season = 10.5 - 7.5 * libm::cos(std::f64::consts::TAU * (day - 20.0) / 365.0);
    let hour = f64::from(session.local_seconds) / 3600.0;
    let daily = 3.0 * libm::sin(std::f64::consts::TAU * (hour - 9.0) / 24.0);
    Some((season + daily + session.city.warmer_by_c + noise).round() as i8)
}
