//! Connecting to the daemon's Unix socket: one bounded attempt and what its failure means,
//! shared by the connector (`connect.rs`) and the autostart wait (`autostart.rs`).

use std::io;
use std::path::Path;
use std::time::Duration;

use tokio::net::UnixStream;
use tokio::time::timeout;

/// Upper bound for one `connect(2)` on the socket.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One connection attempt, bounded in time.
pub async fn try_connect(socket: &Path) -> io::Result<UnixStream> {
    match timeout(CONNECT_TIMEOUT, UnixStream::connect(socket)).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

/// True when nobody listens: no socket file (ENOENT) or a stale one (ECONNREFUSED).
pub fn is_absent(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused)
}

/// The failure in words for the client.
pub fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "the socket does not exist".to_owned(),
        io::ErrorKind::ConnectionRefused => "nothing is listening on the socket".to_owned(),
        _ => format!("cannot connect: {e}"),
    }
}
