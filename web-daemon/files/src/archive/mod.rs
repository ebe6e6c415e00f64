//! Strava bulk-export ZIP reader. Opens a `Read + Seek` archive, refuses archives with unsafe
//! entry names or too many entries up front, reads `activities.csv`, then yields one activity
//! file at a time (never more than one entry in memory, nothing written to disk) under caps on
//! each entry's size, its compression ratio and the total inflated bytes.

mod activities_csv;
mod entry;

use std::collections::HashMap;
use std::io::{Read, Seek};

use zip::ZipArchive;

use crate::data_type::DataType;
use crate::limits::Limits;

pub use activities_csv::CsvActivity;
use activities_csv::parse_activities_csv;
use entry::{is_unsafe_name, read_bounded};

/// Caps applied while reading an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most entries (files and directories) in the archive.
    pub max_entries: usize,
    /// Most bytes inflated from the archive in total (activities and `activities.csv`).
    pub max_total_bytes: u64,
    /// Largest inflated entry.
    pub max_entry_bytes: u64,
    /// Highest inflated/compressed ratio of an entry (judged once it inflates past 1 MiB).
    pub max_ratio: u64,
}

impl ArchiveLimits {
    /// 100 000 entries, 4 GiB in total, entries up to [`Limits::DEFAULT`]'s
    /// `max_decompressed_bytes`, ratio 200:1.
    pub const DEFAULT: ArchiveLimits = ArchiveLimits {
        max_entries: 100_000,
        max_total_bytes: 4 * 1024 * 1024 * 1024,
        max_entry_bytes: Limits::DEFAULT.max_decompressed_bytes,
        max_ratio: 200,
    };
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why an archive, or one of its entries, cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Not a ZIP archive, or its directory is corrupt.
    #[error("Not a readable ZIP archive: {0}")]
    Zip(String),
    /// More entries than [`ArchiveLimits::max_entries`].
    #[error("The archive has {count} entries; at most {max} are accepted.")]
    TooManyEntries {
        /// Entries in the archive.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// An entry name is absolute or climbs out of the archive (`../x.fit`, `/etc/x`).
    #[error("Refusing the archive: entry '{name}' has an absolute or parent-directory path.")]
    UnsafeEntryName {
        /// The entry's name as stored.
        name: String,
    },
    /// The activity files together inflate past [`ArchiveLimits::max_total_bytes`].
    #[error("The archive's activity files inflate to more than {max} bytes.")]
    TooLarge {
        /// The cap.
        max: u64,
    },
    /// One entry inflates past [`ArchiveLimits::max_entry_bytes`].
    #[error("Entry '{name}' inflates to more than {max} bytes.")]
    EntryTooLarge {
        /// The entry.
        name: String,
        /// The cap.
        max: u64,
    },
    /// One entry compresses suspiciously well (a zip bomb).
    #[error("Entry '{name}' inflates more than {max_ratio}:1; refusing it as a zip bomb.")]
    Bomb {
        /// The entry.
        name: String,
        /// The cap.
        max_ratio: u64,
    },
    /// One entry could not be read (unsupported compression, CRC mismatch, …).
    #[error("Entry '{name}' could not be read: {reason}")]
    Entry {
        /// The entry.
        name: String,
        /// Why.
        reason: String,
    },
    /// `activities.csv` is not valid CSV.
    #[error("activities.csv could not be read: {0}")]
    Csv(String),
}

impl ArchiveError {
    /// Whether the error concerns one entry only, so the other entries can still be read.
    pub fn is_per_entry(&self) -> bool {
        matches!(self, ArchiveError::EntryTooLarge { .. } | ArchiveError::Bomb { .. } | ArchiveError::Entry { .. })
    }

    /// The entry the error names, if it names one.
    pub fn entry_name(&self) -> Option<&str> {
        match self {
            ArchiveError::UnsafeEntryName { name }
            | ArchiveError::EntryTooLarge { name, .. }
            | ArchiveError::Bomb { name, .. }
            | ArchiveError::Entry { name, .. } => Some(name),
            ArchiveError::Zip(_)
            | ArchiveError::TooManyEntries { .. }
            | ArchiveError::TooLarge { .. }
            | ArchiveError::Csv(_) => None,
        }
    }
}

/// One activity file of the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    /// Entry path relative to the export's root (`activities/10485720934.fit.gz`).
    pub name: String,
    /// Its type, from the extension.
    pub data_type: DataType,
    /// The inflated entry (still gzipped when `data_type.gzipped`).
    pub bytes: Vec<u8>,
    /// Its row in `activities.csv`, if any.
    pub csv: Option<CsvActivity>,
}

/// Why an entry under `activities/` was not yielded as an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not a FIT, TCX or GPX file (optionally gzipped).
    UnsupportedType,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::UnsupportedType => f.write_str("not a FIT, TCX or GPX file"),
        }
    }
}

/// What the archive yields for one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ArchiveItem {
    /// An activity file to parse.
    Activity(ActivityEntry),
    /// An entry that is not an activity file.
    Skipped {
        /// Entry path relative to the export's root.
        name: String,
        /// Why.
        reason: SkipReason,
    },
}

/// An open Strava bulk export; iterate it for its activity files.
///
/// Entries under `activities/` and entries named by a CSV `Filename` are visited in archive
/// order. An item's error for which [`ArchiveError::is_per_entry`] holds concerns that entry
/// only; any other error ends the iteration.
pub struct StravaArchive<R> {
    zip: ZipArchive<R>,
    limits: ArchiveLimits,
    /// The export's root inside the archive (`""`, or `export_123/` when zipped in a folder).
    root: String,
    csv_by_file: HashMap<String, CsvActivity>,
    /// Rows naming no file, then rows naming a file the archive lacks.
    csv_missing_file: Vec<CsvActivity>,
    pending: std::vec::IntoIter<usize>,
    inflated: u64,
    finished: bool,
}

impl<R: Read + Seek> StravaArchive<R> {
    /// Opens an archive: checks entry count and names, the declared sizes of the entries it
    /// will read, and reads `activities.csv` when present.
    pub fn open(reader: R, limits: ArchiveLimits) -> Result<Self, ArchiveError> {
        let zip = ZipArchive::new(reader).map_err(|e| ArchiveError::Zip(e.to_string()))?;
        if zip.len() > limits.max_entries {
            return Err(ArchiveError::TooManyEntries { count: zip.len(), max: limits.max_entries });
        }
        let mut files = Vec::with_capacity(zip.len());
        for index in 0..zip.len() {
            let entry = zip.by_index_data(index).map_err(|e| ArchiveError::Zip(e.to_string()))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            if is_unsafe_name(&name) {
                return Err(ArchiveError::UnsafeEntryName { name });
            }
            if !(entry.is_dir() || name.ends_with('/')) {
                files.push((index, name, entry.size()));
            }
        }
        let csv_entry = files
            .iter()
            .filter(|(_, name, _)| name == "activities.csv" || name.ends_with("/activities.csv"))
            .min_by_key(|(_, name, _)| name.len())
            .cloned();
        let root = csv_entry.as_ref().map_or("", |(_, name, _)| &name[..name.len() - "activities.csv".len()]);
        let root = root.to_owned();
        let mut archive = Self {
            zip,
            limits,
            root,
            csv_by_file: HashMap::new(),
            csv_missing_file: Vec::new(),
            pending: Vec::new().into_iter(),
            inflated: 0,
            finished: false,
        };
        if let Some((index, _, _)) = &csv_entry {
            let bytes = archive.read(*index)?;
            (archive.csv_by_file, archive.csv_missing_file) = parse_activities_csv(&bytes)?;
        }
        let mut absent: Vec<CsvActivity> = archive
            .csv_by_file
            .iter()
            .filter(|(file, _)| !files.iter().any(|(_, name, _)| archive.relative(name) == file.as_str()))
            .map(|(_, row)| row.clone())
            .collect();
        absent.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.filename.cmp(&b.filename)));
        archive.csv_missing_file.extend(absent);
        let wanted: Vec<(usize, u64)> = files
            .iter()
            .filter(|(_, name, _)| {
                let relative = archive.relative(name);
                relative.starts_with("activities/") || archive.csv_by_file.contains_key(relative)
            })
            .map(|(index, _, size)| (*index, *size))
            .collect();
        let declared = wanted.iter().fold(archive.inflated, |sum, (_, size)| sum.saturating_add(*size));
        if declared > limits.max_total_bytes {
            return Err(ArchiveError::TooLarge { max: limits.max_total_bytes });
        }
        archive.pending = wanted.into_iter().map(|(index, _)| index).collect::<Vec<_>>().into_iter();
        Ok(archive)
    }

    /// CSV rows with no file in the archive: rows naming none (manual activities), in CSV
    /// order, then rows naming a file the archive lacks, by date.
    pub fn csv_rows_missing_file(&self) -> &[CsvActivity] {
        &self.csv_missing_file
    }

    /// The CSV row whose `Filename` is `name`, if any.
    pub fn csv_row(&self, name: &str) -> Option<&CsvActivity> {
        self.csv_by_file.get(name)
    }

    /// Entries still to be visited.
    pub fn remaining(&self) -> usize {
        self.pending.len()
    }

    fn relative<'n>(&self, name: &'n str) -> &'n str {
        name.strip_prefix(self.root.as_str()).unwrap_or(name)
    }

    /// Inflates entry `index` under the caps, counting it towards the total.
    fn read(&mut self, index: usize) -> Result<Vec<u8>, ArchiveError> {
        let budget = self.limits.max_total_bytes.saturating_sub(self.inflated);
        let mut file = self.zip.by_index(index).map_err(|e| ArchiveError::Zip(e.to_string()))?;
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        let bytes = read_bounded(&mut file, &name, &self.limits, budget)?;
        self.inflated += bytes.len() as u64;
        Ok(bytes)
    }

    fn item(&mut self, index: usize) -> Result<ArchiveItem, ArchiveError> {
        let stored = self.zip.by_index_data(index).map_err(|e| ArchiveError::Zip(e.to_string()))?;
        let stored = String::from_utf8_lossy(stored.name_raw()).into_owned();
        let name = self.relative(&stored).to_owned();
        let Some(data_type) = DataType::from_file_name(&name) else {
            return Ok(ArchiveItem::Skipped { name, reason: SkipReason::UnsupportedType });
        };
        let bytes = self.read(index)?;
        let csv = self.csv_by_file.get(&name).cloned();
        Ok(ArchiveItem::Activity(ActivityEntry { name, data_type, bytes, csv }))
    }
}

impl<R: Read + Seek> Iterator for StravaArchive<R> {
    type Item = Result<ArchiveItem, ArchiveError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let index = self.pending.next()?;
        let item = self.item(index);
        if item.as_ref().is_err_and(|e| !e.is_per_entry()) {
            self.finished = true;
        }
        Some(item)
    }
}
