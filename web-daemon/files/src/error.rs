//! Why a file cannot become an activity. The messages are user-facing (Strava-like); the
//! sandbox shows them as an upload's `error`.

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No bytes (before or after decompression).
    #[error("The file is empty.")]
    Empty,
    /// Declared gzipped, but no gzip magic.
    #[error("data_type is {declared} but the file is not gzip compressed.")]
    NotGzip {
        /// The declared data type label.
        declared: String,
    },
    /// The gzip stream is corrupt.
    #[error("Could not decompress the file: {0}")]
    Gzip(String),
    /// Decompressing would exceed [`crate::Limits::max_decompressed_bytes`].
    #[error("The decompressed file is too large (more than {max} bytes).")]
    TooLarge {
        /// The cap, in bytes.
        max: u64,
    },
    /// The contents are of another type than declared.
    #[error("data_type is {declared} but the file looks like {detected}.")]
    Mismatch {
        /// The declared data type label.
        declared: String,
        /// What the contents look like (`fit`, `gpx`, `gzip`, …).
        detected: &'static str,
    },
    /// Neither the contents nor the file name tell the format.
    #[error("Unrecognized file format (expected FIT, TCX or GPX, optionally gzipped).")]
    Unrecognized,
    /// A ZIP archive was given where one activity file was expected.
    #[error("The file is a ZIP archive; import it as a Strava bulk export instead.")]
    Archive,
    /// XML elements nest deeper than [`crate::Limits::max_xml_depth`].
    #[error("Improperly formatted data: XML nesting deeper than {max} levels.")]
    TooDeep {
        /// The cap.
        max: usize,
    },
    /// More track points than [`crate::Limits::max_points`].
    #[error("The file has more than {max} track points.")]
    TooManyPoints {
        /// The cap.
        max: usize,
    },
    /// The format was recognised but its contents are broken.
    #[error("Improperly formatted data: {0}")]
    Malformed(String),
    /// The track cannot be summarized.
    #[error("{0}")]
    Track(#[from] TrackError),
}

/// Why a track cannot become an activity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackError {
    /// Points exist but none has a time.
    #[error("Time information is missing from your file.")]
    NoTime,
    /// No points at all.
    #[error("The file contains no track points.")]
    NoPoints,
}
