//! Deterministic seed data: two athletes with ~70 activities each over the 90 days before
//! construction. Only the dates depend on "now"; everything else comes from a fixed PRNG
//! ([`Rng`]), and streams are regenerated from each activity's [`Recipe`] when requested.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use super::activity::{Activity, StreamSource};
use super::model::{Athlete, default_name};
use super::recipe::{Kind, Recipe, Rng};
use super::track::summarize;

pub(crate) struct Seeded {
    pub(crate) athletes: Vec<Athlete>,
    pub(crate) activities: Vec<Activity>,
    pub(crate) next_activity_id: u64,
    pub(crate) next_upload_id: u64,
}

struct Profile {
    athlete: Athlete,
    weights: [u32; 7],
    power_meter: bool,
    device: &'static str,
}

fn profiles() -> Vec<Profile> {
    let created_at = DateTime::from_timestamp(1_460_448_000, 0).unwrap_or_default();
    vec![
        Profile {
            athlete: Athlete {
                id: 1001,
                username: "lea_martin",
                firstname: "Léa",
                lastname: "Martin",
                city: "Annecy",
                state: "Auvergne-Rhône-Alpes",
                country: "France",
                sex: "F",
                weight: 58.0,
                ftp: Some(205),
                created_at,
                tz_name: "Europe/Paris",
                tz_offset_s: 3600,
                home: [45.8992, 6.1294],
                base_ele: 450.0,
            },
            weights: [38, 14, 14, 10, 12, 4, 8],
            power_meter: false,
            device: "Garmin Forerunner 965",
        },
        Profile {
            athlete: Athlete {
                id: 1002,
                username: "sam_rivera",
                firstname: "Sam",
                lastname: "Rivera",
                city: "Boulder",
                state: "Colorado",
                country: "United States",
                sex: "M",
                weight: 72.5,
                ftp: Some(285),
                created_at,
                tz_name: "America/Denver",
                tz_offset_s: -25_200,
                home: [40.0150, -105.2705],
                base_ele: 1655.0,
            },
            weights: [12, 38, 5, 6, 6, 20, 13],
            power_meter: true,
            device: "Garmin Edge 840",
        },
    ]
}

fn pick_kind(rng: &mut Rng, weights: &[u32; 7]) -> Kind {
    let total: u32 = weights.iter().sum();
    let mut roll = (rng.next_u64() % u64::from(total.max(1))) as u32;
    for (kind, w) in Kind::ALL.iter().zip(weights) {
        if roll < *w {
            return *kind;
        }
        roll -= w;
    }
    Kind::Run
}

/// Builds the seed relative to `now`.
pub(crate) fn seed(now: DateTime<Utc>) -> Seeded {
    let mut planned: Vec<(Recipe, String, u64, &'static str, String)> = Vec::new();
    let profiles = profiles();
    for profile in &profiles {
        let a = &profile.athlete;
        let mut rng = Rng::new(0x5EED_0000 ^ a.id);
        let local_today = (now + Duration::seconds(i64::from(a.tz_offset_s))).date_naive();
        for days_ago in (1..=90).rev() {
            let date = local_today - Duration::days(days_ago);
            let count = match rng.unit() {
                x if x < 0.2 => 0,
                x if x < 0.9 => 1,
                _ => 2,
            };
            for _ in 0..count {
                let kind = pick_kind(&mut rng, &profile.weights);
                let params = kind.params();
                let hour = params.hours[rng.below(params.hours.len())];
                let minute = rng.below(60) as u32;
                let local = date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default());
                let start = local.and_utc() - Duration::seconds(i64::from(a.tz_offset_s));
                let watts = match kind {
                    Kind::VirtualRide => Some(f64::from(a.ftp.unwrap_or(200)) * rng.range(0.7, 0.85)),
                    Kind::Ride if profile.power_meter => Some(f64::from(a.ftp.unwrap_or(200)) * rng.range(0.6, 0.78)),
                    _ => None,
                };
                let recipe = Recipe {
                    seed: rng.next_u64(),
                    kind,
                    start,
                    moving_s: rng.range(params.moving_s.0, params.moving_s.1) as i64,
                    speed: rng.range(params.speed.0, params.speed.1),
                    home: a.home,
                    base_ele: a.base_ele,
                    hills: params.hills.map(|((a0, a1), (c0, c1))| (rng.range(a0, a1), rng.range(c0, c1).round())),
                    hr: params.hr.map(|hr| hr + rng.range(-6.0, 6.0)),
                    watts,
                    cadence: params.cadence,
                    gps: params.gps,
                    pauses: if params.gps { rng.below(4) } else { 0 },
                };
                let name = if rng.unit() < 0.3 {
                    params.names[rng.below(params.names.len())].to_owned()
                } else {
                    default_name(kind.sport_type(), hour)
                };
                let device = if kind == Kind::VirtualRide { "Zwift" } else { profile.device };
                planned.push((recipe, name, a.id, device, a.timezone_label()));
            }
        }
    }
    planned.sort_by_key(|(recipe, _, athlete_id, _, _)| (recipe.start, *athlete_id));
    let first_activity_id = 10_000_000_000u64;
    let first_upload_id = 11_000_000_000u64;
    let mut activities = Vec::with_capacity(planned.len());
    for (i, (recipe, name, athlete_id, device, tz_label)) in planned.into_iter().enumerate() {
        let Ok((summary, _)) = summarize(&recipe.points(), &Default::default()) else {
            continue;
        };
        let (id, upload_id) = (first_activity_id + i as u64, first_upload_id + i as u64);
        let tz_offset_s = profiles.iter().find(|p| p.athlete.id == athlete_id).map_or(0, |p| p.athlete.tz_offset_s);
        activities.push(Activity {
            id,
            athlete_id,
            name,
            description: None,
            sport_type: recipe.kind.sport_type().to_owned(),
            summary,
            tz_label,
            tz_offset_s,
            external_id: Some(format!("{device}-{upload_id}.fit").replace(' ', "_").to_lowercase()),
            upload_id: Some(upload_id),
            trainer: recipe.kind == Kind::VirtualRide,
            commute: false,
            device_name: Some(device.to_owned()),
            file_sha256: None,
            visible_at: None,
            streams: StreamSource::Seeded(recipe),
        });
    }
    let count = activities.len() as u64;
    Seeded {
        athletes: profiles.into_iter().map(|p| p.athlete).collect(),
        activities,
        next_activity_id: first_activity_id + count,
        next_upload_id: first_upload_id + count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_varied() {
        let now = Utc::now();
        let (a, b) = (seed(now), seed(now));
        assert_eq!(a.activities.len(), b.activities.len());
        for athlete in &a.athletes {
            let own: Vec<&Activity> = a.activities.iter().filter(|x| x.athlete_id == athlete.id).collect();
            assert!(own.len() >= 60, "athlete {} has {}", athlete.id, own.len());
            for kind in Kind::ALL {
                assert!(own.iter().any(|x| x.sport_type == kind.sport_type()), "{} lacks {kind:?}", athlete.id);
            }
            assert!(own.iter().all(|x| x.summary.start < now && x.summary.start > now - Duration::days(92)));
        }
        for (x, y) in a.activities.iter().zip(&b.activities) {
            assert_eq!(
                (x.id, &x.name, x.summary.distance, x.summary.moving_time),
                (y.id, &y.name, y.summary.distance, y.summary.moving_time)
            );
        }
    }
}
