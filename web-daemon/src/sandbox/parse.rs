//! Upload file handling: the `data_type` values, gunzip with a size cap, sniffing the real
//! format (so a mismatch is reported), and dispatch to the GPX/TCX/FIT parsers.

use std::borrow::Cow;
use std::io::Read as _;

use super::fit::parse_fit;
use super::model::sport_type;
use super::track::{FileTotals, Point, TrackError};
use super::xml::{parse_gpx, parse_tcx};

/// Decompressed files larger than this are rejected (gzip bombs).
const MAX_DECOMPRESSED: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Fit,
    Tcx,
    Gpx,
}

impl FileKind {
    fn label(self) -> &'static str {
        match self {
            FileKind::Fit => "fit",
            FileKind::Tcx => "tcx",
            FileKind::Gpx => "gpx",
        }
    }
}

/// A `data_type` value: fit, fit.gz, tcx, tcx.gz, gpx or gpx.gz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataType {
    pub(crate) kind: FileKind,
    pub(crate) gzipped: bool,
}

impl DataType {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let value = value.trim().to_ascii_lowercase();
        let (base, gzipped) = match value.strip_suffix(".gz") {
            Some(base) => (base, true),
            None => (value.as_str(), false),
        };
        let kind = match base {
            "fit" => FileKind::Fit,
            "tcx" => FileKind::Tcx,
            "gpx" => FileKind::Gpx,
            _ => return None,
        };
        Some(Self { kind, gzipped })
    }

    pub(crate) fn label(self) -> String {
        format!("{}{}", self.kind.label(), if self.gzipped { ".gz" } else { "" })
    }
}

/// What a file contained.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedFile {
    pub(crate) sport: Option<&'static str>,
    pub(crate) name: Option<String>,
    pub(crate) device: Option<String>,
    pub(crate) points: Vec<Point>,
    pub(crate) totals: FileTotals,
}

/// Why an uploaded file could not become an activity (the text is the upload's `error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParseError {
    #[error("The file is empty.")]
    Empty,
    #[error("data_type is {declared} but the file is not gzip compressed.")]
    NotGzip { declared: String },
    #[error("Could not decompress the file: {0}")]
    Gzip(String),
    #[error("The decompressed file is too large.")]
    TooLarge,
    #[error("data_type is {declared} but the file looks like {detected}.")]
    Mismatch { declared: String, detected: &'static str },
    #[error("Improperly formatted data: {0}")]
    Malformed(String),
    #[error("{0}")]
    Track(#[from] TrackError),
}

/// Maps a sport named in a file (GPX `type`, TCX `Sport`, FIT sport/sub_sport) to a sport type.
pub(crate) fn sport_from_file(value: &str) -> Option<&'static str> {
    let lower = value.trim().to_ascii_lowercase();
    Some(match lower.as_str() {
        "running" | "run" | "street_running" | "track" | "treadmill" => "Run",
        "trail_running" | "trail" => "TrailRun",
        "biking" | "cycling" | "ride" | "road" | "road_biking" => "Ride",
        "mountain" | "mountain_biking" => "MountainBikeRide",
        "gravel_cycling" => "GravelRide",
        "virtual_activity" | "virtual_ride" | "indoor_cycling" => "VirtualRide",
        "swimming" | "swim" | "lap_swimming" | "open_water" => "Swim",
        "walking" | "walk" => "Walk",
        "hiking" | "hike" => "Hike",
        "strength_training" | "weight_training" => "WeightTraining",
        _ => return sport_type(value),
    })
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| ParseError::Gzip(e.to_string()))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(ParseError::TooLarge);
    }
    Ok(out)
}

/// What the bytes look like, if recognisable.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Some("gzip");
    }
    if bytes.len() >= 12 && &bytes[8..12] == b".FIT" {
        return Some("fit");
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    if head.contains("TrainingCenterDatabase") {
        Some("tcx")
    } else if head.contains("<gpx") || head.contains(":gpx") {
        Some("gpx")
    } else {
        None
    }
}

/// Decompresses if declared, checks the declared type against the contents, and parses.
pub(crate) fn parse_upload(bytes: &[u8], data_type: DataType) -> Result<ParsedFile, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty);
    }
    let declared = data_type.label();
    let data: Cow<'_, [u8]> = if data_type.gzipped {
        if sniff(bytes) != Some("gzip") {
            return Err(ParseError::NotGzip { declared });
        }
        Cow::Owned(gunzip(bytes)?)
    } else {
        Cow::Borrowed(bytes)
    };
    if data.is_empty() {
        return Err(ParseError::Empty);
    }
    match sniff(&data) {
        Some(detected) if detected != data_type.kind.label() => {
            return Err(ParseError::Mismatch { declared, detected });
        }
        _ => {}
    }
    match data_type.kind {
        FileKind::Fit => parse_fit(&data),
        FileKind::Tcx => parse_tcx(&data),
        FileKind::Gpx => parse_gpx(&data),
    }
}
