//! FIT activity files as a Garmin watch writes them: `file_id`, `device_info`, timer `event`s,
//! one `record` per second, `lap`s, one `session` and the `activity` with its `local_timestamp`.
//!
//! Field numbers and scales follow the FIT profile (as in `fitparser`'s generated profile):
//! record 20 {253 timestamp, 0/1 position semicircles, 2 altitude and 78 enhanced_altitude
//! (scale 5, offset 500), 3 heart_rate, 4 cadence, 5 distance (scale 100), 6 speed and
//! 73 enhanced_speed (scale 1000), 7 power, 13 temperature}.

use chrono::Offset;

use crate::fit_writer::{FitWriter, Message, fit_time, semicircles};
use crate::model::Totals;
use crate::model::{GeneratedActivity, Sample, SportType};

const MANUFACTURER_GARMIN: u16 = 1;
const PRODUCT_FORERUNNER_965: u16 = 4315;
const SERIAL: u32 = 3_412_345_678;

const MESG_FILE_ID: u16 = 0;
const MESG_SESSION: u16 = 18;
const MESG_LAP: u16 = 19;
const MESG_RECORD: u16 = 20;
const MESG_EVENT: u16 = 21;
const MESG_DEVICE_INFO: u16 = 23;
const MESG_ACTIVITY: u16 = 34;

const EVENT_TIMER: u8 = 0;
const EVENT_SESSION: u8 = 8;
const EVENT_LAP: u8 = 9;
const EVENT_ACTIVITY: u8 = 26;
const EVENT_TYPE_START: u8 = 0;
const EVENT_TYPE_STOP: u8 = 1;
const EVENT_TYPE_STOP_ALL: u8 = 4;

/// FIT `sport` and `sub_sport` of a Strava sport type.
pub fn sport_codes(sport: SportType) -> (u8, u8) {
    match sport {
        SportType::Run => (1, 0),          // running, generic
        SportType::TrailRun => (1, 3),     // running, trail
        SportType::Ride => (2, 7),         // cycling, road
        SportType::VirtualRide => (2, 58), // cycling, virtual_activity
        SportType::Swim => (5, 17),        // swimming, lap_swimming
    }
}

/// Encodes an activity as a FIT file.
pub fn encode(activity: &GeneratedActivity) -> Vec<u8> {
    let samples = &activity.samples;
    let start_unix = activity.start.timestamp();
    let ts = |t: u32| fit_time(start_unix + i64::from(t));
    let last = samples.last().expect("samples");
    let end = ts(last.t);
    let mut fit = FitWriter::with_capacity(samples.len() * 40 + 512);

    let file_id = Message::new(MESG_FILE_ID)
        .enumeration(0, Some(4)) // type: activity
        .u16(1, Some(MANUFACTURER_GARMIN))
        .u16(2, Some(PRODUCT_FORERUNNER_965))
        .u32z(3, SERIAL)
        .u32(4, Some(ts(0)));
    fit.write(0, &file_id);
    let device = Message::new(MESG_DEVICE_INFO)
        .u32(253, Some(ts(0)))
        .u8(0, Some(0)) // device_index: creator
        .u16(2, Some(MANUFACTURER_GARMIN))
        .u32z(3, SERIAL)
        .u16(4, Some(PRODUCT_FORERUNNER_965))
        .u16(5, Some(2_011)); // software_version 20.11 (scale 100)
    fit.write(0, &device);
    fit.write(0, &event(ts(0), EVENT_TYPE_START));

    for sample in samples {
        fit.write(1, &record(sample, ts(sample.t)));
    }

    fit.write(0, &event(end, EVENT_TYPE_STOP_ALL));
    let (sport, sub_sport) = sport_codes(activity.sport);
    for (index, lap) in activity.laps.iter().enumerate() {
        let slice = &samples[lap.first..=lap.last];
        let totals = Totals::from_samples(slice);
        let message = summary(Message::new(MESG_LAP).u32(253, Some(ts(slice[slice.len() - 1].t))), &totals)
            .u16(254, Some(index as u16))
            .enumeration(0, Some(EVENT_LAP))
            .enumeration(1, Some(EVENT_TYPE_STOP))
            .u32(2, Some(ts(slice[0].t)))
            .enumeration(25, Some(sport))
            .enumeration(39, Some(sub_sport));
        fit.write(2, &message);
    }
    let totals = &activity.totals;
    let first_position = samples[0].position;
    let mut session = summary(Message::new(MESG_SESSION).u32(253, Some(end)), totals)
        .u16(254, Some(0))
        .enumeration(0, Some(EVENT_SESSION))
        .enumeration(1, Some(EVENT_TYPE_STOP))
        .u32(2, Some(ts(0)))
        .i32(3, first_position.map(|p| semicircles(p.lat)))
        .i32(4, first_position.map(|p| semicircles(p.lon)))
        .enumeration(5, Some(sport))
        .enumeration(6, Some(sub_sport))
        .u16(25, Some(0))
        .u16(26, Some(activity.laps.len() as u16))
        .u32(59, Some(totals.moving_s * 1000));
    if activity.sport == SportType::Swim {
        session = session.u16(44, Some(2_500)).enumeration(46, Some(0)); // 25.00 m pool, metric
    }
    fit.write(3, &session);

    let offset = activity.local_start().offset().fix().local_minus_utc();
    let activity_message = Message::new(MESG_ACTIVITY)
        .u32(253, Some(end))
        .u32(0, Some(totals.elapsed_s * 1000))
        .u16(1, Some(1))
        .enumeration(2, Some(0)) // type: manual
        .enumeration(3, Some(EVENT_ACTIVITY))
        .enumeration(4, Some(EVENT_TYPE_STOP))
        .u32(5, Some((i64::from(end) + i64::from(offset)) as u32));
    fit.write(4, &activity_message);
    fit.finish()
}

fn event(timestamp: u32, event_type: u8) -> Message {
    Message::new(MESG_EVENT)
        .u32(253, Some(timestamp))
        .enumeration(0, Some(EVENT_TIMER))
        .enumeration(1, Some(event_type))
        .u8(4, Some(0))
}

fn record(s: &Sample, timestamp: u32) -> Message {
    let mut m = Message::new(MESG_RECORD).u32(253, Some(timestamp));
    if let Some(p) = s.position {
        m = m.i32(0, Some(semicircles(p.lat))).i32(1, Some(semicircles(p.lon)));
    }
    if let Some(alt) = s.altitude_m {
        let scaled = ((alt + 500.0) * 5.0).round();
        m = m.u16(2, Some(scaled as u16)).u32(78, Some(scaled as u32));
    }
    let speed = (s.speed_mps * 1000.0).round();
    m = m.u32(5, Some((s.distance_m * 100.0).round() as u32)).u16(6, Some(speed as u16)).u32(73, Some(speed as u32));
    if let Some(hr) = s.heart_rate {
        m = m.u8(3, Some(hr));
    }
    if let Some(cadence) = s.cadence {
        m = m.u8(4, Some(cadence));
    }
    if let Some(power) = s.power {
        m = m.u16(7, Some(power));
    }
    if let Some(temperature) = s.temperature_c {
        m = m.i8(13, Some(temperature));
    }
    m
}

/// The fields lap and session share, at their message-specific numbers.
fn summary(m: Message, t: &Totals) -> Message {
    let lap = m.global() == MESG_LAP;
    let n = |lap_number: u8, session_number: u8| if lap { lap_number } else { session_number };
    let ms = |s: u32| Some(s * 1000);
    let speed = |v: f64| Some((v * 1000.0).round() as u16);
    let avg_speed = if t.moving_s > 0 { t.distance_m / f64::from(t.moving_s) } else { 0.0 };
    let calories = match t.avg_power {
        Some(watts) => watts * f64::from(t.moving_s) / 1000.0,
        None => t.distance_m / 1000.0 * 70.0,
    };
    m.u32(7, ms(t.elapsed_s))
        .u32(8, ms(t.elapsed_s))
        .u32(9, Some((t.distance_m * 100.0).round() as u32))
        .u16(11, Some(calories.round() as u16))
        .u16(n(13, 14), speed(avg_speed))
        .u16(n(14, 15), speed(t.max_speed_mps))
        .u8(n(15, 16), t.avg_heart_rate.map(|v| v.round() as u8))
        .u8(n(16, 17), t.max_heart_rate)
        .u8(n(17, 18), t.avg_cadence.map(|v| v.round() as u8))
        .u16(n(19, 20), t.avg_power.map(|v| v.round() as u16))
        .u16(n(20, 21), t.max_power)
        .u16(n(21, 22), Some(t.elevation_gain_m.round() as u16))
        .u16(n(22, 23), Some(t.elevation_loss_m.round() as u16))
}
