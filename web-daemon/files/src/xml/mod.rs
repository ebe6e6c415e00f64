//! GPX 1.1 and TCX (Garmin Training Center) parsing with quick-xml. Elements are matched by
//! local name, so namespace prefixes (`gpxtpx:hr`, `ns3:Watts`) work. The walker refuses
//! nesting deeper than [`Limits::max_xml_depth`] before allocating for it; only the five
//! predefined entities and character references are resolved (no DTD expansion).

mod gpx;
mod tcx;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::ParseError;
use crate::limits::Limits;

pub(crate) use gpx::parse_gpx;
pub(crate) use tcx::parse_tcx;

/// Receives the document's elements from [`walk`]; `path` holds the local names from the
/// root to the current element.
trait Visitor {
    fn open(&mut self, path: &[String], element: &BytesStart<'_>, reader: &Reader<&[u8]>);
    fn close(&mut self, path: &[String], text: &str) -> Result<(), ParseError>;
}

fn malformed(e: &dyn std::fmt::Display) -> ParseError {
    ParseError::Malformed(format!("XML: {e}"))
}

fn walk(bytes: &[u8], limits: &Limits, visitor: &mut impl Visitor) -> Result<(), ParseError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().expand_empty_elements = true;
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| malformed(&e))? {
            Event::Start(e) => {
                if path.len() >= limits.max_xml_depth {
                    return Err(ParseError::TooDeep { max: limits.max_xml_depth });
                }
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
                visitor.open(&path, &e, &reader);
            }
            Event::End(_) => {
                visitor.close(&path, text.trim())?;
                text.clear();
                path.pop();
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| malformed(&e))?),
            Event::CData(t) => text.push_str(&t.decode().map_err(|e| malformed(&e))?),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| malformed(&e))? {
                    Some(c) => Some(c),
                    None => match r.decode().map_err(|e| malformed(&e))?.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                text.extend(resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if path.is_empty() { Ok(()) } else { Err(ParseError::Malformed("XML: unexpected end of file".into())) }
}

fn attr_string(e: &BytesStart<'_>, reader: &Reader<&[u8]>, name: &str) -> Option<String> {
    let attr = e.try_get_attribute(name).ok()??;
    Some(attr.decode_and_unescape_value(reader.decoder()).ok()?.into_owned())
}

fn attr_f64(e: &BytesStart<'_>, reader: &Reader<&[u8]>, name: &str) -> Option<f64> {
    attr_string(e, reader, name)?.trim().parse().ok().filter(|v: &f64| v.is_finite())
}

/// An RFC 3339 time, or one without offset (read as UTC).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()))
        .ok()
}

fn num(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parent(path: &[String]) -> &str {
    path.len().checked_sub(2).and_then(|i| path.get(i)).map_or("", String::as_str)
}

fn last(path: &[String]) -> &str {
    path.last().map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_and_without_offset() {
        let utc = parse_time("2024-01-05T07:12:34Z");
        assert_eq!(utc, parse_time("2024-01-05T08:12:34+01:00"));
        assert_eq!(utc, parse_time("2024-01-05T07:12:34"));
        assert_eq!(parse_time("yesterday"), None);
    }
}
