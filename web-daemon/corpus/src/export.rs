//! The bulk-export ZIP in Strava's layout: `activities/` with one file per activity,
//! `activities.csv`, `profile.csv` and an empty `media/`. Entries carry a fixed timestamp so the
//! same activities always give the same bytes.

use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::encode::encode;
use crate::faults::{self, FaultKind, Faults, InjectedFault, NOTES_TXT};
use crate::model::{FileFormat, FileKind, GeneratedActivity};
use crate::strava_csv::{ACTIVITIES_HEADER, PROFILE_HEADER, activity_row, profile_row};

/// Errors writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The ZIP writer failed.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The CSV writer failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Writing to memory failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A finished export.
#[derive(Clone, Debug)]
pub struct Export {
    /// The ZIP archive.
    pub zip: Vec<u8>,
    /// Every CSV row's (`Activity ID`, `Filename`), in CSV order.
    pub rows: Vec<(u64, String)>,
    /// The faults injected, in the order of [`Faults`]' fields.
    pub faults: Vec<InjectedFault>,
}

impl Export {
    /// The CSV `Filename` of an activity id.
    pub fn filename(&self, id: u64) -> Option<&str> {
        self.rows.iter().find(|(row_id, _)| *row_id == id).map(|(_, f)| f.as_str())
    }
}

/// Writes `activities` (and the requested `faults`) as a Strava bulk-export ZIP.
pub fn export_zip(activities: &[GeneratedActivity], faults: &Faults) -> Result<Export, ExportError> {
    let time = DateTime::from_date_and_time(2026, 11, 30, 12, 0, 0).expect("valid DOS time");
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(time)
        .unix_permissions(0o644);
    let stored = deflated.compression_method(CompressionMethod::Stored).compression_level(None);
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(activities.len() * 64 * 1024)));
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(activities.len() * 600));
    csv.write_record(ACTIVITIES_HEADER)?;
    let mut rows = Vec::with_capacity(activities.len() + 2);
    let mut injected = Vec::new();
    zip.add_directory("activities/", deflated)?;
    for (index, activity) in activities.iter().enumerate() {
        let fault = fault_for(index, faults);
        let kind = match fault {
            Some(FaultKind::TruncatedFit | FaultKind::BadCrcFit) => FileKind { format: FileFormat::Fit, gzip: false },
            Some(FaultKind::MalformedXml) if activity.sport.is_outdoor() => {
                FileKind { format: FileFormat::Gpx, gzip: false }
            }
            Some(FaultKind::MalformedXml) => FileKind { format: FileFormat::Tcx, gzip: false },
            _ => activity.file,
        };
        let name = format!("activities/{}.{}", activity.upload_id, kind.extension());
        let bytes = encode(activity, kind);
        let bytes = match fault {
            Some(FaultKind::TruncatedFit) => faults::truncate_fit(&bytes),
            Some(FaultKind::BadCrcFit) => faults::break_fit_crc(&bytes),
            Some(FaultKind::MalformedXml) => {
                faults::break_xml(std::str::from_utf8(&bytes).expect("XML is UTF-8")).into_bytes()
            }
            _ => bytes,
        };
        if fault != Some(FaultKind::MissingFile) {
            zip.start_file(name.as_str(), if kind.gzip { stored } else { deflated })?;
            zip.write_all(&bytes)?;
        }
        if let Some(kind) = fault {
            injected.push(InjectedFault { kind, entry: name.clone(), activity_id: activity.id });
        }
        csv.write_record(activity_row(activity, &name))?;
        rows.push((activity.id, name));
    }
    let next_id = activities.last().map_or(16_800_000_000, |a| a.id + 1);
    let extras = [
        (faults.unsupported_file, FaultKind::UnsupportedFile, "activities/notes.txt", next_id),
        (faults.path_traversal, FaultKind::PathTraversal, "../evil.fit", next_id + 1),
    ];
    for (wanted, kind, entry, id) in extras {
        let Some(template) = activities.first().filter(|_| wanted) else { continue };
        let bytes = match kind {
            FaultKind::UnsupportedFile => NOTES_TXT.as_bytes().to_vec(),
            _ => encode(template, FileKind { format: FileFormat::Fit, gzip: false }),
        };
        zip.start_file(entry, deflated)?;
        zip.write_all(&bytes)?;
        let mut row = activity_row(template, entry);
        row[0] = id.to_string();
        csv.write_record(&row)?;
        rows.push((id, entry.to_string()));
        injected.push(InjectedFault { kind, entry: entry.to_string(), activity_id: id });
    }
    injected.sort_by_key(|f| f.kind as u8);
    zip.add_directory("media/", deflated)?;
    zip.start_file("activities.csv", deflated)?;
    zip.write_all(&csv.into_inner().map_err(|e| e.into_error())?)?;
    let mut profile = csv::Writer::from_writer(Vec::new());
    profile.write_record(PROFILE_HEADER)?;
    profile.write_record(profile_row())?;
    zip.start_file("profile.csv", deflated)?;
    zip.write_all(&profile.into_inner().map_err(|e| e.into_error())?)?;
    let zip = zip.finish()?.into_inner();
    Ok(Export { zip, rows, faults: injected })
}

/// Which fault, if any, activity `index` carries (activities 1–4 host the per-file faults).
fn fault_for(index: usize, faults: &Faults) -> Option<FaultKind> {
    match index {
        1 if faults.truncated_fit => Some(FaultKind::TruncatedFit),
        2 if faults.bad_crc_fit => Some(FaultKind::BadCrcFit),
        3 if faults.malformed_xml => Some(FaultKind::MalformedXml),
        4 if faults.missing_file => Some(FaultKind::MissingFile),
        _ => None,
    }
}
