//! Text helpers of the XML encoders (GPX, TCX): escaping and timestamps.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};

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
