//! `generate`: the season plan → one `GeneratedActivity` per session, each from its own ChaCha8
//! stream (stream = position + 1), so activities are independent of each other's draws.

use chrono::{DateTime, Duration, LocalResult, TimeZone, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::Totals;
use crate::model::{CorpusSpec, FileFormat, FileKind, GeneratedActivity, SportType, Workout};
use crate::plan::{Session, plan};
use crate::route::Route;
use crate::synth::track;
use crate::workout::{self, blocks, expected_distance, sport_of};

/// Strava activity ids grow ~130 per second of wall time; this one is near 2026-01-01.
const ID_BASE: u64 = 16_800_000_000;
const ID_BASE_UNIX: i64 = 1_767_225_600;

/// Generates the activities of `spec`, sorted by start time. Deterministic on every platform.
pub fn generate(spec: &CorpusSpec) -> Vec<GeneratedActivity> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let sessions = plan(spec, &mut rng);
    let mut activities: Vec<GeneratedActivity> =
        sessions.iter().enumerate().map(|(i, session)| activity(spec, i as u64, session)).collect();
    // Ids strictly increase with start time, as Strava's do.
    for i in 1..activities.len() {
        if activities[i].id <= activities[i - 1].id {
            activities[i].id = activities[i - 1].id + 1;
        }
    }
    for a in &mut activities {
        a.upload_id = a.id / 1000 * 1_073 + a.id % 1000;
    }
    activities
}

fn activity(spec: &CorpusSpec, index: u64, session: &Session) -> GeneratedActivity {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(index + 1);
    let sport = sport_of(session.workout, session.indoor);
    let blocks = blocks(session.workout, session.scale, session.long_run_km, &mut rng);
    let route = sport.is_outdoor().then(|| {
        let length = expected_distance(sport, &blocks);
        let out_and_back = sport.is_run() && session.workout != Workout::Race && rng.random_bool(0.5);
        Route::random(&mut rng, session.city, length, out_and_back)
    });
    let track = track(session, sport, &blocks, route.as_ref(), spec.max_duration_s, &mut rng);
    let start = utc_start(session);
    let local_hour = start.with_timezone(&session.city.time_zone).hour();
    let name = if session.workout == Workout::Race {
        format!("{} Winter Half Marathon", session.city.name)
    } else {
        workout::name(session.workout, sport, local_hour, &mut rng)
    };
    let description = workout::description(session.workout, session.city.name, &mut rng);
    let seconds = (start.timestamp() - ID_BASE_UNIX).max(-100_000_000);
    let id = (ID_BASE as i64 + seconds * 130) as u64 + rng.random_range(0..100);
    GeneratedActivity {
        id,
        upload_id: 0,
        name,
        sport,
        workout: session.workout,
        description,
        start,
        time_zone: session.city.time_zone,
        totals: Totals::from_samples(&track.samples),
        samples: track.samples,
        laps: track.laps,
        file: file_kind(sport, &mut rng),
        gear: gear(session.workout, sport),
        commute: session.commute,
    }
}

fn utc_start(session: &Session) -> DateTime<Utc> {
    let local = session.date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(session.local_seconds.into());
    let zoned = match session.city.time_zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
        // A time skipped by a DST change: an hour later exists.
        LocalResult::None => {
            session.city.time_zone.from_local_datetime(&(local + Duration::hours(1))).earliest().expect("exists")
        }
    };
    zoned.with_timezone(&Utc)
}

fn file_kind(sport: SportType, rng: &mut ChaCha8Rng) -> FileKind {
    let roll: f64 = rng.random();
    let format = match sport {
        SportType::Swim => FileFormat::Fit,
        SportType::VirtualRide if roll < 0.2 => FileFormat::Tcx,
        SportType::VirtualRide => FileFormat::Fit,
        _ if roll < 0.7 => FileFormat::Fit,
        _ if roll < 0.85 => FileFormat::Gpx,
        _ => FileFormat::Tcx,
    };
    FileKind { format, gzip: rng.random_bool(0.85) }
}

fn gear(workout: Workout, sport: SportType) -> Option<String> {
    let name = match (workout, sport) {
        (Workout::Race, _) => "Nike Vaporfly 3",
        (_, SportType::TrailRun) => "Salomon Speedcross 6",
        (_, SportType::Run) => "ASICS Novablast 4",
        (_, SportType::Ride) => "Canyon Endurace CF 7",
        (_, SportType::VirtualRide) => "Tacx Neo 2T",
        (_, SportType::Swim) => return None,
    };
    Some(name.to_string())
}
