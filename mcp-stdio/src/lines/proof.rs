//! Property tests of [`LineReader`] and [`IdScanner`]: lines come out as the input splits them,
//! however the bytes arrive; an oversize line is never held (peak allocation stays near the cap,
//! not the line); the id found in pieces is the id a JSON parser finds.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use proptest::prelude::*;
use serde_json::Value;
use tokio::io::{AsyncRead, ReadBuf};

use super::{IdScanner, Line, LineReader, MAX_ID_BYTES};

#[global_allocator]
static ALLOC: pacer_proof::PeakAlloc = pacer_proof::PeakAlloc::new();

/// The reader's 64 KiB buffer, the line itself up to the cap, the scanner's id capture, and
/// 16 KiB of fixed overhead: never the length of an oversize line.
fn line_bound(max: usize) -> u64 {
    (64 * 1024 + 2 * max + MAX_ID_BYTES + 16 * 1024) as u64
}

/// Hands out `data` in pieces of the given sizes (cycled), as a socket would.
struct Chunked {
    data: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl AsyncRead for Chunked {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let size = this.sizes[this.turn % this.sizes.len()].max(1);
        this.turn += 1;
        let end = (this.at + size).min(this.data.len()).min(this.at + buf.remaining());
        buf.put_slice(&this.data[this.at..end]);
        this.at = end;
        Poll::Ready(Ok(()))
    }
}

/// Lines as the protocol defines them: split at `\n`; a last line without one still counts.
fn expected_lines(data: &[u8]) -> Vec<&[u8]> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.ends_with(b"\n") {
        lines.pop();
    }
    lines
}

fn scan_whole(line: &[u8]) -> (Option<Value>, bool) {
    let mut scanner = IdScanner::default();
    scanner.feed(line);
    let has_method = scanner.has_method;
    (scanner.finish(), has_method)
}

/// Input made of JSON-RPC-looking lines, long ones and raw bytes.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        pacer_proof::json_object(&["id", "method", "jsonrpc", "params", "result"])
            .prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..300),
        (".{0,8}", 0..4000usize).prop_map(|(s, n)| format!(
            r#"{{"method":"m","params":"{}","id":{s:?}}}"#,
            "a".repeat(n)
        )
        .into_bytes()),
    ];
    proptest::collection::vec((line, any::<bool>()), 0..6).prop_map(|lines| {
        let mut out = Vec::new();
        for (line, newline) in lines {
            out.extend_from_slice(&line);
            if newline {
                out.push(b'\n');
            }
        }
        out
    })
}

#[test]
fn line_reader_splits_like_the_protocol_in_bounded_memory() {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let strategy = (input(), 1..2048usize, proptest::collection::vec(1..5000usize, 1..4));
    pacer_proof::check(file!(), "pacer-mcp: LineReader", strategy, |(data, max, sizes)| {
        let expected = expected_lines(&data);
        let mut reader = LineReader::new(Chunked { data: data.clone(), at: 0, sizes, turn: 0 }, max);
        let mut peak = 0;
        for want in &expected {
            let (got, line_peak) = ALLOC.measure(|| rt.block_on(reader.next_line()));
            peak = peak.max(line_peak);
            assert!(line_peak <= line_bound(max), "peak {line_peak} B for a {} B line, cap {max}", want.len());
            match got.expect("in-memory reads do not fail") {
                Some(Line::Complete(line)) => assert_eq!(&line[..], *want),
                Some(Line::Oversize { len, id, has_method }) => {
                    assert!(want.len() > max, "a {} B line within the cap {max} came out oversize", want.len());
                    assert_eq!(len, want.len());
                    assert_eq!((id, has_method), scan_whole(want));
                }
                None => panic!("stream ended before {} expected lines", expected.len()),
            }
        }
        assert!(rt.block_on(reader.next_line()).expect("read").is_none(), "more lines than expected");
        peak
    });
}

#[test]
fn id_scanner_agrees_with_a_json_parser_in_any_pieces() {
    let strategy =
        (pacer_proof::json_object(&["id", "method", "jsonrpc", "params"]), proptest::collection::vec(1..64usize, 1..8));
    pacer_proof::check(file!(), "pacer-mcp: IdScanner", strategy, |(object, sizes)| {
        let text = object.to_string();
        let (whole, has_method) = scan_whole(text.as_bytes());
        let mut pieces = IdScanner::default();
        let mut rest = text.as_bytes();
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at((*size).min(rest.len()));
            pieces.feed(piece);
            rest = tail;
        }
        assert_eq!(pieces.has_method, has_method);
        assert_eq!(has_method, object.get("method").is_some(), "in {text}");
        // Compared with the text parsed back (floats need not survive a round trip exactly).
        let parsed: Value = serde_json::from_str(&text).expect("serde_json reads its own output");
        let expected = parsed
            .get("id")
            .filter(|id| (id.is_string() || id.is_number()) && id.to_string().len() <= MAX_ID_BYTES)
            .cloned();
        let found = pieces.finish();
        assert_eq!(found, whole);
        assert_eq!(found, expected, "in {text}");
        0
    });
}
