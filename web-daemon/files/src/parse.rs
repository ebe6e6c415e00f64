//! Parsing one activity file: bounded gunzip, checking the declared type against the
//! contents, and dispatch to the FIT/TCX/GPX parsers.

use std::borrow::Cow;
use std::io::Read as _;

use chrono::{DateTime, Utc};

use crate::data_type::{DataType, FileKind};
use crate::error::ParseError;
use crate::limits::Limits;
use crate::sniff::{Sniffed, sniff};
use crate::{fit, xml};

/// One sample of a recorded activity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Point {
    /// When it was recorded.
    pub time: Option<DateTime<Utc>>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Elevation, metres.
    pub ele: Option<f64>,
    /// Heart rate, beats per minute.
    pub hr: Option<f64>,
    /// Cadence, rpm (steps per minute per foot when running).
    pub cadence: Option<f64>,
    /// Power, watts.
    pub watts: Option<f64>,
    /// Cumulative distance in metres, when the file records it.
    pub dist: Option<f64>,
    /// Temperature, °C.
    pub temp: Option<f64>,
}

/// Totals a file states itself (FIT session, TCX laps); they win over computed values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileTotals {
    /// Distance, metres.
    pub distance: Option<f64>,
    /// Elapsed time, seconds.
    pub elapsed_s: Option<f64>,
    /// Moving (timer) time, seconds.
    pub moving_s: Option<f64>,
    /// Elevation gain, metres.
    pub ascent: Option<f64>,
}

/// What an activity file contained.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    /// Sport type (Strava's names: `Run`, `Ride`, `Swim`, …) when the file names a known sport.
    pub sport: Option<&'static str>,
    /// Activity name (GPX `trk/name`).
    pub name: Option<String>,
    /// Recording device or software.
    pub device: Option<String>,
    /// Track points in file order.
    pub points: Vec<Point>,
    /// Totals stated by the file.
    pub totals: FileTotals,
    /// Local time minus UTC at the start, seconds, when the file records it (FIT
    /// `activity.local_timestamp − timestamp`; GPX and TCX never do).
    pub utc_offset_s: Option<i32>,
}

/// Collects points under the [`Limits::max_points`] cap.
pub(crate) fn push_point(points: &mut Vec<Point>, point: Point, limits: &Limits) -> Result<(), ParseError> {
    if points.len() >= limits.max_points {
        return Err(ParseError::TooManyPoints { max: limits.max_points });
    }
    points.push(point);
    Ok(())
}

/// Decompresses a gzip stream (concatenated members too), refusing output larger than
/// [`Limits::max_decompressed_bytes`]; memory stays bounded by that cap.
pub fn gunzip(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, ParseError> {
    let max = limits.max_decompressed_bytes;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| ParseError::Gzip(e.to_string()))?;
    if out.len() as u64 > max {
        return Err(ParseError::TooLarge { max });
    }
    Ok(out)
}

/// Parses a file of a declared type: gunzips when declared gzipped, checks the contents look
/// like the declared kind, then parses under `limits`.
pub fn parse(bytes: &[u8], data_type: DataType, limits: &Limits) -> Result<ParsedFile, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty);
    }
    let declared = data_type.label();
    let data: Cow<'_, [u8]> = if data_type.gzipped {
        if sniff(bytes) != Some(Sniffed::Gzip) {
            return Err(ParseError::NotGzip { declared });
        }
        Cow::Owned(gunzip(bytes, limits)?)
    } else {
        Cow::Borrowed(bytes)
    };
    if data.is_empty() {
        return Err(ParseError::Empty);
    }
    match sniff(&data) {
        Some(detected) if detected != Sniffed::File(data_type.kind) => {
            Err(ParseError::Mismatch { declared, detected: detected.label() })
        }
        _ => parse_kind(&data, data_type.kind, limits),
    }
}

/// Parses a file whose type is not declared: the contents decide (gunzipping first when they
/// are gzip), else the extension of `file_name_hint`. Returns the data type found.
pub fn parse_any(
    bytes: &[u8],
    file_name_hint: Option<&str>,
    limits: &Limits,
) -> Result<(DataType, ParsedFile), ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty);
    }
    let gzipped = sniff(bytes) == Some(Sniffed::Gzip);
    let data: Cow<'_, [u8]> = if gzipped { Cow::Owned(gunzip(bytes, limits)?) } else { Cow::Borrowed(bytes) };
    if data.is_empty() {
        return Err(ParseError::Empty);
    }
    let kind = match sniff(&data) {
        Some(Sniffed::File(kind)) => kind,
        Some(Sniffed::Zip) => return Err(ParseError::Archive),
        Some(Sniffed::Gzip) => return Err(ParseError::Malformed("gzip inside gzip".into())),
        None => file_name_hint.and_then(DataType::from_file_name).map(|d| d.kind).ok_or(ParseError::Unrecognized)?,
    };
    Ok((DataType::new(kind, gzipped), parse_kind(&data, kind, limits)?))
}

fn parse_kind(data: &[u8], kind: FileKind, limits: &Limits) -> Result<ParsedFile, ParseError> {
    match kind {
        FileKind::Fit => fit::parse_fit(data, limits),
        FileKind::Tcx => xml::parse_tcx(data, limits),
        FileKind::Gpx => xml::parse_gpx(data, limits),
    }
}
