//! Test data shared by several test modules: the MCP tool list and a GPX track generator.

use chrono::{DateTime, Utc};

/// Every MCP tool pacer serves, sorted by name.
pub const TOOLS: [&str; 16] = [
    "connect_provider",
    "disconnect_provider",
    "get_activities",
    "get_activity",
    "get_activity_streams",
    "get_athlete",
    "get_athlete_settings",
    "get_athlete_stats",
    "get_connection_status",
    "get_personal_records",
    "get_training_load",
    "get_weekly_summary",
    "import_activities",
    "search_activities",
    "set_athlete_settings",
    "upload_activity",
];

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let (dlat, dlon) = (lat2 - lat1, (b.1 - a.1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// A GPX 1.1 track of `n` points every `step_s` seconds from `start`, heading north-east from
/// `origin` (≈ 5.5 m per point), with elevation and Garmin heart-rate extensions. Returns the
/// file and its great-circle length in metres.
pub fn gpx(start: DateTime<Utc>, n: usize, step_s: i64, origin: (f64, f64)) -> (Vec<u8>, f64) {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"pacer it\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\n\
         <trk><name>IT track</name><type>running</type><trkseg>\n",
    );
    let mut distance = 0.0;
    let mut last: Option<(f64, f64)> = None;
    for i in 0..n {
        let pos = (origin.0 + 0.000_04 * i as f64, origin.1 + 0.000_04 * i as f64);
        if let Some(prev) = last {
            distance += haversine(prev, pos);
        }
        last = Some(pos);
        let time = start + chrono::Duration::seconds(step_s * i as i64);
        out.push_str(&format!(
            "<trkpt lat=\"{:.7}\" lon=\"{:.7}\"><ele>{:.1}</ele><time>{}</time><extensions>\
             <gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension>\
             </extensions></trkpt>\n",
            pos.0,
            pos.1,
            400.0 + 12.0 * (i as f64 / 25.0).sin(),
            time.format("%Y-%m-%dT%H:%M:%SZ"),
            130 + i % 25,
        ));
    }
    out.push_str("</trkseg></trk></gpx>\n");
    (out.into_bytes(), distance)
}
