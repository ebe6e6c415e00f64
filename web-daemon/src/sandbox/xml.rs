//! GPX 1.1 and TCX (Garmin Training Center) track parsing with quick-xml.
//! Elements are matched by local name, so namespace prefixes (`gpxtpx:hr`, `ns3:Watts`) work.

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::parse::{ParseError, ParsedFile, sport_from_file};
use super::track::Point;

/// Receives the document's elements from [`walk`]; `path` holds the local names from the
/// root to the current element.
trait Visitor {
    fn open(&mut self, path: &[String], element: &BytesStart<'_>, reader: &Reader<&[u8]>);
    fn close(&mut self, path: &[String], text: &str);
}

fn walk(bytes: &[u8], visitor: &mut impl Visitor) -> Result<(), ParseError> {
    let mut reader = Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let malformed = |e: &dyn std::fmt::Display| ParseError::Malformed(format!("XML: {e}"));
    loop {
        match reader.read_event().map_err(|e| malformed(&e))? {
            Event::Start(e) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
                visitor.open(&path, &e, &reader);
            }
            Event::End(_) => {
                visitor.close(&path, text.trim());
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

fn attr_f64(e: &BytesStart<'_>, reader: &Reader<&[u8]>, name: &str) -> Option<f64> {
    let attr = e.try_get_attribute(name).ok()??;
    attr.decode_and_unescape_value(reader.decoder()).ok()?.trim().parse().ok()
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
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

fn attr_string(e: &BytesStart<'_>, reader: &Reader<&[u8]>, name: &str) -> Option<String> {
    let attr = e.try_get_attribute(name).ok()??;
    Some(attr.decode_and_unescape_value(reader.decoder()).ok()?.into_owned())
}

/// Collects points and file metadata for both formats.
#[derive(Default)]
struct Collector {
    file: ParsedFile,
    current: Option<Point>,
    saw_root: bool,
    lap_time: Option<f64>,
    lap_distance: Option<f64>,
}

/// GPX: `gpx@creator`, `trk/name`, `trk/type`, `trkpt@lat/@lon` with `ele`, `time` and the
/// Garmin TrackPointExtension (`hr`, `cad`) or a `power` extension.
struct Gpx(Collector);

impl Visitor for Gpx {
    fn open(&mut self, path: &[String], e: &BytesStart<'_>, reader: &Reader<&[u8]>) {
        let c = &mut self.0;
        if path.len() == 1 && path[0] == "gpx" {
            c.saw_root = true;
            c.file.device = attr_string(e, reader, "creator").filter(|s| !s.is_empty());
        }
        if path.last().is_some_and(|n| n == "trkpt" || n == "rtept") {
            c.current =
                Some(Point { lat: attr_f64(e, reader, "lat"), lon: attr_f64(e, reader, "lon"), ..Point::default() });
        }
    }

    fn close(&mut self, path: &[String], text: &str) {
        let c = &mut self.0;
        let name = path.last().map_or("", String::as_str);
        if let Some(p) = c.current.as_mut() {
            match name {
                "trkpt" | "rtept" => c.file.points.extend(c.current.take()),
                "ele" => p.ele = num(text),
                "time" => p.time = parse_time(text),
                "hr" | "heartrate" => p.hr = num(text),
                "cad" | "cadence" => p.cadence = num(text),
                "power" | "watts" | "PowerInWatts" => p.watts = num(text),
                _ => {}
            }
        } else if parent(path) == "trk" && name == "name" && !text.is_empty() {
            c.file.name = Some(text.to_owned());
        } else if parent(path) == "trk" && name == "type" {
            c.file.sport = sport_from_file(text);
        }
    }
}

pub(crate) fn parse_gpx(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let mut gpx = Gpx(Collector::default());
    walk(bytes, &mut gpx)?;
    if !gpx.0.saw_root {
        return Err(ParseError::Malformed("not a GPX document (no <gpx> root)".into()));
    }
    Ok(gpx.0.file)
}

/// TCX: `Activity@Sport`, `Lap` totals, `Creator/Name`, `Trackpoint` with Time, Position,
/// AltitudeMeters, DistanceMeters, HeartRateBpm/Value, Cadence and the TPX extension (Watts,
/// RunCadence).
struct Tcx(Collector);

impl Visitor for Tcx {
    fn open(&mut self, path: &[String], e: &BytesStart<'_>, reader: &Reader<&[u8]>) {
        let c = &mut self.0;
        let name = path.last().map_or("", String::as_str);
        c.saw_root |= path.len() == 1 && name == "TrainingCenterDatabase";
        if name == "Activity" {
            c.file.sport = attr_string(e, reader, "Sport").as_deref().and_then(sport_from_file);
        } else if name == "Trackpoint" {
            c.current = Some(Point::default());
        }
    }

    fn close(&mut self, path: &[String], text: &str) {
        let c = &mut self.0;
        let name = path.last().map_or("", String::as_str);
        if let Some(p) = c.current.as_mut() {
            match name {
                "Trackpoint" => c.file.points.extend(c.current.take()),
                "Time" => p.time = parse_time(text),
                "LatitudeDegrees" => p.lat = num(text),
                "LongitudeDegrees" => p.lon = num(text),
                "AltitudeMeters" => p.ele = num(text),
                "DistanceMeters" => p.dist = num(text),
                "Value" if parent(path) == "HeartRateBpm" => p.hr = num(text),
                "Cadence" | "RunCadence" => p.cadence = num(text),
                "Watts" => p.watts = num(text),
                _ => {}
            }
        } else if parent(path) == "Lap" && name == "TotalTimeSeconds" {
            c.lap_time = Some(c.lap_time.unwrap_or(0.0) + num(text).unwrap_or(0.0));
        } else if parent(path) == "Lap" && name == "DistanceMeters" {
            c.lap_distance = Some(c.lap_distance.unwrap_or(0.0) + num(text).unwrap_or(0.0));
        } else if parent(path) == "Creator" && name == "Name" && !text.is_empty() {
            c.file.device = Some(text.to_owned());
        }
    }
}

pub(crate) fn parse_tcx(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let mut tcx = Tcx(Collector::default());
    walk(bytes, &mut tcx)?;
    let mut c = tcx.0;
    if !c.saw_root {
        return Err(ParseError::Malformed("not a TCX document (no <TrainingCenterDatabase> root)".into()));
    }
    c.file.totals.moving_s = c.lap_time.filter(|t| *t > 0.0);
    c.file.totals.distance = c.lap_distance.filter(|d| *d > 0.0);
    Ok(c.file)
}
