//! One entry point for activity files: pick the encoder, gzip when asked; shared XML helpers.

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
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

/// Gzip (level 1: speed matters more than size here) with a fixed header (mtime 0, OS
/// unknown) so output is identical everywhere.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 3), Compression::fast());
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
    let (date, clock) = (time.date_naive(), time.time());
    write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        date.year(),
        date.month(),
        date.day(),
        clock.hour(),
        clock.minute(),
        clock.second(),
        if millis { ".000Z" } else { "Z" }
    )
    .expect("writing to a String cannot fail");
}
