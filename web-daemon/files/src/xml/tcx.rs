//! TCX: `Activity@Sport`, `Lap` totals, `Creator/Name`, `Trackpoint` with Time, Position,
//! AltitudeMeters, DistanceMeters, HeartRateBpm/Value, Cadence and the TPX extension (Watts,
//! RunCadence).

use quick_xml::Reader;
use quick_xml::events::BytesStart;

use super::{Visitor, attr_string, last, num, parent, parse_time, walk};
use crate::error::ParseError;
use crate::limits::Limits;
use crate::parsed::{ParsedFile, Point, push_point};
use crate::sport::sport_from_file;

struct Tcx<'l> {
    limits: &'l Limits,
    file: ParsedFile,
    current: Option<Point>,
    saw_root: bool,
    lap_time: Option<f64>,
    lap_distance: Option<f64>,
}

impl Visitor for Tcx<'_> {
    fn open(&mut self, path: &[String], e: &BytesStart<'_>, reader: &Reader<&[u8]>) {
        let name = last(path);
        self.saw_root |= path.len() == 1 && name == "TrainingCenterDatabase";
        if name == "Activity" {
            self.file.sport = attr_string(e, reader, "Sport").as_deref().and_then(sport_from_file);
        } else if name == "Trackpoint" {
            self.current = Some(Point::default());
        }
    }

    fn close(&mut self, path: &[String], text: &str) -> Result<(), ParseError> {
        let name = last(path);
        if let Some(p) = self.current.as_mut() {
            match name {
                "Trackpoint" => {
                    if let Some(point) = self.current.take() {
                        push_point(&mut self.file.points, point, self.limits)?;
                    }
                }
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
            self.lap_time = Some(self.lap_time.unwrap_or(0.0) + num(text).unwrap_or(0.0));
        } else if parent(path) == "Lap" && name == "DistanceMeters" {
            self.lap_distance = Some(self.lap_distance.unwrap_or(0.0) + num(text).unwrap_or(0.0));
        } else if parent(path) == "Creator" && name == "Name" && !text.is_empty() {
            self.file.device = Some(text.to_owned());
        }
        Ok(())
    }
}

pub(crate) fn parse_tcx(bytes: &[u8], limits: &Limits) -> Result<ParsedFile, ParseError> {
    let mut tcx =
        Tcx { limits, file: ParsedFile::default(), current: None, saw_root: false, lap_time: None, lap_distance: None };
    walk(bytes, limits, &mut tcx)?;
    if !tcx.saw_root {
        return Err(ParseError::Malformed("not a TCX document (no <TrainingCenterDatabase> root)".into()));
    }
    let mut file = tcx.file;
    file.totals.moving_s = tcx.lap_time.filter(|t| *t > 0.0);
    file.totals.distance = tcx.lap_distance.filter(|d| *d > 0.0);
    Ok(file)
}
