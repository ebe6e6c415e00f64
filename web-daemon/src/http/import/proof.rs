//! Property tests of the upload path's multipart parsing ([`save_upload`]): any body, cut into
//! any chunks, is saved intact, refused as 400 (malformed, no `file` part, empty) or 413 (over
//! the cap), never a panic or a 500; peak allocation stays proportional to the chunks, not the
//! upload (the file goes to disk).

use std::io::{Read as _, Seek as _};

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use proptest::prelude::*;

use super::save_upload;
use crate::PROOF_ALLOC as ALLOC;

const BOUNDARY: &str = "pacer-proof-boundary-7MA4YWxkTrZu0gW";

/// A form with a text part before the `file` part, as browsers send it.
fn body(content: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.zip\"\r\n\
         Content-Type: application/zip\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(content);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// The multipart parser buffers at most a chunk and a part's headers: 4 × the largest chunk
/// plus 256 KiB, whatever the upload's size.
fn upload_bound(largest_chunk: usize) -> u64 {
    (4 * largest_chunk + 256 * 1024) as u64
}

/// One actix system and one home for every case (building them per case costs more than the case).
struct Bench {
    system: actix_web::rt::SystemRunner,
    dir: tempfile::TempDir,
}

impl Bench {
    fn new() -> Self {
        Self { system: actix_web::rt::System::new(), dir: tempfile::tempdir().expect("temp dir") }
    }
}

/// How long one parse of an in-memory body may take before it counts as hung (far above the
/// milliseconds it needs; a hang never finishes).
const HUNG: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs [`save_upload`] on `body` cut into pieces of `sizes` (cycled); returns the saved bytes
/// or the refusal's status, and the peak allocation of the parse on this thread.
fn upload(bench: &Bench, body: &[u8], sizes: &[usize], limit: usize) -> (Result<Vec<u8>, StatusCode>, u64) {
    let mut chunks = Vec::new();
    let (mut at, mut turn) = (0, 0);
    while at < body.len() {
        let end = (at + sizes[turn % sizes.len()].max(1)).min(body.len());
        chunks.push(Bytes::copy_from_slice(&body[at..end]));
        (at, turn) = (end, turn + 1);
    }
    let largest = chunks.iter().map(Bytes::len).max().unwrap_or(0);
    let mut headers = HeaderMap::new();
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    headers.insert(CONTENT_TYPE, HeaderValue::from_str(&content_type).expect("header"));
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, actix_web::error::PayloadError>));
    let (form, ended) = super::watched_form(&headers, stream);
    let dir = bench.dir.path().join("tmp");
    let (saved, peak) = ALLOC.measure(|| {
        bench.system.block_on(async { tokio::time::timeout(HUNG, save_upload(form, ended, dir, limit)).await })
    });
    let outcome = saved
        .expect("save_upload never finished on a finite body")
        .map(|mut file| {
            let mut bytes = Vec::new();
            file.rewind().and_then(|()| file.read_to_end(&mut bytes)).expect("read back");
            bytes
        })
        .map_err(|e| e.status);
    let bound = upload_bound(largest);
    assert!(peak <= bound, "peak {peak} B over {bound} B (body {} B)", body.len());
    (outcome, peak)
}

#[test]
fn uploads_are_saved_intact_or_refused_at_the_cap() {
    let strategy =
        (proptest::collection::vec(any::<u8>(), 1..4096), proptest::collection::vec(1..1500usize, 1..4), any::<bool>());
    let bench = Bench::new();
    pacer_proof::check(file!(), "http: multipart round trip", strategy, |(content, sizes, under_cap)| {
        let limit = if under_cap { content.len() } else { content.len() - 1 };
        let (outcome, peak) = upload(&bench, &body(&content), &sizes, limit);
        if under_cap {
            assert_eq!(outcome, Ok(content));
        } else {
            assert_eq!(outcome, Err(StatusCode::PAYLOAD_TOO_LARGE));
        }
        peak
    });
}

/// Found by the property below: a body ending inside a part (here `\r\n` after the closing
/// boundary's dashes went missing) left `save_upload` waiting forever.
#[test]
fn a_body_ending_inside_a_part_is_400_not_a_hang() {
    let bench = Bench::new();
    let body =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhello\x0c\n--{BOUNDARY}--\r\n");
    for size in [1, 7, 4096] {
        assert_eq!(upload(&bench, body.as_bytes(), &[size], 100).0, Err(StatusCode::BAD_REQUEST), "chunks of {size}");
    }
}

#[test]
fn damaged_bodies_are_400_or_413_never_a_panic() {
    let valid = body(b"PK\x03\x04 not really a zip, but bytes all the same");
    let strategy = (pacer_proof::mutated(valid), proptest::collection::vec(1..200usize, 1..4), 1..64usize);
    let bench = Bench::new();
    pacer_proof::check(file!(), "http: damaged multipart", strategy, |(body, sizes, limit)| {
        let (outcome, peak) = upload(&bench, &body, &sizes, limit);
        match outcome {
            Ok(saved) => assert!(!saved.is_empty() && saved.len() <= limit, "{} B saved, cap {limit}", saved.len()),
            Err(status) => {
                assert!(matches!(status, StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE), "status {status}")
            }
        }
        peak
    });
}
