//! Fixtures for tests of this crate and its dependants (feature `testing`): a minimal FIT
//! encoder, a GPX writer and gzip.

use std::io::Write as _;

/// Seconds between the unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
const FIT_EPOCH: i64 = 631_065_600;

/// The FIT CRC-16 of `data`.
pub fn fit_crc(data: &[u8]) -> u16 {
    const TABLE: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01,
        0x8801, 0x4400,
    ];
    data.iter().fold(0u16, |mut crc, byte| {
        let tmp = TABLE[usize::from(crc & 0xF)];
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[usize::from(byte & 0xF)];
        let tmp = TABLE[usize::from(crc & 0xF)];
        ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[usize::from((byte >> 4) & 0xF)]
    })
}

/// Writes FIT definition and data messages, then header and CRCs.
#[derive(Default)]
pub struct FitWriter {
    data: Vec<u8>,
}

impl FitWriter {
    /// Definition message: `fields` are (field number, size, base type).
    pub fn define(&mut self, local: u8, global: u16, fields: &[(u8, u8, u8)]) {
        self.data.extend_from_slice(&[0x40 | local, 0, 0]);
        self.data.extend_from_slice(&global.to_le_bytes());
        self.data.push(fields.len() as u8);
        for (number, size, base) in fields {
            self.data.extend_from_slice(&[*number, *size, *base]);
        }
    }

    /// Data message of local type `local`.
    pub fn record(&mut self, local: u8, bytes: &[u8]) {
        self.data.push(local);
        self.data.extend_from_slice(bytes);
    }

    /// The whole file: 14-byte header with CRC, the messages, the file CRC.
    pub fn finish(self) -> Vec<u8> {
        let mut header = vec![14u8, 0x20];
        header.extend_from_slice(&2132u16.to_le_bytes());
        header.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        header.extend_from_slice(b".FIT");
        let header_crc = fit_crc(&header);
        header.extend_from_slice(&header_crc.to_le_bytes());
        // A zero header CRC means "absent": the data CRC then covers the header too.
        let data_crc =
            if header_crc == 0 { fit_crc(&[&header[..], &self.data[..]].concat()) } else { fit_crc(&self.data) };
        let mut out = header;
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&data_crc.to_le_bytes());
        out
    }
}

const UINT8: u8 = 0x02;
const ENUM: u8 = 0x00;
const UINT16: u8 = 0x84;
const SINT32: u8 = 0x85;
const UINT32: u8 = 0x86;

/// A running activity: `n` records 10 s apart going north ~11.1 m each with heart rate
/// 150 + i % 5, plus a session (sport running, total distance `n - 1` × 11.1 m).
pub fn running_fit(start_unix: i64, n: u32) -> Vec<u8> {
    running_fit_with_offset(start_unix, n, None)
}

/// [`running_fit`], plus an `activity` message whose `local_timestamp` is `utc_offset_s`
/// ahead of its `timestamp` when given.
pub fn running_fit_with_offset(start_unix: i64, n: u32, utc_offset_s: Option<i32>) -> Vec<u8> {
    let fit_seconds = |unix: i64| u32::try_from(unix - FIT_EPOCH).unwrap_or(0);
    let ts = |offset: u32| (fit_seconds(start_unix) + offset).to_le_bytes();
    let mut fit = FitWriter::default();
    // file_id: type = activity, manufacturer = garmin, time_created.
    fit.define(0, 0, &[(0, 1, ENUM), (1, 2, UINT16), (4, 4, UINT32)]);
    fit.record(0, &[&[4u8][..], &1u16.to_le_bytes(), &ts(0)].concat());
    // record: timestamp, position_lat, position_long, altitude (scale 5, offset 500), heart_rate,
    // distance (scale 100).
    fit.define(
        1,
        20,
        &[(253, 4, UINT32), (0, 4, SINT32), (1, 4, SINT32), (2, 2, UINT16), (3, 1, UINT8), (5, 4, UINT32)],
    );
    let semicircles = |deg: f64| ((deg / 180.0 * 2_147_483_648.0).round() as i32).to_le_bytes();
    for i in 0..n {
        let lat = 45.0 + 0.0001 * f64::from(i);
        let altitude = ((400.0 + f64::from(i) + 500.0) * 5.0) as u16;
        let distance = (f64::from(i) * 11.1 * 100.0).round() as u32;
        let bytes = [
            &ts(10 * i)[..],
            &semicircles(lat),
            &semicircles(6.1),
            &altitude.to_le_bytes(),
            &[150 + (i % 5) as u8],
            &distance.to_le_bytes(),
        ]
        .concat();
        fit.record(1, &bytes);
    }
    // session: timestamp, start_time, total_elapsed_time, total_timer_time (ms), total_distance
    // (cm), sport = running.
    fit.define(
        2,
        18,
        &[(253, 4, UINT32), (2, 4, UINT32), (7, 4, UINT32), (8, 4, UINT32), (9, 4, UINT32), (5, 1, ENUM)],
    );
    let last = 10 * n.saturating_sub(1);
    let elapsed_ms = (last * 1000).to_le_bytes();
    let distance_cm = (f64::from(n.saturating_sub(1)) * 11.1 * 100.0).round() as u32;
    fit.record(2, &[&ts(last)[..], &ts(0), &elapsed_ms, &elapsed_ms, &distance_cm.to_le_bytes(), &[1u8]].concat());
    if let Some(offset) = utc_offset_s {
        // activity: timestamp, local_timestamp (local_date_time).
        fit.define(3, 34, &[(253, 4, UINT32), (5, 4, UINT32)]);
        let local = (i64::from(fit_seconds(start_unix) + last) + i64::from(offset)) as u32;
        fit.record(3, &[&ts(last)[..], &local.to_le_bytes()].concat());
    }
    fit.finish()
}

/// A GPX track of `n` points 30 s apart from `start_unix`, going north ~111 m each, with
/// elevation, heart rate and the activity `kind` (e.g. `running`).
pub fn gpx(start_unix: i64, n: u32, kind: &str) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"pacer test\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\
         <trk><name>Test &amp; track</name><type>{kind}</type><trkseg>"
    );
    for i in 0..n {
        let time = chrono::DateTime::from_timestamp(start_unix + 30 * i64::from(i), 0).unwrap_or_default();
        out.push_str(&format!(
            "<trkpt lat=\"{}\" lon=\"6.0\"><ele>{}</ele><time>{}</time><extensions><gpxtpx:TrackPointExtension>\
             <gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>",
            45.0 + 0.001 * f64::from(i),
            400 + i,
            time.format("%Y-%m-%dT%H:%M:%SZ"),
            140 + i
        ));
    }
    out.push_str("</trkseg></trk></gpx>");
    out
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
