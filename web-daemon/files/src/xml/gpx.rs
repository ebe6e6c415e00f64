//! GPX: `gpx@creator`, `trk/name`, `trk/type`, `trkpt@lat/@lon` (and `rtept`) with `ele`,
//! `time` and the Garmin TrackPointExtension (`hr`, `cad`, `atemp`) or a `power` extension.

use quick_xml::Reader;
use quick_xml::events::BytesStart;

use super::{Visitor, attr_f64, attr_string, last, num, parent, parse_time, walk};
use crate::error::ParseError;
use crate::limits::Limits;
use crate::parsed::{ParsedFile, Point, push_point};
use crate::sport::sport_from_file;

struct Gpx<'l> {
    limits: &'l Limits,
    file: ParsedFile,
    current: Option<Point>,
    saw_root: bool,
}

impl Visitor for Gpx<'_> {
    fn open(&mut self, path: &[String], e: &BytesStart<'_>, reader: &Reader<&[u8]>) {
        if path.len() == 1 && path[0] == "gpx" {
            self.saw_root = true;
            self.file.device = attr_string(e, reader, "creator").filter(|s| !s.is_empty());
        }
        if matches!(last(path), "trkpt" | "rtept") {
            let (lat, lon) = (attr_f64(e, reader, "lat"), attr_f64(e, reader, "lon"));
            self.current = Some(Point { lat, lon, ..Point::default() });
        }
    }

    fn close(&mut self, path: &[String], text: &str) -> Result<(), ParseError> {
        let name = last(path);
        if let Some(p) = self.current.as_mut() {
            match name {
                "trkpt" | "rtept" => {
                    if let Some(point) = self.current.take() {
                        push_point(&mut self.file.points, point, self.limits)?;
                    }
                }
                "ele" => p.ele = num(text),
                "time" => p.time = parse_time(text),
                "hr" | "heartrate" => p.hr = num(text),
                "cad" | "cadence" => p.cadence = num(text),
                "power" | "watts" | "PowerInWatts" => p.watts = num(text),
                "atemp" | "temp" => p.temp = num(text),
                _ => {}
            }
        } else if parent(path) == "trk" && name == "name" && !text.is_empty() {
            self.file.name = Some(text.to_owned());
        } else if parent(path) == "trk" && name == "type" {
            self.file.sport = sport_from_file(text);
        }
        Ok(())
    }
}

pub(crate) fn parse_gpx(bytes: &[u8], limits: &Limits) -> Result<ParsedFile, ParseError> {
    let mut gpx = Gpx { limits, file: ParsedFile::default(), current: None, saw_root: false };
    walk(bytes, limits, &mut gpx)?;
    if !gpx.saw_root {
        return Err(ParseError::Malformed("not a GPX document (no <gpx> root)".into()));
    }
    Ok(gpx.file)
}
