//! Import of activity files (`pacerd import`, the `import_activities` tool, `POST /api/import`):
//! the progress reports sent while it runs and the final report.

use serde::{Deserialize, Serialize};

/// How far an import has come. Sent repeatedly while it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportProgress {
    /// Activity files handled so far (imported, duplicate or failed).
    pub files_done: u64,
    /// Activity files in the source, when known up front.
    pub files_total: Option<u64>,
    /// Bytes of activity files read so far.
    pub bytes_done: u64,
    /// The file being imported, relative to the source.
    pub current: Option<String>,
}

/// A file that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportIssue {
    /// The file, relative to the imported folder or ZIP.
    pub name: String,
    /// Why it was skipped or failed.
    pub reason: String,
}

/// What an import did. Re-importing the same files reports them as duplicates and adds nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportReport {
    /// Activities added to the store.
    pub imported: u64,
    /// Files already in the store (same content), by name.
    pub duplicates: Vec<String>,
    /// Files that could not be read as activities (corrupt, empty, no time data), by name.
    pub failed: Vec<ImportIssue>,
    /// Files that are not activity files (unsupported type), by name.
    pub skipped: Vec<ImportIssue>,
    /// Activity files read.
    pub files: u64,
    /// Bytes of activity files read.
    pub bytes: u64,
    /// Wall-clock milliseconds the import took.
    pub elapsed_ms: u64,
}

impl ImportReport {
    /// One line for people: `imported 12, duplicates 3, failed 1, skipped 2 (… MB in … s)`.
    pub fn summary(&self) -> String {
        format!(
            "imported {}, duplicates {}, failed {}, skipped {} ({} files, {:.1} MB in {:.1} s)",
            self.imported,
            self.duplicates.len(),
            self.failed.len(),
            self.skipped.len(),
            self.files,
            self.bytes as f64 / 1_000_000.0,
            self.elapsed_ms as f64 / 1000.0
        )
    }
}
