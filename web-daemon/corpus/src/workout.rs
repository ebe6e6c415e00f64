//! Workouts as blocks of effort: warm-up, reps and recoveries, steady parts, cool-down.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{SportType, Workout};

/// Half-marathon distance in metres.
pub const HALF_MARATHON_M: f64 = 21_097.5;

/// Where a block ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BlockEnd {
    /// After this many seconds.
    Seconds(u32),
    /// After this many metres (races, swim repeats).
    Metres(f64),
}

/// A part of a workout at one effort (fraction of threshold; 0 = standing still).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Block {
    /// When the block ends.
    pub end: BlockEnd,
    /// Effort as a fraction of threshold.
    pub effort: f64,
    /// Whether traffic stops can happen (easy outdoor parts only).
    pub may_stop: bool,
}

impl Block {
    fn secs(seconds: f64, effort: f64) -> Block {
        Block { end: BlockEnd::Seconds(seconds.round().max(30.0) as u32), effort, may_stop: effort < 0.85 }
    }

    fn metres(metres: f64, effort: f64) -> Block {
        Block { end: BlockEnd::Metres(metres), effort, may_stop: false }
    }
}

/// The sport a workout is done as (virtual rides and trail runs are their own Strava types).
pub fn sport_of(workout: Workout, indoor: bool) -> SportType {
    match workout {
        Workout::EasyRun | Workout::Intervals | Workout::Tempo | Workout::LongRun | Workout::Race => SportType::Run,
        Workout::TrailRun => SportType::TrailRun,
        Workout::EnduranceRide | Workout::SweetSpot | Workout::LongRide if indoor => SportType::VirtualRide,
        Workout::EnduranceRide | Workout::SweetSpot | Workout::LongRide => SportType::Ride,
        Workout::VirtualRide => SportType::VirtualRide,
        Workout::PoolSwim => SportType::Swim,
    }
}

/// The blocks of a workout. `scale` stretches the main volume (build > 1, taper < 1);
/// `long_run_km` sets the long run.
pub fn blocks(workout: Workout, scale: f64, long_run_km: f64, rng: &mut ChaCha8Rng) -> Vec<Block> {
    let min = |m: f64| m * 60.0;
    match workout {
        Workout::EasyRun => vec![Block::secs(min(rng.random_range(35.0..55.0)) * scale, rng.random_range(0.7..0.76))],
        Workout::TrailRun => vec![Block::secs(min(rng.random_range(50.0..80.0)) * scale, 0.72)],
        Workout::LongRun => vec![Block::secs(long_run_km * 330.0, rng.random_range(0.72..0.77))],
        Workout::Intervals => {
            let reps = ((rng.random_range(5..=8) as f64) * scale).round().max(3.0) as usize;
            let work = min(rng.random_range(3.0..4.0));
            let mut blocks = vec![Block::secs(min(15.0), 0.7)];
            for rep in 0..reps {
                blocks.push(Block::secs(work, 1.08));
                if rep + 1 < reps {
                    blocks.push(Block::secs(min(2.0), 0.6));
                }
            }
            blocks.push(Block::secs(min(10.0), 0.66));
            blocks
        }
        Workout::Tempo => vec![
            Block::secs(min(12.0), 0.7),
            Block::secs(min(rng.random_range(20.0..30.0)) * scale, 0.92),
            Block::secs(min(10.0), 0.68),
        ],
        Workout::Race => vec![Block::metres(HALF_MARATHON_M, 0.97)],
        Workout::EnduranceRide => vec![Block::secs(min(rng.random_range(75.0..120.0)) * scale, 0.66)],
        Workout::LongRide => vec![Block::secs(min(rng.random_range(150.0..200.0)) * scale, 0.64)],
        Workout::SweetSpot | Workout::VirtualRide => {
            let reps = if workout == Workout::VirtualRide { 2 } else { 3 };
            let mut blocks = vec![Block::secs(min(15.0), 0.6)];
            for rep in 0..reps {
                blocks.push(Block::secs(min(12.0) * scale.min(1.0), rng.random_range(0.88..0.94)));
                if rep + 1 < reps {
                    blocks.push(Block::secs(min(5.0), 0.55));
                }
            }
            blocks.push(Block::secs(min(10.0), 0.58));
            blocks
        }
        Workout::PoolSwim => {
            let mut blocks = vec![Block::metres(300.0, 0.7), Block::secs(30.0, 0.0)];
            let reps = rng.random_range(8..=12);
            for _ in 0..reps {
                blocks.push(Block::metres(100.0, 0.9));
                blocks.push(Block { end: BlockEnd::Seconds(20), effort: 0.0, may_stop: false });
            }
            blocks.push(Block::metres(200.0, 0.65));
            blocks
        }
    }
}

/// Rough distance of a workout, used to size its route.
pub fn expected_distance(sport: SportType, blocks: &[Block]) -> f64 {
    let speed = match sport {
        SportType::Run | SportType::TrailRun => 3.1,
        SportType::Ride | SportType::VirtualRide => 8.3,
        SportType::Swim => 0.8,
    };
    blocks
        .iter()
        .map(|b| match b.end {
            BlockEnd::Seconds(s) if b.effort > 0.0 => f64::from(s) * speed,
            BlockEnd::Seconds(_) => 0.0,
            BlockEnd::Metres(m) => m,
        })
        .sum()
}

/// A Strava-style name: the default time-of-day name, or a custom one for key sessions.
pub fn name(workout: Workout, sport: SportType, local_hour: u32, rng: &mut ChaCha8Rng) -> String {
    let custom: &[&str] = match workout {
        Workout::Intervals => &["Track intervals", "6×3' @ 10k pace", "Tuesday reps"],
        Workout::Tempo => &["Tempo run", "Threshold 25'"],
        Workout::LongRun => &["Long run", "Sunday long run"],
        Workout::SweetSpot => &["Sweet spot 3×12'", "SST"],
        Workout::LongRide => &["Long ride, coffee stop", "Weekend long ride"],
        Workout::VirtualRide => &["Zwift - Watopia", "Zwift - Sweet spot in Makuri Islands"],
        _ => &[],
    };
    if !custom.is_empty() && rng.random_bool(0.5) {
        return custom[rng.random_range(0..custom.len())].to_string();
    }
    let part = match local_hour {
        0..=4 => "Night",
        5..=10 => "Morning",
        11..=13 => "Lunch",
        14..=17 => "Afternoon",
        18..=21 => "Evening",
        _ => "Night",
    };
    let sport = match sport {
        SportType::Run => "Run",
        SportType::TrailRun => "Trail Run",
        SportType::Ride => "Ride",
        SportType::VirtualRide => "Virtual Ride",
        SportType::Swim => "Swim",
    };
    format!("{part} {sport}")
}

/// A description; some are empty, some exercise CSV quoting (commas, quotes, newlines, UTF-8).
pub fn description(workout: Workout, city: &str, rng: &mut ChaCha8Rng) -> String {
    const NOTES: [&str; 7] = [
        "",
        "",
        "Felt good, legs fresh.",
        "Windy on the way back, \"headwind both ways\" as usual.",
        "Heavy legs.\nShould sleep more.",
        "Nice loop along the water 🌊",
        "Café stop, croissant, 10/10",
    ];
    match workout {
        Workout::Race => format!("Goal race in {city}. Negative split, \"everything\" went to plan! 🏅"),
        Workout::Intervals => "Reps on the road, recoveries jogged.".to_string(),
        _ => NOTES[rng.random_range(0..NOTES.len())].to_string(),
    }
}
