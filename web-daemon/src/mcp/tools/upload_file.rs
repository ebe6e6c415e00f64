//! `upload_activity`'s arguments and the activity file: where it comes from, how big it may
//! be, what format it is.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rmcp::ErrorData;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::activities::home_guard::{HomeGuard, opened_path};
use crate::mcp::params::{Validate, invalid};

/// Largest activity file accepted (Strava's own limit is 25 MB).
pub const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;

pub use pacer_files::DataType;

/// Arguments of `upload_activity`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadActivityParams {
    /// Absolute path of a .fit/.tcx/.gpx(.gz) file on this machine (or give content_base64).
    path: Option<String>,
    /// The file's bytes, base64 (under 1 MiB).
    content_base64: Option<String>,
    /// The format; default: from the extension or the content.
    data_type: Option<DataType>,
    /// Title (default e.g. "Morning Run").
    name: Option<String>,
    /// Description.
    description: Option<String>,
    /// Your id for duplicate detection (default: the file name).
    external_id: Option<String>,
    /// Sport type, e.g. `Run`, `Ride` (default: from the file).
    sport_type: Option<String>,
}

/// Where the file comes from.
pub enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// `upload_activity` after validation (the file is not read yet for `path`).
pub struct UploadJob {
    pub source: Source,
    pub data_type: Option<DataType>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub sport_type: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl Validate for UploadActivityParams {
    type Output = UploadJob;
    fn validate(self) -> Result<UploadJob, ErrorData> {
        let source = match (non_empty(self.path), self.content_base64) {
            (Some(_), Some(_)) => {
                return Err(invalid("path", "give either path or content_base64, not both"));
            }
            (None, None) => return Err(invalid("path", "required (or give content_base64)")),
            (Some(path), None) => {
                let path = PathBuf::from(path);
                if !path.is_absolute() {
                    return Err(invalid("path", "must be an absolute path on the machine running pacer"));
                }
                Source::Path(path)
            }
            (None, Some(encoded)) => Source::Bytes(decode_base64(&encoded)?),
        };
        Ok(UploadJob {
            source,
            data_type: self.data_type,
            name: non_empty(self.name),
            description: non_empty(self.description),
            external_id: non_empty(self.external_id),
            sport_type: non_empty(self.sport_type),
        })
    }
}

fn decode_base64(encoded: &str) -> Result<Vec<u8>, ErrorData> {
    let compact: String = encoded.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() / 4 * 3 > MAX_UPLOAD_BYTES {
        return Err(invalid("content_base64", format!("the file is larger than {} MiB", MAX_UPLOAD_BYTES >> 20)));
    }
    let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    let url_safe = GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
    let bytes = standard
        .decode(&compact)
        .or_else(|_| url_safe.decode(&compact))
        .map_err(|e| invalid("content_base64", format!("not valid base64 ({e})")))?;
    if bytes.is_empty() {
        return Err(invalid("content_base64", "the file is empty"));
    }
    Ok(bytes)
}

/// A file read from disk.
pub struct LocalFile {
    pub bytes: Vec<u8>,
    pub data_type: DataType,
    pub file_name: String,
}

/// Reads `path` for upload: a regular activity file (by extension, of the given name and of
/// the file actually opened), at most [`MAX_UPLOAD_BYTES`], and none of pacer's own files.
/// Blocking: run it off the async runtime.
///
/// The file is opened once (`O_NOFOLLOW | O_NONBLOCK`, so neither a last-moment symlink nor a
/// FIFO can be slipped in), and every check runs on what was actually opened
/// ([`HomeGuard`]: not a home file by (device, inode), one link only, real path outside the
/// home). Every refusal after the argument check reads alike, so the tool is no oracle for which
/// paths exist.
pub fn read_local(path: &Path, home: &Path) -> Result<LocalFile, ErrorData> {
    use std::os::unix::fs::OpenOptionsExt;

    let shown = path.display();
    let name_of = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if DataType::from_file_name(&name_of(path)).is_none() {
        return Err(invalid("path", format!("{shown} is not a .fit, .tcx or .gpx file (optionally .gz)")));
    }
    let refused = || invalid("path", format!("{REFUSED} {shown}"));
    let real = path.canonicalize().map_err(|_| refused())?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&real)
        .map_err(|_| refused())?;
    if !HomeGuard::new(home).admits(&file) {
        return Err(refused());
    }
    let file_name = name_of(&opened_path(&file).ok_or_else(refused)?);
    let data_type = DataType::from_file_name(&file_name).ok_or_else(refused)?;
    let meta = file.metadata().map_err(|_| refused())?;
    let limit = u64::try_from(MAX_UPLOAD_BYTES).unwrap_or(u64::MAX);
    if meta.len() > limit {
        return Err(invalid("path", format!("{shown} is larger than {} MiB", MAX_UPLOAD_BYTES >> 20)));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| invalid("path", format!("cannot read {shown}: {e}")))?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(invalid("path", format!("{shown} is larger than {} MiB", MAX_UPLOAD_BYTES >> 20)));
    }
    if bytes.is_empty() {
        return Err(invalid("path", format!("{shown} is empty")));
    }
    Ok(LocalFile { bytes, data_type, file_name })
}

/// The one answer for a local file that cannot be used, whatever the reason.
pub const REFUSED: &str = "cannot use (missing, unreadable, not a regular activity file with a single link, or one of \
     pacer's own files):";

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn data_types() {
        use pacer_files::FileKind::{Fit, Gpx, Tcx};
        assert_eq!(DataType::from_file_name("Ride.FIT.gz"), Some(DataType::new(Fit, true)));
        assert_eq!(DataType::from_file_name("a.gpx"), Some(DataType::new(Gpx, false)));
        assert_eq!(DataType::from_file_name("master.key"), None);
        let mut fit = vec![14u8, 0x10, 0, 0, 0, 0, 0, 0];
        fit.extend_from_slice(b".FIT");
        assert_eq!(DataType::sniff(&fit), Some(DataType::new(Fit, false)));
        assert_eq!(DataType::sniff(b"<?xml?><gpx version=\"1.1\">"), Some(DataType::new(Gpx, false)));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<TrainingCenterDatabase>").ok();
        let gz = gz.finish().unwrap_or_default();
        assert_eq!(DataType::sniff(&gz), Some(DataType::new(Tcx, true)));
        assert_eq!(DataType::sniff(b"hello"), None);
    }

    #[test]
    fn base64_and_local_files() {
        assert_eq!(decode_base64("aGVs\nbG8").ok(), Some(b"hello".to_vec()));
        assert!(decode_base64("***").is_err_and(|e| e.message.starts_with("content_base64: not valid base64")));
        let home = tempfile::tempdir().expect("tempdir");
        let other = tempfile::tempdir().expect("tempdir");
        let refused = |p: &Path| {
            let e = read_local(p, home.path()).err().map(|e| e.message.to_string()).unwrap_or_default();
            e == format!("path: {REFUSED} {}", p.display())
        };
        let inside = home.path().join("x.gpx");
        std::fs::write(&inside, b"<gpx>").expect("write");
        assert!(refused(&inside), "a home file");
        let key = home.path().join("jwt.key");
        std::fs::write(&key, b"secret").expect("write");
        assert!(read_local(&key, home.path()).is_err_and(|e| e.message.contains("is not a .fit")), "by its name");
        // Links with an activity name reaching into the home, a FIFO, a missing file: one answer.
        let link = other.path().join("sneaky.gpx");
        std::os::unix::fs::symlink(&key, &link).expect("symlink");
        assert!(refused(&link), "a symlink to a home file");
        let hard = other.path().join("hard.gpx");
        std::fs::hard_link(&key, &hard).expect("hard link");
        assert!(refused(&hard), "a hard link to a home file");
        let fifo = other.path().join("pipe.gpx");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert!(refused(&fifo), "a FIFO");
        assert!(refused(&other.path().join("missing.fit")), "a missing file");
        let ok = other.path().join("run.gpx");
        std::fs::write(&ok, b"<gpx>").expect("write");
        let file = read_local(&ok, home.path()).expect("readable");
        let gpx = DataType::new(pacer_files::FileKind::Gpx, false);
        assert_eq!((file.data_type, file.file_name.as_str(), file.bytes.len()), (gpx, "run.gpx", 5));
    }
}
