//! Garmin Training Center XML v2: `Activity Sport`, one `Lap` per workout block with
//! TotalTimeSeconds/DistanceMeters/HR, Trackpoints with HeartRateBpm, Cadence (bike) and the
//! ActivityExtension `ns3:TPX` (`Speed`, `Watts`, `RunCadence`).

use std::fmt::Write as _;

use crate::model::Totals;
use crate::model::{GeneratedActivity, Sample, SportType};
use crate::xml_text::{push_escaped, push_time};

const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2 http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd">
 <Activities>
"#;

/// TCX `Sport` attribute (the schema knows only Running, Biking and Other).
pub fn tcx_sport(sport: SportType) -> &'static str {
    match sport {
        SportType::Run | SportType::TrailRun => "Running",
        SportType::Ride | SportType::VirtualRide => "Biking",
        SportType::Swim => "Other",
    }
}

/// Encodes an activity as TCX. Every sample appears once (a lap's first trackpoint is the one
/// after the previous lap's last), so there are as many trackpoints as samples.
pub fn encode(activity: &GeneratedActivity) -> String {
    let mut out = String::with_capacity(activity.samples.len() * 330 + 2048);
    out.push_str(HEADER);
    write!(out, "  <Activity Sport=\"{}\">\n   <Id>", tcx_sport(activity.sport)).expect("String");
    push_time(&mut out, activity.start, 0, true);
    out.push_str("</Id>\n");
    let bike = activity.sport.is_ride();
    for (index, lap) in activity.laps.iter().enumerate() {
        let slice = &activity.samples[lap.first..=lap.last];
        let totals = Totals::from_samples(slice);
        out.push_str("   <Lap StartTime=\"");
        push_time(&mut out, activity.start, slice[0].t, true);
        out.push_str("\">\n");
        writeln!(out, "    <TotalTimeSeconds>{}.0</TotalTimeSeconds>", totals.elapsed_s).expect("String");
        writeln!(out, "    <DistanceMeters>{:.2}</DistanceMeters>", totals.distance_m).expect("String");
        writeln!(out, "    <MaximumSpeed>{:.3}</MaximumSpeed>", totals.max_speed_mps).expect("String");
        let calories = totals.avg_power.map_or(totals.distance_m * 0.07, |w| w * f64::from(totals.moving_s) / 1000.0);
        writeln!(out, "    <Calories>{}</Calories>", calories.round() as u32).expect("String");
        if let (Some(avg), Some(max)) = (totals.avg_heart_rate, totals.max_heart_rate) {
            writeln!(out, "    <AverageHeartRateBpm><Value>{}</Value></AverageHeartRateBpm>", avg.round() as u32)
                .expect("String");
            writeln!(out, "    <MaximumHeartRateBpm><Value>{max}</Value></MaximumHeartRateBpm>").expect("String");
        }
        out.push_str("    <Intensity>Active</Intensity>\n");
        if let (true, Some(cadence)) = (bike, totals.avg_cadence) {
            writeln!(out, "    <Cadence>{}</Cadence>", cadence.round() as u32).expect("String");
        }
        out.push_str("    <TriggerMethod>Manual</TriggerMethod>\n    <Track>\n");
        let skip = usize::from(index > 0);
        for s in &slice[skip..] {
            trackpoint(&mut out, activity, s, bike);
        }
        out.push_str("    </Track>\n");
        if let Some(watts) = totals.avg_power {
            writeln!(
                out,
                "    <Extensions><ns3:LX><ns3:AvgWatts>{}</ns3:AvgWatts></ns3:LX></Extensions>",
                watts.round()
            )
            .expect("String");
        }
        out.push_str("   </Lap>\n");
    }
    if !activity.description.is_empty() {
        out.push_str("   <Notes>");
        push_escaped(&mut out, &activity.description);
        out.push_str("</Notes>\n");
    }
    out.push_str(
        "   <Creator xsi:type=\"Device_t\">\n    <Name>Forerunner 965</Name>\n    <UnitId>3412345678</UnitId>\n    \
         <ProductID>4315</ProductID>\n    <Version><VersionMajor>20</VersionMajor><VersionMinor>11</VersionMinor>\
         <BuildMajor>0</BuildMajor><BuildMinor>0</BuildMinor></Version>\n   </Creator>\n",
    );
    out.push_str("  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n");
    out
}

fn trackpoint(out: &mut String, activity: &GeneratedActivity, s: &Sample, bike: bool) {
    out.push_str("     <Trackpoint>\n      <Time>");
    push_time(out, activity.start, s.t, true);
    out.push_str("</Time>\n");
    if let Some(p) = s.position {
        writeln!(
            out,
            "      <Position><LatitudeDegrees>{:.7}</LatitudeDegrees><LongitudeDegrees>{:.7}</LongitudeDegrees></Position>",
            p.lat, p.lon
        )
        .expect("String");
    }
    if let Some(alt) = s.altitude_m {
        writeln!(out, "      <AltitudeMeters>{alt:.1}</AltitudeMeters>").expect("String");
    }
    writeln!(out, "      <DistanceMeters>{:.2}</DistanceMeters>", s.distance_m).expect("String");
    if let Some(hr) = s.heart_rate {
        writeln!(out, "      <HeartRateBpm><Value>{hr}</Value></HeartRateBpm>").expect("String");
    }
    if let (true, Some(cadence)) = (bike, s.cadence) {
        writeln!(out, "      <Cadence>{cadence}</Cadence>").expect("String");
    }
    write!(out, "      <Extensions><ns3:TPX><ns3:Speed>{:.3}</ns3:Speed>", s.speed_mps).expect("String");
    if let Some(watts) = s.power {
        write!(out, "<ns3:Watts>{watts}</ns3:Watts>").expect("String");
    }
    if let (false, Some(cadence)) = (bike, s.cadence) {
        write!(out, "<ns3:RunCadence>{cadence}</ns3:RunCadence>").expect("String");
    }
    out.push_str("</ns3:TPX></Extensions>\n     </Trackpoint>\n");
}
