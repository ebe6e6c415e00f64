//! Athlete stats against the activity list they summarise.

use chrono::{Datelike, TimeZone, Utc};
use pacerd::provider::{Activity, Totals};

use super::{Harness, start_ts};

/// Stats group of a sport, as Strava totals them.
fn stats_group(sport: &str) -> Option<usize> {
    match sport {
        "Run" | "TrailRun" | "VirtualRun" => Some(0),
        "Ride" | "VirtualRide" | "EBikeRide" | "MountainBikeRide" | "GravelRide" | "EMountainBikeRide"
        | "Velomobile" | "Handcycle" => Some(1),
        "Swim" => Some(2),
        _ => None,
    }
}

fn assert_totals(what: &str, got: &Totals, list: &[&Activity]) {
    assert_eq!(got.count, list.len() as u64, "{what}: count");
    let distance: f64 = list.iter().map(|a| a.distance_m).sum();
    assert!(
        (got.distance_m - distance).abs() <= 0.1 * list.len() as f64 + 0.5,
        "{what}: {} m vs {distance} m",
        got.distance_m
    );
    assert_eq!(got.moving_time_s, list.iter().map(|a| a.moving_time_s).sum::<u64>(), "{what}: moving time");
    assert_eq!(got.elapsed_time_s, list.iter().map(|a| a.elapsed_time_s).sum::<u64>(), "{what}: elapsed time");
    let gain: f64 = list.iter().map(|a| a.total_elevation_gain_m).sum();
    assert!((got.elevation_gain_m - gain).abs() <= 0.1 * list.len() as f64 + 0.5, "{what}: gain");
}

#[test]
fn stats_match_the_activity_list() {
    let h = Harness::start();
    h.run(async {
        let all = h.all_activities().await;
        let athlete = h.athlete_id;
        let stats = h.call_as(&h.owner, |c, t| async move { c.stats(&t, athlete).await }).await.expect("stats");
        let now = Utc::now();
        let recent_from = (now - chrono::Duration::days(28)).timestamp();
        let year_from = Utc.with_ymd_and_hms(now.year(), 1, 1, 0, 0, 0).single().expect("jan 1").timestamp();
        let pick = |group: usize, from: i64| -> Vec<&Activity> {
            all.iter().filter(|a| stats_group(&a.sport_type) == Some(group) && start_ts(a) >= from).collect()
        };
        let groups = [
            ("run", [&stats.recent_run_totals, &stats.ytd_run_totals, &stats.all_run_totals]),
            ("ride", [&stats.recent_ride_totals, &stats.ytd_ride_totals, &stats.all_ride_totals]),
            ("swim", [&stats.recent_swim_totals, &stats.ytd_swim_totals, &stats.all_swim_totals]),
        ];
        for (g, (name, [recent, ytd, every])) in groups.into_iter().enumerate() {
            assert_totals(&format!("recent {name}"), recent, &pick(g, recent_from));
            assert_totals(&format!("ytd {name}"), ytd, &pick(g, year_from));
            assert_totals(&format!("all {name}"), every, &pick(g, i64::MIN));
            assert!(every.count > 0, "the seed has {name}s");
        }
        let rides = pick(1, i64::MIN);
        let longest = rides.iter().map(|a| a.distance_m).fold(0.0, f64::max);
        let biggest = stats.biggest_ride_distance_m.expect("biggest ride");
        assert!((biggest - longest).abs() <= 0.1, "biggest ride {biggest} vs {longest}");

        let other = h.call_as(&h.owner, |c, t| async move { c.stats(&t, athlete + 1).await }).await;
        assert!(other.is_err(), "another athlete's stats are refused: {other:?}");
    });
}
