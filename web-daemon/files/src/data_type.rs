//! The one home of activity-file type names: [`FileKind`] (`fit`, `tcx`, `gpx`) and
//! [`DataType`] (a kind, optionally gzipped: `fit.gz`), as Strava's upload `data_type` spells them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The format of an activity file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Garmin FIT (binary).
    Fit,
    /// Garmin Training Center XML.
    Tcx,
    /// GPS Exchange Format 1.1 (XML).
    Gpx,
}

impl FileKind {
    /// Every kind, in label order.
    pub const ALL: [FileKind; 3] = [FileKind::Fit, FileKind::Tcx, FileKind::Gpx];

    /// The lower-case label (`fit`, `tcx`, `gpx`), also the file extension.
    pub const fn label(self) -> &'static str {
        match self {
            FileKind::Fit => "fit",
            FileKind::Tcx => "tcx",
            FileKind::Gpx => "gpx",
        }
    }

    /// The kind labelled `value` (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        Self::ALL.into_iter().find(|k| k.label().eq_ignore_ascii_case(value))
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A file type as declared by an uploader: `fit`, `fit.gz`, `tcx`, `tcx.gz`, `gpx` or `gpx.gz`.
/// Serialized as that label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataType {
    /// The format of the (decompressed) file.
    pub kind: FileKind,
    /// Whether the bytes are gzip-compressed.
    pub gzipped: bool,
}

impl DataType {
    /// A data type of `kind`, gzipped or not.
    pub const fn new(kind: FileKind, gzipped: bool) -> Self {
        Self { kind, gzipped }
    }

    /// Parses a label such as `fit.gz` (case-insensitive, surrounding blanks ignored).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim().to_ascii_lowercase();
        let (base, gzipped) = match value.strip_suffix(".gz") {
            Some(base) => (base, true),
            None => (value.as_str(), false),
        };
        FileKind::parse(base).map(|kind| Self { kind, gzipped })
    }

    /// The data type named by a file's extension (`x.FIT.gz` → `fit.gz`), if supported.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
        let (stem, gzipped) = match base.strip_suffix(".gz") {
            Some(stem) => (stem, true),
            None => (base.as_str(), false),
        };
        let (_, extension) = stem.rsplit_once('.')?;
        FileKind::parse(extension).map(|kind| Self { kind, gzipped })
    }

    /// The label: `fit`, `fit.gz`, ….
    pub fn label(self) -> String {
        self.to_string()
    }

    /// Every data type, plain before gzipped for each kind.
    pub const ALL: [DataType; 6] = [
        DataType::new(FileKind::Fit, false),
        DataType::new(FileKind::Fit, true),
        DataType::new(FileKind::Tcx, false),
        DataType::new(FileKind::Tcx, true),
        DataType::new(FileKind::Gpx, false),
        DataType::new(FileKind::Gpx, true),
    ];
}

/// JSON Schema: a string, one of the labels (feature `schema`).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for DataType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DataType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let labels: Vec<String> = Self::ALL.iter().map(|d| d.label()).collect();
        schemars::json_schema!({
            "description": "Activity file format: fit, tcx or gpx, optionally gzipped (.gz).",
            "type": "string",
            "enum": labels,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.label())?;
        if self.gzipped { f.write_str(".gz") } else { Ok(()) }
    }
}

/// Why a string is not a [`DataType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data type '{0}' (known: fit, fit.gz, tcx, tcx.gz, gpx, gpx.gz)")]
pub struct UnknownDataType(pub String);

impl FromStr for DataType {
    type Err = UnknownDataType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| UnknownDataType(s.to_owned()))
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let label = String::deserialize(deserializer)?;
        label.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for kind in FileKind::ALL {
            for gzipped in [false, true] {
                let dt = DataType::new(kind, gzipped);
                assert_eq!(DataType::parse(&dt.label()), Some(dt));
            }
        }
        assert_eq!(DataType::parse(" FIT.GZ "), Some(DataType::new(FileKind::Fit, true)));
        assert_eq!(DataType::parse("kml"), None);
        assert_eq!(DataType::parse("gz"), None);
    }

    #[test]
    fn from_file_names() {
        let fit_gz = Some(DataType::new(FileKind::Fit, true));
        assert_eq!(DataType::from_file_name("x.FIT.gz"), fit_gz);
        assert_eq!(DataType::from_file_name("activities/10485720934.fit.gz"), fit_gz);
        assert_eq!(DataType::from_file_name("ride.gpx"), Some(DataType::new(FileKind::Gpx, false)));
        assert_eq!(DataType::from_file_name("a.tcx"), Some(DataType::new(FileKind::Tcx, false)));
        assert_eq!(DataType::from_file_name("photo.jpg"), None);
        assert_eq!(DataType::from_file_name("fit"), None);
        assert_eq!(DataType::from_file_name("notes.gz"), None);
    }

    #[test]
    fn serde_uses_the_label() {
        let dt = DataType::new(FileKind::Tcx, true);
        assert_eq!(serde_json::to_string(&dt).ok().as_deref(), Some("\"tcx.gz\""));
        assert_eq!(serde_json::from_str::<DataType>("\"gpx\"").ok(), Some(DataType::new(FileKind::Gpx, false)));
        assert!(serde_json::from_str::<DataType>("\"kml\"").is_err());
    }
}
