//! GPX 1.1 as Garmin Connect exports it: one track, `<type>`, points with `<ele>`, `<time>` and
//! `<extensions>` holding `<power>` and Garmin's TrackPointExtension (`atemp`, `hr`, `cad`).

use std::fmt::Write as _;

use crate::model::{GeneratedActivity, SportType};
use crate::xml_text::{push_escaped, push_time};

const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="Garmin Connect" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3" xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd http://www.garmin.com/xmlschemas/TrackPointExtension/v1 http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd">
"#;

/// GPX `<type>` of a sport (Garmin's activity type keys).
pub fn gpx_type(sport: SportType) -> &'static str {
    match sport {
        SportType::Run => "running",
        SportType::TrailRun => "trail_running",
        SportType::Ride => "cycling",
        SportType::VirtualRide => "virtual_ride",
        SportType::Swim => "lap_swimming",
    }
}

/// Encodes an activity as GPX; samples without a position are left out (GPX needs lat/lon).
pub fn encode(activity: &GeneratedActivity) -> String {
    let mut out = String::with_capacity(activity.samples.len() * 230 + 1024);
    out.push_str(HEADER);
    out.push_str(" <metadata>\n  <time>");
    push_time(&mut out, activity.start, 0, false);
    out.push_str("</time>\n </metadata>\n <trk>\n  <name>");
    push_escaped(&mut out, &activity.name);
    out.push_str("</name>\n");
    if !activity.description.is_empty() {
        out.push_str("  <desc>");
        push_escaped(&mut out, &activity.description);
        out.push_str("</desc>\n");
    }
    writeln!(out, "  <type>{}</type>\n  <trkseg>", gpx_type(activity.sport)).expect("String");
    for s in &activity.samples {
        let Some(p) = s.position else { continue };
        writeln!(out, "   <trkpt lat=\"{:.7}\" lon=\"{:.7}\">", p.lat, p.lon).expect("String");
        if let Some(alt) = s.altitude_m {
            writeln!(out, "    <ele>{alt:.1}</ele>").expect("String");
        }
        out.push_str("    <time>");
        push_time(&mut out, activity.start, s.t, false);
        out.push_str("</time>\n    <extensions>\n");
        if let Some(power) = s.power {
            writeln!(out, "     <power>{power}</power>").expect("String");
        }
        out.push_str("     <gpxtpx:TrackPointExtension>\n");
        if let Some(temperature) = s.temperature_c {
            writeln!(out, "      <gpxtpx:atemp>{temperature}</gpxtpx:atemp>").expect("String");
        }
        if let Some(hr) = s.heart_rate {
            writeln!(out, "      <gpxtpx:hr>{hr}</gpxtpx:hr>").expect("String");
        }
        if let Some(cadence) = s.cadence {
            writeln!(out, "      <gpxtpx:cad>{cadence}</gpxtpx:cad>").expect("String");
        }
        out.push_str("     </gpxtpx:TrackPointExtension>\n    </extensions>\n   </trkpt>\n");
    }
    out.push_str("  </trkseg>\n </trk>\n</gpx>\n");
    out
}
