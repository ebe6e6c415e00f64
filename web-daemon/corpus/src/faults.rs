//! Deliberately broken and hostile export content, each recorded so tests can assert exact skip
//! reports: a truncated FIT, a FIT with a bad file CRC, malformed XML, an unsupported file, a
//! CSV row whose file is missing, a path-traversal entry, and a separate ZIP bomb.

use std::io::Write as _;

use flate2::{Compress, Compression, FlushCompress};

/// Which faults to inject into an export. Default: none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The 2nd activity becomes an uncompressed FIT cut at 60 % of its length.
    pub truncated_fit: bool,
    /// The 3rd activity becomes an uncompressed FIT whose trailing file CRC is wrong.
    pub bad_crc_fit: bool,
    /// The 4th activity becomes uncompressed GPX (TCX when indoor) with a mismatched end tag.
    pub malformed_xml: bool,
    /// An extra CSV row points at `activities/notes.txt`, a plain-text file.
    pub unsupported_file: bool,
    /// The 5th activity's CSV row stays but its file is left out of the archive.
    pub missing_file: bool,
    /// An extra CSV row and entry named `../evil.fit` (a valid FIT) try to escape the target dir.
    pub path_traversal: bool,
}

impl Faults {
    /// Every fault.
    pub fn all() -> Faults {
        Faults {
            truncated_fit: true,
            bad_crc_fit: true,
            malformed_xml: true,
            unsupported_file: true,
            missing_file: true,
            path_traversal: true,
        }
    }
}

/// The kind of an injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// FIT file cut short.
    TruncatedFit,
    /// FIT file with a wrong file CRC (data intact).
    BadCrcFit,
    /// GPX/TCX that is not well-formed XML.
    MalformedXml,
    /// A file of an unsupported type (`.txt`).
    UnsupportedFile,
    /// A CSV row whose `Filename` is not in the archive.
    MissingFile,
    /// An entry whose name climbs out of the extraction directory.
    PathTraversal,
}

/// One injected fault: what, the archive entry / CSV `Filename`, and the CSV row's activity id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectedFault {
    /// What was broken.
    pub kind: FaultKind,
    /// The entry name (equal to the CSV `Filename`).
    pub entry: String,
    /// The `Activity ID` of the CSV row referring to it.
    pub activity_id: u64,
}

/// Cuts a FIT file to 60 % of its length (header intact, data size now lies).
pub fn truncate_fit(fit: &[u8]) -> Vec<u8> {
    fit[..fit.len() * 3 / 5].to_vec()
}

/// Flips bits of the trailing file CRC.
pub fn break_fit_crc(fit: &[u8]) -> Vec<u8> {
    let mut out = fit.to_vec();
    let n = out.len();
    out[n - 2] ^= 0x5A;
    out[n - 1] ^= 0xA5;
    out
}

/// Renames the first closing `</trkpt>` or `</Trackpoint>` so the end tag does not match.
pub fn break_xml(xml: &str) -> String {
    for (good, bad) in [("</trkpt>", "</trkpoint>"), ("</Trackpoint>", "</Trackpoin>")] {
        if xml.contains(good) {
            return xml.replacen(good, bad, 1);
        }
    }
    format!("{xml}<unclosed>")
}

/// The unsupported file's content.
pub const NOTES_TXT: &str = "Training notes\n- Tuesday: track\n- Sunday: long run\n";

/// A ZIP bomb: the archive, its one entry's name and declared uncompressed size.
#[derive(Clone, Debug)]
pub struct ZipBomb {
    /// The archive bytes (about 1/1000 of `uncompressed_size`).
    pub zip: Vec<u8>,
    /// The entry's name, `activities/bomb.fit`.
    pub entry: String,
    /// Uncompressed size of the entry in bytes.
    pub uncompressed_size: u64,
}

/// One entry of `uncompressed_size` zero bytes (rounded up to whole MiB, at most 4 GiB − 1 MiB),
/// deflated ~1000:1. Built by repeating one fully flushed deflate block, so a 1 GiB bomb takes
/// milliseconds and little memory to make.
pub fn zip_bomb(uncompressed_size: u64) -> ZipBomb {
    const CHUNK: usize = 1 << 20;
    let chunks = uncompressed_size.div_ceil(CHUNK as u64).clamp(1, 4095);
    let zeros = vec![0u8; CHUNK];
    let mut deflate = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(8 * 1024);
    deflate.compress_vec(&zeros, &mut block, FlushCompress::Full).expect("deflate to memory");
    assert_eq!(deflate.total_in(), CHUNK as u64, "the whole chunk fits the output buffer");
    let mut chunk_crc = crc32fast::Hasher::new();
    chunk_crc.update(&zeros);
    let mut crc = crc32fast::Hasher::new();
    let mut data = Vec::with_capacity(block.len() * chunks as usize + 2);
    for _ in 0..chunks {
        data.extend_from_slice(&block);
        crc.combine(&chunk_crc);
    }
    data.extend_from_slice(&[0x03, 0x00]); // final empty fixed-Huffman block
    let entry = "activities/bomb.fit".to_string();
    let size = chunks * CHUNK as u64;
    ZipBomb { zip: single_entry_zip(&entry, &data, crc.finalize(), size as u32), entry, uncompressed_size: size }
}

/// A one-entry ZIP with pre-deflated `data` (local header, data, central directory, end record).
fn single_entry_zip(name: &str, data: &[u8], crc: u32, size: u32) -> Vec<u8> {
    const DOS_TIME: u16 = 0;
    const DOS_DATE: u16 = ((2026 - 1980) << 9) | (11 << 5) | 30;
    let fields = |out: &mut Vec<u8>| {
        for v in [20u16, 0, 8, DOS_TIME, DOS_DATE] {
            out.write_all(&v.to_le_bytes()).expect("Vec");
        }
        for v in [crc, data.len() as u32, size] {
            out.write_all(&v.to_le_bytes()).expect("Vec");
        }
        out.write_all(&(name.len() as u16).to_le_bytes()).expect("Vec");
        out.write_all(&0u16.to_le_bytes()).expect("Vec"); // extra field length
    };
    let mut out = Vec::with_capacity(data.len() + 200);
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    fields(&mut out);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    let central = out.len() as u32;
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version made by
    fields(&mut out);
    // comment length, disk, internal attributes, external attributes, local header offset
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(name.as_bytes());
    let central_size = out.len() as u32 - central;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
