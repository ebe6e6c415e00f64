//! What an import path is (a ZIP, a folder, one file) and how its files are found and read:
//! never following symlinks, never one of pacer's own files (by (device, inode), hard links
//! included: [`HomeGuard`]), regular files with a single link only, size-capped. Every refusal
//! reads alike ([`REFUSED`]), so an import is no oracle for which paths exist.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use pacer_files::{DataType, Sniffed};

use super::{ImportError, MAX_DEPTH, MAX_FILE_BYTES, MAX_FILES};
use crate::activities::home_guard::HomeGuard;

/// The one answer for a path or file that cannot be imported, whatever the reason.
pub const REFUSED: &str = "cannot import (missing, unreadable, a symlink, not a folder or a regular file with a \
     single link, or one of pacer's own files)";

/// A file found in an import folder.
#[derive(Debug, Clone)]
pub struct FoundFile {
    pub path: PathBuf,
    /// Path relative to the imported folder (what reports show).
    pub name: String,
    /// Why it will not be imported (not an activity file, a symlink), if so.
    pub skip: Option<&'static str>,
}

/// What an import path turned out to be.
pub enum Source {
    Zip(std::fs::File),
    /// The files found, and the guard their reads must pass.
    Files(Vec<FoundFile>, HomeGuard),
}

/// Opens `path` for reading without following a symlink at its last component and without
/// blocking on a FIFO; only regular files with one link that are none of the home's files.
fn open_regular(path: &Path, guard: &HomeGuard) -> Result<std::fs::File, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|_| REFUSED.to_owned())?;
    if !guard.admits(&file) {
        return Err(REFUSED.to_owned());
    }
    Ok(file)
}

/// Reads one activity file found by [`classify`].
pub fn read(path: &Path, guard: &HomeGuard) -> Result<Vec<u8>, String> {
    let file = open_regular(path, guard)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    Ok(bytes)
}

fn inside_home(path: &Path, home: &Path) -> bool {
    match (path.canonicalize(), home.canonicalize()) {
        (Ok(p), Ok(h)) => p.starts_with(h),
        _ => false,
    }
}

/// Decides what `path` is. A file is a ZIP by its content; a folder is walked for activity
/// files (by extension; everything else is ignored).
pub fn classify(path: &Path, home: &Path) -> Result<Source, ImportError> {
    let shown = path.display();
    let refused = || ImportError::Source(format!("{shown}: {REFUSED}"));
    let meta = std::fs::symlink_metadata(path).map_err(|_| refused())?;
    if inside_home(path, home) {
        return Err(refused());
    }
    let guard = HomeGuard::new(home);
    if meta.is_dir() {
        let mut found = Vec::new();
        walk(path, path, 0, &mut found)?;
        found.sort_by(|a, b| a.name.cmp(&b.name));
        return Ok(Source::Files(found, guard));
    }
    let mut file = open_regular(path, &guard).map_err(|e| ImportError::Source(format!("{shown}: {e}")))?;
    let mut head = [0u8; 16];
    let n = file.read(&mut head).map_err(|e| ImportError::Source(format!("{shown}: {e}")))?;
    if pacer_files::sniff(&head[..n]) == Some(Sniffed::Zip) {
        // Re-open so the archive reader starts at the beginning.
        let file = open_regular(path, &guard).map_err(|e| ImportError::Source(format!("{shown}: {e}")))?;
        return Ok(Source::Zip(file));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.to_string());
    Ok(Source::Files(vec![FoundFile { path: path.to_path_buf(), name, skip: None }], guard))
}

fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Vec<FoundFile>) -> Result<(), ImportError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ImportError::Source(format!("cannot read folder {}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, depth + 1, found)?;
            continue;
        }
        let skip = if kind.is_symlink() {
            Some("a symbolic link (not followed)")
        } else if !kind.is_file() {
            continue;
        } else if DataType::from_file_name(&entry.file_name().to_string_lossy()).is_none() {
            Some("not a FIT, TCX or GPX file")
        } else {
            None
        };
        if found.len() >= MAX_FILES {
            return Err(ImportError::Source(format!("more than {MAX_FILES} files; import sub-folders one by one")));
        }
        let name = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        found.push(FoundFile { path, name, skip });
    }
    Ok(())
}

/// What an uploaded file turned out to be.
pub enum Upload {
    Zip(std::fs::File),
    /// One activity file, read (≤ [`MAX_FILE_BYTES`]).
    File(Vec<u8>),
}

/// Classifies an uploaded temp file by its content.
pub fn classify_upload(mut file: std::fs::File) -> Result<Upload, ImportError> {
    use std::io::{Seek as _, SeekFrom};
    let failed = |e: std::io::Error| ImportError::Source(format!("cannot read the upload: {e}"));
    file.seek(SeekFrom::Start(0)).map_err(failed)?;
    let mut head = [0u8; 16];
    let n = file.read(&mut head).map_err(failed)?;
    file.seek(SeekFrom::Start(0)).map_err(failed)?;
    if pacer_files::sniff(&head[..n]) == Some(Sniffed::Zip) {
        return Ok(Upload::Zip(file));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImportError::Source(format!(
            "the upload is neither a ZIP nor an activity file of at most {} MiB",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(Upload::File(bytes))
}
