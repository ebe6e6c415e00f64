//! Parsing one activity file: bounded gunzip, checking the declared type against the
//! contents, and dispatch to the FIT/TCX/GPX parsers.

use std::borrow::Cow;
use std::io::Read as _;

use crate::data_type::{DataType, FileKind};
use crate::error::ParseError;
use crate::limits::Limits;
use crate::parsed::ParsedFile;
use crate::sniff::{Sniffed, sniff};
use crate::{fit, xml};

/// Decompresses a gzip stream (concatenated members too), refusing output larger than
/// [`Limits::max_decompressed_bytes`]; memory stays bounded by that cap.
pub fn gunzip(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, ParseError> {
    let max = limits.max_decompressed_bytes;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| ParseError::Gzip(e.to_string()))?;
    if out.len() as u64 > max {
        return Err(ParseError::TooLarge { max });
    }
    Ok(out)
}

/// Parses a file of a declared type: gunzips when declared gzipped, checks the contents look
/// like the declared kind, then parses under `limits`.
pub fn parse(bytes: &[u8], data_type: DataType, limits: &Limits) -> Result<ParsedFile, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty);
    }
    let declared = data_type.label();
    let data: Cow<'_, [u8]> = if data_type.gzipped {
        if sniff(bytes) != Some(Sniffed::Gzip) {
            return Err(ParseError::NotGzip { declared });
        }
        Cow::Owned(gunzip(bytes, limits)?)
    } else {
        Cow::Borrowed(bytes)
    };
    if data.is_empty() {
        return Err(ParseError::Empty);
    }
    match sniff(&data) {
        Some(detected) if detected != Sniffed::File(data_type.kind) => {
            Err(ParseError::Mismatch { declared, detected: detected.label() })
        }
        _ => parse_kind(&data, data_type.kind, limits),
    }
}

/// Parses a file whose type is not declared: the contents decide (gunzipping first when they
/// are gzip), else the extension of `file_name_hint`. Returns the data type found.
pub fn parse_any(
    bytes: &[u8],
    file_name_hint: Option<&str>,
    limits: &Limits,
) -> Result<(DataType, ParsedFile), ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty);
    }
    let gzipped = sniff(bytes) == Some(Sniffed::Gzip);
    let data: Cow<'_, [u8]> = if gzipped { Cow::Owned(gunzip(bytes, limits)?) } else { Cow::Borrowed(bytes) };
    if data.is_empty() {
        return Err(ParseError::Empty);
    }
    let kind = match sniff(&data) {
        Some(Sniffed::File(kind)) => kind,
        Some(Sniffed::Zip) => return Err(ParseError::Archive),
        Some(Sniffed::Gzip) => return Err(ParseError::Malformed("gzip inside gzip".into())),
        None => file_name_hint.and_then(DataType::from_file_name).map(|d| d.kind).ok_or(ParseError::Unrecognized)?,
    };
    Ok((DataType::new(kind, gzipped), parse_kind(&data, kind, limits)?))
}

fn parse_kind(data: &[u8], kind: FileKind, limits: &Limits) -> Result<ParsedFile, ParseError> {
    match kind {
        FileKind::Fit => fit::parse_fit(data, limits),
        FileKind::Tcx => xml::parse_tcx(data, limits),
        FileKind::Gpx => xml::parse_gpx(data, limits),
    }
}
