//! The training year: counts, the race, the taper, the trip, and plausibility of every sample.

use chrono::{Duration, NaiveDate};
use pacer_corpus::{
    CorpusSpec, HALF_MARATHON_M, HEART_RATE_RANGE, POWER_RANGE, RIDE_CADENCE_RANGE, RIDE_SPEED_RANGE,
    RUN_CADENCE_RANGE, RUN_PACE_RANGE, SWIM_SPEED_RANGE, Season, SportType, Totals, Workout,
};

use crate::year;

#[test]
fn a_year_of_about_250_activities_of_every_sport_in_order() {
    let year = year();
    assert_eq!(year.len(), 250);
    for pair in year.windows(2) {
        assert!(pair[0].start < pair[1].start && pair[0].id < pair[1].id);
    }
    for sport in [SportType::Run, SportType::Ride, SportType::VirtualRide, SportType::Swim, SportType::TrailRun] {
        let n = year.iter().filter(|a| a.sport == sport).count();
        assert!(n >= 2, "{sport:?}: {n}");
    }
    let runs = year.iter().filter(|a| a.sport.is_run()).count();
    assert!((110..=170).contains(&runs), "{runs} runs");
    let ids: std::collections::HashSet<u64> = year.iter().flat_map(|a| [a.id, a.upload_id]).collect();
    assert_eq!(ids.len(), 500, "ids and upload ids are all distinct");
}

#[test]
fn one_half_marathon_near_the_end_after_a_taper() {
    let spec = CorpusSpec::default();
    let season = Season::of(&spec);
    let year = year();
    let races: Vec<_> = year.iter().filter(|a| a.is_race()).collect();
    assert_eq!(races.len(), 1);
    let race = races[0];
    assert_eq!(race.local_start().date_naive(), season.race);
    assert!(season.race > spec.end_date - Duration::days(14));
    assert!(race.name.contains("Half Marathon"), "{}", race.name);
    assert!((race.totals.distance_m - HALF_MARATHON_M).abs() < 5.0, "{}", race.totals.distance_m);
    let pace = f64::from(race.totals.moving_s) / (race.totals.distance_m / 1000.0);
    assert!((245.0..275.0).contains(&pace), "race pace {pace} s/km");

    let weekly_seconds = |from: NaiveDate, weeks: i64| {
        let to = from + Duration::days(7 * weeks);
        let total: u32 =
            year.iter().filter(|a| (from..to).contains(&a.local_start().date_naive())).map(|a| a.totals.moving_s).sum();
        f64::from(total) / weeks as f64
    };
    let build = weekly_seconds(season.race - Duration::days(35), 3);
    let taper = weekly_seconds(season.race - Duration::days(14), 2);
    assert!(taper < 0.8 * build, "taper {taper} s/week vs build {build} s/week");
    let long_runs = |from: NaiveDate, to: NaiveDate| {
        year.iter()
            .filter(|a| a.workout == Workout::LongRun && (from..to).contains(&a.local_start().date_naive()))
            .map(|a| a.totals.distance_m)
            .fold(0.0, f64::max)
    };
    let early = long_runs(season.start, season.start + Duration::days(60));
    let peak = long_runs(season.build_start, season.taper_start);
    assert!(peak > early + 4_000.0, "long run grows: {early} → {peak}");
}

#[test]
fn one_trip_in_another_time_zone() {
    let year = year();
    let abroad: Vec<_> = year.iter().filter(|a| a.time_zone == chrono_tz::America::New_York).collect();
    assert!(abroad.len() >= 3, "{}", abroad.len());
    for a in &abroad {
        let hour = chrono::Timelike::hour(&a.local_start());
        assert!((5..=21).contains(&hour), "local hour {hour}");
        let p = a.samples[0].position.expect("outdoor");
        assert!((p.lat - 40.78).abs() < 0.1 && (p.lon + 73.97).abs() < 0.1);
    }
    assert!(year.iter().filter(|a| a.time_zone == chrono_tz::Europe::Amsterdam).count() > 200);
}

#[test]
fn every_sample_is_plausible() {
    for a in year() {
        let ctx = || format!("{} {:?} {}", a.id, a.workout, a.start);
        assert!(a.samples.len() > 60, "{}", ctx());
        for (i, pair) in a.samples.windows(2).enumerate() {
            assert_eq!(pair[1].t, pair[0].t + 1, "1 Hz at {i}: {}", ctx());
            assert!(pair[1].distance_m >= pair[0].distance_m, "{}", ctx());
        }
        for s in &a.samples {
            let hr = s.heart_rate.expect("heart rate");
            assert!(HEART_RATE_RANGE.contains(&hr), "hr {hr}: {}", ctx());
            assert_eq!(s.position.is_some(), a.sport.is_outdoor(), "{}", ctx());
            if let Some(alt) = s.altitude_m {
                assert!((-30.0..=120.0).contains(&alt), "altitude {alt}: {}", ctx());
            }
            if !s.is_moving() {
                continue;
            }
            match a.sport {
                SportType::Run | SportType::TrailRun => {
                    let pace = 1000.0 / s.speed_mps;
                    assert!(RUN_PACE_RANGE.contains(&pace), "pace {pace}: {}", ctx());
                    assert!(RUN_CADENCE_RANGE.contains(&s.cadence.unwrap()), "{}", ctx());
                    assert!(s.power.is_none());
                }
                SportType::Ride | SportType::VirtualRide => {
                    assert!(POWER_RANGE.contains(&s.power.unwrap()), "{}", ctx());
                    assert!(RIDE_CADENCE_RANGE.contains(&s.cadence.unwrap()), "{}", ctx());
                    assert!(RIDE_SPEED_RANGE.contains(&s.speed_mps), "{}", ctx());
                }
                SportType::Swim => assert!(SWIM_SPEED_RANGE.contains(&s.speed_mps), "{}", ctx()),
            }
        }
        assert_eq!(a.totals, Totals::from_samples(&a.samples));
        assert!(a.totals.moving_s <= a.totals.elapsed_s);
        if a.sport.is_ride() {
            let avg = a.totals.avg_power.unwrap();
            assert!((120.0..=260.0).contains(&avg), "avg power {avg}: {}", ctx());
        }
        assert_eq!(a.laps.first().map(|l| l.first), Some(0));
        assert_eq!(a.laps.last().map(|l| l.last), Some(a.samples.len() - 1));
    }
}

#[test]
fn intervals_show_pace_and_heart_rate_blocks() {
    let a = year().iter().find(|a| a.workout == Workout::Intervals).expect("an interval session");
    assert!(a.laps.len() >= 7, "{} laps", a.laps.len());
    let lap_pace = |i: usize| {
        let lap = a.laps[i];
        let t = Totals::from_samples(&a.samples[lap.first..=lap.last]);
        (t.distance_m / f64::from(t.elapsed_s), t.max_heart_rate.unwrap())
    };
    let (rep_speed, rep_hr) = lap_pace(1);
    let (jog_speed, _) = lap_pace(2);
    let (warm_speed, warm_hr) = lap_pace(0);
    assert!(rep_speed > jog_speed * 1.2 && rep_speed > warm_speed * 1.2);
    assert!(rep_hr > warm_hr + 10, "rep {rep_hr} vs warm-up {warm_hr}");
}
