//! Time limits on HTTP connections, so slow clients cannot hold descriptors and workers.
//!
//! - The request head must arrive within [`CLIENT_REQUEST_TIMEOUT`] (actix answers 408);
//!   idle keep-alive connections close after [`KEEP_ALIVE`]; a closing connection gets
//!   [`CLIENT_DISCONNECT_TIMEOUT`] to shut down.
//! - Request bodies ([`limit_body`], on the whole App): a body must arrive at an average of at
//!   least [`MIN_BODY_BYTES_PER_SEC`] after a grace of [`BODY_GRACE`]: the deadline is
//!   `start + BODY_GRACE + received / MIN_BODY_BYTES_PER_SEC`, so every byte received buys
//!   time (a large import at a normal speed never hits it) while a body trickling in a byte at
//!   a time is cut off after about [`BODY_GRACE`]. Past the deadline the body read fails with a
//!   timeout (408 `request_timeout`) and the connection closes. WebSocket upgrades are exempt:
//!   after the upgrade the "body" is the socket itself, with its own heartbeat.
//!
//! The connection cap that completes the picture is set in `Daemon::serve` from
//! [`crate::descriptors`].

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

/// Time for the whole request head.
pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a closing connection to shut down.
pub const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Idle time before a keep-alive connection is closed.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Time every request body gets before the rate rule applies.
pub const BODY_GRACE: Duration = Duration::from_secs(10);
/// The slowest average body rate accepted after [`BODY_GRACE`].
pub const MIN_BODY_BYTES_PER_SEC: u64 = 256 * 1024;

/// True when `e` is the body-deadline failure (mapped to 408 by the error handlers).
pub fn is_body_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// Puts the body deadline on `req`'s body (see the module docs); run for every request by the
/// App-wide [`super::edge`].
pub fn limit_body(req: &mut ServiceRequest) {
    if !req.head().upgrade() {
        match req.take_payload() {
            Payload::None => {}
            inner => req.set_payload(Payload::Stream { payload: Box::pin(Deadline::new(inner)) }),
        }
    }
}

/// A payload that fails with `TimedOut` once its deadline passes.
struct Deadline {
    inner: Payload,
    start: Instant,
    received: u64,
    sleep: Pin<Box<Sleep>>,
    done: bool,
}

impl Deadline {
    fn new(inner: Payload) -> Self {
        let start = Instant::now();
        Self { inner, start, received: 0, sleep: Box::pin(tokio::time::sleep_until(start + BODY_GRACE)), done: false }
    }

    fn deadline(&self) -> Instant {
        self.start + BODY_GRACE + Duration::from_secs(self.received / MIN_BODY_BYTES_PER_SEC)
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.received = self.received.saturating_add(chunk.len() as u64);
                let at = self.deadline();
                self.sleep.as_mut().reset(at);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                self.done = other.is_none();
                Poll::Ready(other)
            }
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.done = true;
                    tracing::info!(received = self.received, "request body too slow; cut off");
                    let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body arrived too slowly");
                    Poll::Ready(Some(Err(PayloadError::Io(e))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
