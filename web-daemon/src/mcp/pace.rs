//! [`MessagePace`]: a per-session limit on incoming MCP messages of every kind.
//!
//! Tool calls are charged to the key's rate limit in the gate, but `ping`, `tools/list`,
//! `initialize` and notifications are not tool calls; without a bound one socket or WebSocket
//! session could make the daemon parse and answer them as fast as it can write. This reader sits
//! under the line reader of a stream session and hands on at most [`SESSION_MESSAGE_BURST`]
//! lines at once, then [`SESSION_MESSAGES_PER_SECOND`]: a faster client is not refused, it is
//! slowed down (its bytes wait in the socket buffer, then in its own send buffer). A well-behaved
//! client never meets the bound.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Messages a session may send at once before pacing starts.
pub const SESSION_MESSAGE_BURST: u32 = 400;
/// Sustained messages per second per session.
pub const SESSION_MESSAGES_PER_SECOND: u32 = 200;

const CHUNK: usize = 16 * 1024;

/// A token bucket counted in messages (newlines).
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    fn new(burst: u32, per_second: f64) -> Self {
        let capacity = f64::from(burst.max(1));
        Self { tokens: capacity, capacity, per_second: per_second.max(1e-6), last: Instant::now() }
    }

    /// Takes one token, or says how long until one is there.
    fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_second))
        }
    }
}

/// Passes bytes through, at most one message (line) per token of the session's bucket.
pub struct MessagePace<R> {
    inner: R,
    bucket: Bucket,
    chunk: Box<[u8; CHUNK]>,
    /// `chunk[pos..len]` is read but not yet handed on.
    pos: usize,
    len: usize,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<R> MessagePace<R> {
    /// The daemon's per-session pace.
    pub fn new(inner: R) -> Self {
        Self::with_rate(inner, SESSION_MESSAGE_BURST, f64::from(SESSION_MESSAGES_PER_SECOND))
    }

    /// A custom pace (tests).
    pub fn with_rate(inner: R, burst: u32, per_second: f64) -> Self {
        Self { inner, bucket: Bucket::new(burst, per_second), chunk: Box::new([0; CHUNK]), pos: 0, len: 0, sleep: None }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for MessagePace<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
            }
            if this.pos == this.len {
                let mut rb = ReadBuf::new(&mut this.chunk[..]);
                ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Ok(())); // end of stream
                }
                (this.pos, this.len) = (0, n);
            }
            // Hand on bytes up to (and including) each newline whose token can be paid.
            let room = out.remaining().min(this.len - this.pos);
            let mut n = 0;
            while n < room {
                if this.chunk[this.pos + n] == b'\n'
                    && let Err(wait) = this.bucket.take()
                {
                    if n == 0 {
                        this.sleep = Some(Box::pin(tokio::time::sleep(wait)));
                    }
                    break;
                }
                n += 1;
            }
            if n > 0 {
                out.put_slice(&this.chunk[this.pos..this.pos + n]);
                this.pos += n;
                return Poll::Ready(Ok(()));
            }
            if out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

    use super::*;

    fn pings(n: usize) -> String {
        (0..n).map(|i| format!("{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"ping\"}}\n")).collect()
    }

    #[tokio::test]
    async fn a_burst_passes_then_the_next_message_waits_for_a_token() {
        let data = pings(100);
        // One token per 1000 s after the burst: the 11th message cannot come in the test's window.
        let mut reader = BufReader::new(MessagePace::with_rate(data.as_bytes(), 10, 0.001)).lines();
        for i in 0..10 {
            let line = reader.next_line().await.expect("read").expect("a line");
            assert!(line.contains(&format!("\"id\":{i},")), "{line}");
        }
        let next = tokio::time::timeout(Duration::from_millis(300), reader.next_line()).await;
        assert!(next.is_err(), "the 11th message must wait for a token: {next:?}");
    }

    #[tokio::test]
    async fn within_the_burst_everything_passes_including_a_partial_line() {
        let data = b"a\nb\npartial".to_vec();
        let mut out = Vec::new();
        MessagePace::with_rate(&data[..], 2, 0.001).read_to_end(&mut out).await.expect("read");
        assert_eq!(out, data);
    }
}
