//! One entry point for activity files: pick the encoder, gzip when asked; shared XML helpers.

use std::io::Write as _;

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

impl GeneratedActivity {
    /// The activity file's bytes as stored in the export (gzipped when `file.gzip`).
    pub fn encode(&self) -> Vec<u8> {
        encode(self, self.file)
    }
}
