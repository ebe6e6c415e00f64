//! One live connection to `pacerd` after the handshake: newline-delimited JSON-RPC.

use std::io;

use pacer_shared::ipc::MAX_LINE_BYTES;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::lines::{Line, LineReader};

/// What the daemon side reported.
pub enum DaemonEvent {
    /// One line (or an oversize line's remains) from the daemon.
    Line(Line),
    /// The daemon closed the stream, or reading it failed.
    Closed(Option<io::Error>),
}

/// One live daemon session: the write half plus a task draining the read half.
///
/// The reader pushes into an unbounded queue so a daemon that writes while we are blocked
/// writing to it can never deadlock the relay.
pub struct DaemonLink {
    writer: BufWriter<OwnedWriteHalf>,
    events: mpsc::UnboundedReceiver<DaemonEvent>,
    reader: JoinHandle<()>,
}

impl DaemonLink {
    /// Splits `stream` (already past the handshake) and starts draining its read half.
    pub fn open(stream: UnixStream) -> Self {
        let (read, write) = stream.into_split();
        let (tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut lines = LineReader::new(read, MAX_LINE_BYTES);
            let closed = loop {
                match lines.next_line().await {
                    Ok(Some(line)) => {
                        if tx.send(DaemonEvent::Line(line)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            };
            let _ = tx.send(DaemonEvent::Closed(closed));
        });
        Self { writer: BufWriter::new(write), events, reader }
    }

    /// Writes one line and its newline, then flushes.
    pub async fn send(&mut self, line: &[u8]) -> io::Result<()> {
        self.writer.write_all(line).await?;
        self.writer.write_all(b"\n").await?;
        self.writer.flush().await
    }

    /// The next event; [`DaemonEvent::Closed`] once the stream is done.
    pub async fn next_event(&mut self) -> DaemonEvent {
        self.events.recv().await.unwrap_or(DaemonEvent::Closed(None))
    }
}

impl Drop for DaemonLink {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
