//! Recognising a file from its first bytes, whatever its name or declared type says.

use std::fmt;

use crate::data_type::FileKind;

/// What a byte string looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sniffed {
    /// gzip stream (magic `1f 8b`).
    Gzip,
    /// ZIP archive (local file header `PK\x03\x04`, or an empty archive's `PK\x05\x06`).
    Zip,
    /// An activity file of this kind.
    File(FileKind),
}

impl Sniffed {
    /// The label: `gzip`, `zip`, or the file kind's (`fit`, `tcx`, `gpx`).
    pub const fn label(self) -> &'static str {
        match self {
            Sniffed::Gzip => "gzip",
            Sniffed::Zip => "zip",
            Sniffed::File(kind) => kind.label(),
        }
    }

    /// The activity-file kind, when this is not a container.
    pub const fn kind(self) -> Option<FileKind> {
        match self {
            Sniffed::File(kind) => Some(kind),
            Sniffed::Gzip | Sniffed::Zip => None,
        }
    }
}

impl fmt::Display for Sniffed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How far into a document the XML root element is searched for.
const XML_HEAD_BYTES: usize = 64 * 1024;

/// What `bytes` look like, if recognisable: gzip, zip, FIT (`.FIT` at offset 8), TCX
/// (`TrainingCenterDatabase` near the start) or GPX (a `<gpx` / `:gpx` element near the start).
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Some(Sniffed::Gzip);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Some(Sniffed::Zip);
    }
    if bytes.get(8..12) == Some(b".FIT") {
        return Some(Sniffed::File(FileKind::Fit));
    }
    let head = &bytes[..bytes.len().min(XML_HEAD_BYTES)];
    if contains(head, b"TrainingCenterDatabase") {
        Some(Sniffed::File(FileKind::Tcx))
    } else if contains(head, b"<gpx") || contains(head, b":gpx") {
        Some(Sniffed::File(FileKind::Gpx))
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl crate::data_type::DataType {
    /// The data type of `bytes` by content: a FIT/TCX/GPX file, or one gzipped (the first 4 KiB
    /// are inflated to look inside). `None` when unrecognisable.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        use std::io::Read as _;
        match sniff(bytes)? {
            Sniffed::File(kind) => Some(Self::new(kind, false)),
            Sniffed::Gzip => {
                let mut head = Vec::new();
                flate2::read::MultiGzDecoder::new(bytes).take(4096).read_to_end(&mut head).ok();
                match sniff(&head)? {
                    Sniffed::File(kind) => Some(Self::new(kind, true)),
                    _ => None,
                }
            }
            Sniffed::Zip => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_format() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Sniffed::Gzip));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Sniffed::Zip));
        assert_eq!(sniff(b"\x0e\x20\x54\x08\x10\x00\x00\x00.FIT"), Some(Sniffed::File(FileKind::Fit)));
        assert_eq!(sniff(b"<?xml?><TrainingCenterDatabase/>"), Some(Sniffed::File(FileKind::Tcx)));
        assert_eq!(sniff(b"<?xml?><gpx version=\"1.1\"/>"), Some(Sniffed::File(FileKind::Gpx)));
        assert_eq!(sniff(b"<g:gpx/>"), Some(Sniffed::File(FileKind::Gpx)));
        assert_eq!(sniff(b"hello"), None);
        assert_eq!(sniff(b""), None);
    }
}
