//! The season: which session on which day. A weekly pattern, a long run that grows in 4-week
//! cycles, a 3-week build, a 2-week taper, a half marathon, and one trip abroad.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{CorpusSpec, Workout};
use crate::route::{AMSTERDAM, City, NEW_YORK};

/// The key dates of a generated period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Season {
    /// First day of the period.
    pub start: NaiveDate,
    /// Race day: the last Sunday at least a week before the end.
    pub race: NaiveDate,
    /// First day of the 3-week build (race − 35 days).
    pub build_start: NaiveDate,
    /// First day of the 2-week taper (race − 14 days).
    pub taper_start: NaiveDate,
    /// First day of the trip to New York.
    pub trip_start: NaiveDate,
    /// Last day of the trip.
    pub trip_end: NaiveDate,
}

impl Season {
    /// The season of a spec.
    pub fn of(spec: &CorpusSpec) -> Season {
        let start = spec.end_date - Duration::days(i64::from(spec.days.max(1)) - 1);
        let mut race = spec.end_date - Duration::days(7);
        while race.weekday() != Weekday::Sun {
            race -= Duration::days(1);
        }
        let race = race.max(start);
        let mut trip_start = start + Duration::days(i64::from(spec.days) * 11 / 20);
        while trip_start.weekday() != Weekday::Wed {
            trip_start += Duration::days(1);
        }
        Season {
            start,
            race,
            build_start: race - Duration::days(35),
            taper_start: race - Duration::days(14),
            trip_start,
            trip_end: trip_start + Duration::days(8),
        }
    }

    /// Where the athlete is on a day.
    pub fn city(&self, date: NaiveDate) -> City {
        if (self.trip_start..=self.trip_end).contains(&date) { NEW_YORK } else { AMSTERDAM }
    }
}

/// One planned session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Session {
    pub date: NaiveDate,
    /// Local start time as seconds after midnight.
    pub local_seconds: u32,
    pub workout: Workout,
    pub indoor: bool,
    pub commute: bool,
    pub scale: f64,
    pub long_run_km: f64,
    /// 0 at the start of the period, 1 at the race.
    pub fitness: f64,
    pub city: City,
}

/// Plans exactly `spec.activities` sessions, sorted by start.
pub(crate) fn plan(spec: &CorpusSpec, rng: &mut ChaCha8Rng) -> Vec<Session> {
    let season = Season::of(spec);
    let mut sessions = Vec::new();
    let mut date = season.start;
    while date <= spec.end_date {
        day(&season, date, rng, &mut sessions);
        date += Duration::days(1);
    }
    while sessions.len() > spec.activities {
        let removable: Vec<usize> = (0..sessions.len()).filter(|&i| !is_key(&season, &sessions[i])).collect();
        let i = if removable.is_empty() { sessions.len() - 1 } else { removable[rng.random_range(0..removable.len())] };
        sessions.remove(i);
    }
    const EXTRA_HOURS: [u32; 4] = [12, 17, 20, 6];
    while sessions.len() < spec.activities {
        let date = season.start + Duration::days(rng.random_range(0..i64::from(spec.days.max(1))));
        if date == season.race {
            continue;
        }
        let same_day = sessions.iter().filter(|s| s.date == date).count();
        let hour = EXTRA_HOURS[same_day % EXTRA_HOURS.len()];
        let workout = if rng.random_bool(0.6) { Workout::EasyRun } else { Workout::VirtualRide };
        let mut extra = session(&season, date, hour, workout, rng);
        extra.scale = 0.8;
        sessions.push(extra);
    }
    sessions.sort_by_key(|s| (s.date, s.local_seconds));
    sessions
}

fn is_key(season: &Season, s: &Session) -> bool {
    s.workout == Workout::Race || (s.workout == Workout::LongRun && s.date >= season.build_start)
}

fn day(season: &Season, date: NaiveDate, rng: &mut ChaCha8Rng, out: &mut Vec<Session>) {
    if date == season.race {
        out.push(session(season, date, 9, Workout::Race, rng));
        return;
    }
    let travelling = season.city(date) != AMSTERDAM;
    let winter = matches!(date.month(), 11 | 12 | 1 | 2 | 3);
    let race_week = date > season.race - Duration::days(7) && date < season.race;
    let after_race = date > season.race;
    let mut add = |hour: u32, workout: Workout, p: f64, rng: &mut ChaCha8Rng| {
        if rng.random_bool(p) {
            out.push(session(season, date, hour, workout, rng));
        }
    };
    if after_race {
        if date.weekday().number_from_monday().is_multiple_of(2) {
            add(8, Workout::EasyRun, 0.7, rng);
        }
        return;
    }
    match date.weekday() {
        Weekday::Mon | Weekday::Fri if !travelling => add(7, Workout::PoolSwim, 0.33, rng),
        Weekday::Tue if !race_week => add(18, Workout::Intervals, 0.9, rng),
        Weekday::Wed if travelling => add(7, Workout::EasyRun, 0.8, rng),
        Weekday::Wed => {
            let ride = if winter { Workout::VirtualRide } else { Workout::EnduranceRide };
            add(if winter { 19 } else { 7 }, ride, 0.75, rng);
            add(12, Workout::EasyRun, 0.3, rng);
        }
        Weekday::Thu => {
            let tempo = date.iso_week().week().is_multiple_of(2) || race_week;
            add(18, if tempo { Workout::Tempo } else { Workout::EasyRun }, 0.8, rng);
        }
        Weekday::Sat if travelling => add(9, Workout::TrailRun, 0.9, rng),
        Weekday::Sat if !race_week => {
            let ride = if winter { Workout::SweetSpot } else { Workout::LongRide };
            add(9, ride, if winter { 0.5 } else { 0.7 }, rng);
            let run = if rng.random_bool(0.1) { Workout::TrailRun } else { Workout::EasyRun };
            add(16, run, 0.3, rng);
        }
        Weekday::Sun => add(9, Workout::LongRun, 0.95, rng),
        _ => {}
    }
}

fn session(season: &Season, date: NaiveDate, hour: u32, workout: Workout, rng: &mut ChaCha8Rng) -> Session {
    let city = season.city(date);
    let winter = matches!(date.month(), 11 | 12 | 1 | 2 | 3);
    let days_in = (date - season.start).num_days() as f64;
    let to_peak = ((season.taper_start - season.start).num_days() as f64).max(1.0);
    let fitness = (days_in / to_peak).clamp(0.0, 1.0);
    let scale = if date >= season.taper_start && date < season.race {
        0.62
    } else if date >= season.build_start && date < season.taper_start {
        1.12
    } else {
        1.0
    };
    let long_run_km = if date >= season.taper_start {
        13.0
    } else {
        let cycle_week = (date - season.start).num_days() / 7 % 4;
        let recovery = if cycle_week == 3 && date < season.build_start { 0.8 } else { 1.0 };
        (12.0 + 10.0 * fitness) * recovery
    };
    let minute = if workout == Workout::Race { 0 } else { rng.random_range(0..50) };
    let second = if workout == Workout::Race { 0 } else { rng.random_range(0..60) };
    Session {
        date,
        local_seconds: hour * 3600 + minute * 60 + second,
        workout,
        indoor: workout == Workout::VirtualRide || (workout == Workout::SweetSpot && winter),
        commute: workout == Workout::EnduranceRide && rng.random_bool(0.15),
        scale,
        long_run_km,
        fitness,
        city,
    }
}
