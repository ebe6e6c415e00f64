//! The caps every parse runs under: hostile uploads must fail fast with bounded memory.

/// Caps applied while decompressing and parsing one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file after gunzip (or a ZIP entry after inflating), in bytes.
    pub max_decompressed_bytes: u64,
    /// Deepest XML element nesting accepted (GPX and TCX need fewer than 10 levels).
    pub max_xml_depth: usize,
    /// Most track points (FIT `record`s, GPX `trkpt`/`rtept`s, TCX `Trackpoint`s) in one file.
    pub max_points: usize,
}

impl Limits {
    /// 25 MiB decompressed (Strava's upload cap), 64 levels of XML, 200 000 points
    /// (55 hours at one point a second).
    pub const DEFAULT: Limits =
        Limits { max_decompressed_bytes: 25 * 1024 * 1024, max_xml_depth: 64, max_points: 200_000 };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
