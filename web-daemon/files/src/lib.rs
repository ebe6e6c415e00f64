//! Activity files, independent of any provider: FIT, TCX and GPX parsing (gzipped or not)
//! under explicit [`Limits`], content sniffing, activity summaries and per-point streams,
//! LTTB downsampling, time zones from coordinates, and the Strava bulk-export ZIP reader.
//!
//! Used by the Strava sandbox (uploads), the daemon's `upload_activity` tool and
//! `pacerd import`.
//!
//! ```text
//! bytes ──sniff/gunzip (≤ max_decompressed_bytes)──▶ fit | tcx | gpx parser (≤ max_points,
//!        XML depth ≤ max_xml_depth) ──▶ ParsedFile ──analyze──▶ Summary + Streams ──lttb──▶ fewer points
//! ```

#![warn(missing_docs)]

pub mod archive;
mod data_type;
mod error;
mod fit;
mod limits;
mod lttb;
mod parse;
mod parsed;
mod sniff;
mod sport;
mod streams;
mod summary;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod timezone;
mod xml;

pub use data_type::{DataType, FileKind, UnknownDataType};
pub use error::{ParseError, TrackError};
pub use limits::Limits;
pub use lttb::{Downsampled, downsample, lttb};
pub use parse::{gunzip, parse, parse_any};
pub use parsed::{FileTotals, ParsedFile, Point};
pub use sniff::{Sniffed, sniff};
pub use sport::{RIDE_SPORTS, RUN_SPORTS, SPORT_TYPES, default_name, sport_from_file, sport_type};
pub use streams::{STREAM_KEYS, StreamKey, StreamValues, Streams};
pub use summary::{Analysis, Summary, analyze, haversine, streams, summarize};
pub use timezone::{LocalTime, LocalTimeSource, local_time, offset_in_zone, zone_at};
