//! One archive entry: name safety and bounded inflation.

use std::io::Read;

use super::{ArchiveError, ArchiveLimits};

/// The compression ratio is only judged once an entry has inflated past this many bytes
/// (tiny, very regular files legitimately compress far better than 200:1).
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
/// Bytes inflated per read.
const CHUNK_BYTES: usize = 64 * 1024;

/// Whether an entry name is absolute (`/etc/x`, `\x`, `C:x`), climbs out (`../x.fit`,
/// `a/../../x`… any `..` component) or holds a NUL byte.
pub(crate) fn is_unsafe_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    name.starts_with(['/', '\\']) || drive || name.contains('\0') || name.split(['/', '\\']).any(|part| part == "..")
}

/// Reads an entry to its end, refusing it as soon as it grows past the entry cap, past the
/// ratio cap relative to `compressed` bytes, or past `budget` (the archive's remaining total).
pub(crate) fn read_bounded<F: Read>(
    file: &mut zip::read::ZipFile<'_, F>,
    name: &str,
    limits: &ArchiveLimits,
    budget: u64,
) -> Result<Vec<u8>, ArchiveError> {
    let compressed = file.compressed_size().max(1);
    let declared = file.size();
    let too_large = || ArchiveError::EntryTooLarge { name: name.to_owned(), max: limits.max_entry_bytes };
    let bomb = || ArchiveError::Bomb { name: name.to_owned(), max_ratio: limits.max_ratio };
    let over_ratio = |size: u64| size > RATIO_FLOOR_BYTES && size > compressed.saturating_mul(limits.max_ratio);
    if declared > limits.max_entry_bytes {
        return Err(too_large());
    }
    if over_ratio(declared) {
        return Err(bomb());
    }
    let mut out = Vec::with_capacity(usize::try_from(declared.min(RATIO_FLOOR_BYTES)).unwrap_or(0));
    let mut chunk = vec![0u8; CHUNK_BYTES];
    loop {
        let read = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ArchiveError::Entry { name: name.to_owned(), reason: e.to_string() }),
        };
        out.extend_from_slice(&chunk[..read]);
        let size = out.len() as u64;
        if size > limits.max_entry_bytes {
            return Err(too_large());
        }
        if over_ratio(size) {
            return Err(bomb());
        }
        if size > budget {
            return Err(ArchiveError::TooLarge { max: limits.max_total_bytes });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names() {
        for name in ["../x.fit", "/etc/x", "activities/../../x.fit", "\\x", "C:/x", "a\\..\\b", "a\0b"] {
            assert!(is_unsafe_name(name), "{name}");
        }
        for name in ["activities/1.fit.gz", "export/activities.csv", "a..b/c", "activities/"] {
            assert!(!is_unsafe_name(name), "{name}");
        }
    }
}
