//! One entry point for activity files: pick the encoder, gzip when asked; shared XML helpers.

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::{DateTime, Duration, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::model::{FileFormat, FileKind, GeneratedActivity};

/// The activity's file in `kind` (FIT/GPX/TCX, gzipped or not).
pub fn encode(activity: &GeneratedActivity, kind: FileKind) -> Vec<u8> {
    let plain = match kind.format {
        FileFormat::Fit => crate::fit::encode(activity),
        FileFormat::Gpx => crate::gpx::encode(activity).into_bytes(),
        FileFormat::Tcx => crate::tcx::encode(activity).into_bytes(),
    };
    if kind.gzip { gzip(&plain) } else { plain }
}

/// Gzip with a fixed header (mtime 0, OS unknown) so output is identical everywhere.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 3), Compression::new(6));
    encoder.write_all(data).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Appends `text` with XML's five special characters escaped.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Appends `start + t` seconds as `2024-01-05T07:12:34Z` (`millis` adds `.000`, as TCX does).
pub(crate) fn push_time(out: &mut String, start: DateTime<Utc>, t: u32, millis: bool) {
    let time = start + Duration::seconds(i64::from(t));
    let format = if millis { "%Y-%m-%dT%H:%M:%S%.3fZ" } else { "%Y-%m-%dT%H:%M:%SZ" };
    write!(out, "{}", time.format(format)).expect("writing to a String cannot fail");
}
