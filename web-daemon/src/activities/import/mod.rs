//! Import of a person's own activity files into the local store: a folder of FIT/TCX/GPX files
//! (optionally `.gz`), one such file, or a Strava bulk-export ZIP (its `activities.csv` gives
//! names, sport types, descriptions and Strava's ids).
//!
//! - **Idempotent**: a file's SHA-256 is stored with its activity; the same file again is a
//!   duplicate and adds nothing.
//! - **Nothing lost**: files are written in batches of [`BATCH`], one transaction each; a
//!   failure stops the import but keeps every batch already committed.
//! - **Bounded**: one file in memory at a time; files ≤ [`MAX_FILE_BYTES`], decompressed and
//!   parsed under [`pacer_files::Limits`], archives under [`ArchiveLimits`]; folders are walked
//!   to [`MAX_DEPTH`] levels and [`MAX_FILES`] files, without following symlinks.
//! - **Reported**: corrupt or unsupported files are listed by name with the reason and skipped;
//!   progress is reported after every file.

mod convert;
mod walk;

use std::path::{Path, PathBuf};
use std::time::Instant;

use pacer_files::archive::{ArchiveItem, ArchiveLimits, StravaArchive};
use pacer_files::{DataType, Limits};
use pacer_shared::import::{ImportIssue, ImportProgress, ImportReport};
use pacer_shared::{TenantId, UserId};
use sha2::{Digest, Sha256};

pub use convert::FILE_ID_BASE;

use crate::activities::home_guard::HomeGuard;
use crate::store::activities::{ActivityRecord, FileInsert, insert_file};
use crate::store::activity_streams;
use crate::store::{Store, StoreError, athlete_settings, now_epoch};

/// Files per transaction.
pub const BATCH: usize = 50;
/// Largest single activity file read from a folder (Strava's own upload limit).
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// Deepest folder level walked.
pub const MAX_DEPTH: usize = 16;
/// Most files considered in one folder import.
pub const MAX_FILES: usize = 100_000;

/// Why an import could not run at all (a file-level problem is reported, not an error).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The path is missing, unreadable, inside pacer's home, or not a folder, activity file or ZIP.
    #[error("{0}")]
    Source(String),
    /// The ZIP is unreadable or hostile (bomb, unsafe entry names, too large).
    #[error("{0}")]
    Archive(String),
    /// The store failed; batches committed before stay.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

/// Whose store the files go into.
#[derive(Debug, Clone)]
pub struct Owner {
    pub tenant: TenantId,
    pub user: UserId,
}

/// What to import.
#[derive(Debug)]
pub enum ImportSource {
    /// A folder, one activity file, or a bulk-export ZIP on this machine.
    Path(PathBuf),
    /// A bulk-export ZIP or one activity file already saved to a private temp file (web upload).
    Upload(std::fs::File),
}

/// One file on its way into the store (streams at full resolution until the writer stores them).
struct Pending {
    name: String,
    record: ActivityRecord,
    streams: pacer_files::Streams,
}

/// Runs an import on the calling (blocking) thread. `home` is pacer's data directory (never
/// imported from); `progress` is called after every file.
pub fn run(
    store: &Store,
    owner: &Owner,
    source: ImportSource,
    home: &Path,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let zone = athlete_settings::get(&store.conn()?, &owner.tenant, &owner.user)?.time_zone;
    // Parsing (this thread) and writing (the writer thread) overlap: batches go through a
    // small bounded channel, so at most a few batches are in memory.
    let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<Pending>>(1);
    let writer = {
        let (store, owner) = (store.clone(), owner.clone());
        std::thread::spawn(move || write_batches(&store, &owner, batches))
    };
    let mut job = Job {
        zone,
        report: ImportReport::default(),
        batch: Vec::new(),
        progress: ImportProgress::default(),
        sender: Some(sender),
    };
    let result = match source {
        ImportSource::Path(path) => match walk::classify(&path, home) {
            Ok(walk::Source::Zip(file)) => job.archive(file, progress),
            Ok(walk::Source::Files(files, guard)) => job.files(&files, &guard, progress),
            Err(e) => Err(e),
        },
        ImportSource::Upload(file) => match walk::classify_upload(file) {
            Ok(walk::Upload::Zip(file)) => job.archive(file, progress),
            Ok(walk::Upload::File(bytes)) => {
                // The row's source id: one per content (a fixed name made a user's second
                // uploaded file collide with the first on UNIQUE(source, source_id)).
                let name = upload_name(&bytes);
                job.progress.files_total = Some(1);
                job.file(&name, None, &bytes, None);
                job.advance(&name, progress);
                Ok(())
            }
            Err(e) => Err(e),
        },
    };
    // Whatever happened, keep what was parsed before the failure.
    job.flush();
    job.sender = None;
    let written = writer.join().map_err(|_| ImportError::Store(StoreError::Join("import writer panicked".into())))?;
    result?;
    let (imported, duplicates) = written?;
    job.report.imported = imported;
    job.report.duplicates = duplicates;
    job.report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(job.report)
}

struct Job {
    zone: Option<String>,
    report: ImportReport,
    batch: Vec<Pending>,
    progress: ImportProgress,
    /// To the writer thread; `None` once closed.
    sender: Option<std::sync::mpsc::SyncSender<Vec<Pending>>>,
}

/// The name a single uploaded file is stored under: `upload-` and the first 16 hex digits of its
/// SHA-256 (the same bytes are a duplicate by hash anyway).
fn upload_name(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("upload-{}", hex::encode(&sha2::Sha256::digest(bytes)[..8]))
}

/// The writer thread: writes each batch in one transaction; returns (imported, duplicates).
fn write_batches(
    store: &Store,
    owner: &Owner,
    batches: std::sync::mpsc::Receiver<Vec<Pending>>,
) -> Result<(u64, Vec<String>), StoreError> {
    let conn = store.conn()?;
    let (mut imported, mut duplicates) = (0, Vec::new());
    for mut batch in batches {
        // IMMEDIATE: the batch reads (duplicate check) before it writes; a deferred transaction
        // would then fail at once with "database is locked" when another writer committed in
        // between (SQLite does not wait on a read-to-write upgrade).
        let tx = conn.transaction_immediate()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for p in &mut batch {
            let stored = convert::finish(&mut p.record, &p.streams);
            let outcome = insert_file(&tx, &owner.tenant, &owner.user, &p.record)?;
            if let FileInsert::Stored(id) = outcome {
                activity_streams::put(&tx, &owner.tenant, &owner.user, id, &stored)?;
            }
            outcomes.push(outcome);
        }
        tx.commit()?;
        for (p, outcome) in batch.into_iter().zip(outcomes) {
            match outcome {
                FileInsert::Stored(_) => imported += 1,
                FileInsert::Duplicate(_) => duplicates.push(p.name),
            }
        }
    }
    Ok((imported, duplicates))
}

impl Job {
    fn files(
        &mut self,
        files: &[walk::FoundFile],
        guard: &HomeGuard,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<(), ImportError> {
        self.progress.files_total = Some(files.iter().filter(|f| f.skip.is_none()).count() as u64);
        for found in files {
            if self.sender.is_none() {
                break; // the writer stopped; its error ends the import
            }
            if let Some(reason) = found.skip {
                self.report.skipped.push(ImportIssue { name: found.name.clone(), reason: reason.to_owned() });
                continue;
            }
            match walk::read(&found.path, guard) {
                Ok(bytes) => self.file(&found.name, None, &bytes, None),
                Err(reason) => self.fail(&found.name, reason),
            }
            self.advance(&found.name, progress);
        }
        Ok(())
    }

    fn archive(&mut self, file: std::fs::File, progress: &mut dyn FnMut(&ImportProgress)) -> Result<(), ImportError> {
        let reader = std::io::BufReader::new(file);
        let mut archive =
            StravaArchive::open(reader, ArchiveLimits::DEFAULT).map_err(|e| ImportError::Archive(e.to_string()))?;
        self.progress.files_total = Some(archive.remaining() as u64);
        for item in archive.by_ref() {
            if self.sender.is_none() {
                break; // the writer stopped; its error ends the import
            }
            match item {
                Ok(ArchiveItem::Activity(entry)) => {
                    self.file(&entry.name, Some(entry.data_type), &entry.bytes, entry.csv.as_ref());
                    self.advance(&entry.name, progress);
                }
                Ok(ArchiveItem::Skipped { name, reason }) => {
                    self.report.skipped.push(ImportIssue { name: name.clone(), reason: reason.to_string() });
                    self.advance(&name, progress);
                }
                Err(e) if e.is_per_entry() => {
                    let name = e.entry_name().unwrap_or("archive").to_owned();
                    self.fail(&name, e.to_string());
                    self.advance(&name, progress);
                }
                Err(e) => return Err(ImportError::Archive(e.to_string())),
            }
        }
        // Rows without a file are manual entries (nothing to import); a named file that is
        // not in the archive is reported.
        let missing: Vec<String> = archive.csv_rows_missing_file().iter().filter_map(|r| r.filename.clone()).collect();
        for name in missing {
            self.fail(&name, "named in activities.csv but missing from the archive".into());
        }
        Ok(())
    }

    fn advance(&mut self, name: &str, progress: &mut dyn FnMut(&ImportProgress)) {
        self.progress.files_done += 1;
        self.progress.current = Some(name.to_owned());
        progress(&self.progress);
    }

    fn fail(&mut self, name: &str, reason: String) {
        self.report.failed.push(ImportIssue { name: name.to_owned(), reason });
    }

    /// Parses one file and queues it for the next batch.
    fn file(
        &mut self,
        name: &str,
        data_type: Option<DataType>,
        bytes: &[u8],
        csv: Option<&pacer_files::archive::CsvActivity>,
    ) {
        self.report.files += 1;
        self.report.bytes += bytes.len() as u64;
        self.progress.bytes_done = self.report.bytes;
        let limits = Limits::DEFAULT;
        let parsed = match data_type {
            Some(dt) => pacer_files::parse(bytes, dt, &limits),
            None => pacer_files::parse_any(bytes, Some(name), &limits).map(|(_, parsed)| parsed),
        };
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let converted = parsed
            .map_err(|e| e.to_string())
            .and_then(|file| convert::record(&file, csv, name, hash, self.zone.as_deref(), now_epoch()));
        match converted {
            Ok((record, streams)) => self.batch.push(Pending { name: name.to_owned(), record, streams }),
            Err(reason) => self.fail(name, reason),
        }
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    /// Hands the queued files to the writer (if it stopped, its error is reported at the end).
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if let Some(sender) = &self.sender
            && sender.send(batch).is_err()
        {
            self.sender = None;
        }
    }
}

/// One import at a time per daemon: imports are heavy, and two imports of the same files must
/// not race for the same rows.
static IMPORT_SLOT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// An import running on the blocking pool.
pub struct Running {
    /// Progress reports (lossy: a slow reader misses intermediate ones); ends when the import does.
    pub progress: tokio::sync::mpsc::Receiver<ImportProgress>,
    /// The final report.
    pub done: tokio::task::JoinHandle<Result<ImportReport, ImportError>>,
}

impl Running {
    /// The next progress report; `None` once the import has ended.
    pub async fn next_progress(&mut self) -> Option<ImportProgress> {
        self.progress.recv().await
    }

    /// Waits for the final report (drain [`next_progress`](Self::next_progress) first).
    pub async fn report(self) -> Result<ImportReport, ImportError> {
        self.done.await.map_err(|e| ImportError::Store(StoreError::Join(e.to_string())))?
    }
}

/// Starts importing `source` for `owner` (waits for any import already running).
pub fn start(state: &crate::state::AppState, owner: Owner, source: ImportSource) -> Running {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let store = state.store.clone();
    let home = state.config.home.clone();
    let done = tokio::spawn(async move {
        let _slot = IMPORT_SLOT.acquire().await.map_err(|e| ImportError::Source(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let mut last = Instant::now();
            let mut report = |p: &ImportProgress| {
                let final_file = p.files_total.is_some_and(|t| p.files_done >= t);
                if final_file || last.elapsed() >= std::time::Duration::from_millis(100) {
                    last = Instant::now();
                    let _ = tx.try_send(p.clone());
                }
            };
            let result = run(&store, &owner, source, &home, &mut report);
            if let Ok(r) = &result {
                tracing::info!(tenant = %owner.tenant, user = %owner.user, "import finished: {}", r.summary());
            }
            result
        })
        .await
        .map_err(|e| ImportError::Store(StoreError::Join(e.to_string())))?
    });
    Running { progress: rx, done }
}
