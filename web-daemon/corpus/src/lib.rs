//! `pacer-corpus`: a deterministic year of a plausible athlete's training, as real activity files
//! packed like a Strava "Download your data" bulk export.
//!
//! ```no_run
//! use pacer_corpus::{CorpusSpec, Faults, export_zip, generate};
//! let activities = generate(&CorpusSpec::default()); // 250 activities, seed 7, ending 2026-11-30
//! let export = export_zip(&activities, &Faults::default()).unwrap();
//! std::fs::write("export.zip", &export.zip).unwrap();
//! ```
//!
//! Same spec → same bytes on every platform: ChaCha8 streams, `libm` maths, fixed ZIP and gzip
//! timestamps. Each [`GeneratedActivity`] carries its samples and true [`Totals`] so tests can
//! compare what an importer reads against the source.

mod encode;
mod export;
mod faults;
mod fit;
mod fit_writer;
mod generate;
mod gpx;
mod model;
mod physiology;
mod plan;
mod route;
mod strava_csv;
mod synth;
mod tcx;
mod totals;
mod workout;
mod xml_text;

pub use encode::{encode, gzip};
pub use export::{Export, ExportError, export_zip};
pub use faults::{FaultKind, Faults, InjectedFault, ZipBomb, break_fit_crc, break_xml, truncate_fit, zip_bomb};
pub use fit::sport_codes;
pub use fit_writer::{FIT_EPOCH_UNIX, crc as fit_crc};
pub use generate::generate;
pub use model::Totals;
pub use model::{CorpusSpec, FileFormat, FileKind, GeneratedActivity, Lap, Position, Sample, SportType, Workout};
pub use physiology::{
    FTP_W, HEART_RATE_RANGE, POWER_RANGE, RIDE_CADENCE_RANGE, RIDE_SPEED_RANGE, RUN_CADENCE_RANGE, RUN_PACE_RANGE,
    SWIM_SPEED_RANGE,
};
pub use plan::Season;
pub use route::{AMSTERDAM, City, NEW_YORK};
pub use strava_csv::{ACTIVITIES_HEADER, activity_date, column};
pub use workout::HALF_MARATHON_M;
