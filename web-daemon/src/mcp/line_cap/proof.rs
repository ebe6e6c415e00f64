//! Property test of [`LineCap`]: whatever the chunking, it passes every complete line before the
//! first line longer than the cap and then fails with `InvalidData`, having passed at most `max`
//! bytes of that line and never its newline (bytes of it from earlier reads are already out; the
//! transport drops them with the session); without such a line it passes everything. It holds
//! nothing of its own.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use proptest::prelude::*;
use tokio::io::{AsyncRead, AsyncReadExt as _, ReadBuf};

use super::LineCap;
use crate::PROOF_ALLOC as ALLOC;

/// Hands out `data` in pieces of the given sizes (cycled).
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

/// Where the first line over `max` starts, if any.
fn first_long_line(data: &[u8], max: usize) -> Option<usize> {
    let mut start = 0;
    for line in data.split(|&b| b == b'\n') {
        if line.len() > max {
            return Some(start);
        }
        start += line.len() + 1;
    }
    None
}

#[test]
fn passes_complete_lines_until_one_is_too_long() {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let line = prop_oneof![
        pacer_proof::json_object(&["jsonrpc", "id", "method", "params"]).prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    let data = proptest::collection::vec(line, 0..6).prop_map(|lines| lines.join(&b'\n'));
    let strategy = (data, 1..300usize, proptest::collection::vec(1..512usize, 1..4));
    pacer_proof::check(file!(), "pacerd: LineCap", strategy, |(data, max, sizes)| {
        let expected_end = first_long_line(&data, max);
        let mut reader = LineCap::new(Chunked { data: data.clone(), at: 0, sizes, turn: 0 }, max);
        let mut out = Vec::with_capacity(data.len());
        let (result, peak) = ALLOC.measure(|| rt.block_on(reader.read_to_end(&mut out)));
        match expected_end {
            None => {
                result.expect("no line over the cap");
                assert_eq!(out, data);
            }
            Some(end) => {
                let error = result.expect_err("a line is over the cap");
                assert_eq!(error.kind(), io::ErrorKind::InvalidData);
                assert!(data.starts_with(&out), "output is not a prefix of the input");
                assert!(out.len() >= end, "complete lines before the long one were lost (cap {max})");
                let partial = &out[end..];
                assert!(
                    partial.len() <= max && !partial.contains(&b'\n'),
                    "{} B of the long line passed",
                    partial.len()
                );
            }
        }
        // read_to_end may grow `out` past its reserve by one doubling; LineCap adds nothing.
        assert!(peak <= 2 * data.len() as u64 + 64 * 1024, "peak {peak} B for {} B", data.len());
        peak
    });
}
