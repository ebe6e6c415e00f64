//! [`LineCap`]: a reader that ends the stream when a line exceeds the cap.
//!
//! rmcp's `AsyncRwTransport::with_max_line_length` drops an oversized line and keeps reading;
//! pacer's socket protocol closes the session instead (`shared/src/ipc.rs`), so the client learns
//! at once rather than waiting for an answer that never comes. This reader passes bytes through
//! and fails with `InvalidData` once the current line (newline excluded) grows past `max`; the
//! transport then ends the session. Complete lines before the offending one are delivered.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

pub struct LineCap<R> {
    inner: R,
    max: usize,
    /// Bytes of the current line seen so far (newline excluded).
    line: usize,
    /// Set once a line went over `max`: every later read fails.
    over: bool,
}

impl<R> LineCap<R> {
    pub fn new(inner: R, max: usize) -> Self {
        Self { inner, max, line: 0, over: false }
    }

    fn error(&self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, format!("an MCP message line exceeds {} bytes", self.max))
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for LineCap<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.over {
            return Poll::Ready(Err(self.error()));
        }
        let start = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        let mut keep = None;
        for (i, &b) in buf.filled()[start..].iter().enumerate() {
            if b == b'\n' {
                this.line = 0;
            } else {
                this.line += 1;
                if this.line > this.max {
                    // Keep whatever ended with the last complete line of this chunk.
                    let last_newline = buf.filled()[start..start + i].iter().rposition(|&b| b == b'\n');
                    keep = Some(last_newline.map_or(0, |n| n + 1));
                    break;
                }
            }
        }
        if let Some(kept) = keep {
            this.over = true;
            buf.set_filled(start + kept);
            if kept == 0 {
                return Poll::Ready(Err(this.error()));
            }
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod proof;

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn passes_lines_within_the_cap_then_fails() {
        let data = b"abcd\nabcdefgh\nxy\n".to_vec();
        let mut reader = LineCap::new(&data[..], 4);
        let mut out = Vec::new();
        let err = reader.read_to_end(&mut out).await.expect_err("second line is over the cap");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(out, b"abcd\n");
    }

    #[tokio::test]
    async fn exact_cap_is_fine() {
        let data = b"abcd\nwxyz\n".to_vec();
        let mut out = Vec::new();
        LineCap::new(&data[..], 4).read_to_end(&mut out).await.expect("within the cap");
        assert_eq!(out, data);
    }
}
