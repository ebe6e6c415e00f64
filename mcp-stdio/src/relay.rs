//! The relay loop: stdin lines to the daemon, daemon lines to stdout.
//!
//! Lines are copied unchanged. Each is only classified ([`jsonrpc::inspect`]) to remember the
//! client's `initialize` / `notifications/initialized` and to track in-flight request ids, so a
//! lost connection fails those requests instead of leaving the client waiting, and the next line
//! reconnects and replays the session set-up behind the client's back.

use std::collections::HashMap;
use std::io;

use pacer_shared::ipc::MAX_LINE_BYTES;
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::config::Config;
use crate::connect::Connector;
use crate::daemon_link::{DaemonEvent, DaemonLink};
use crate::jsonrpc::{self, INITIALIZE, INITIALIZED, Kind, RpcFailure};
use crate::lines::{Line, LineReader};

mod replay;

/// How long answers still owed are awaited after stdin closes.
pub const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Message for requests whose connection died before they were answered.
const CONNECTION_LOST: &str = "pacerd connection lost while handling this request; retry";

/// Serves MCP on stdin/stdout until stdin closes.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel(32);
    tokio::spawn(read_lines(tokio::io::stdin(), tx));
    Relay::new(Connector::new(config), tokio::io::stdout()).serve(rx).await
}

/// Forwards capped lines from `input` until end of stream (the channel closing means EOF).
async fn read_lines<R: tokio::io::AsyncRead + Unpin>(input: R, tx: mpsc::Sender<Line>) {
    let mut lines = LineReader::new(input, MAX_LINE_BYTES);
    loop {
        match lines.next_line().await {
            Ok(Some(line)) => {
                if tx.send(line).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                warn!(error = %e, "reading stdin failed; treating it as closed");
                return;
            }
        }
    }
}

/// The client's session set-up, replayed on every reconnect.
#[derive(Default)]
struct Session {
    initialize: Option<Vec<u8>>,
    initialized: Option<Vec<u8>>,
}

/// The relay state.
struct Relay<W> {
    connector: Connector,
    conn: Option<DaemonLink>,
    out: BufWriter<W>,
    /// Client requests sent to the daemon and not yet answered, by [`jsonrpc::id_key`].
    in_flight: HashMap<String, Value>,
    session: Session,
    replays: u64,
}

impl<W: AsyncWrite + Unpin> Relay<W> {
    fn new(connector: Connector, out: W) -> Self {
        Self {
            connector,
            conn: None,
            out: BufWriter::with_capacity(64 * 1024, out),
            in_flight: HashMap::new(),
            session: Session::default(),
            replays: 0,
        }
    }

    /// The loop. Returns when stdin ends and the requests in flight are answered (see
    /// [`Relay::drain`]); errors only when stdout cannot be written.
    async fn serve(mut self, mut client: mpsc::Receiver<Line>) -> anyhow::Result<()> {
        loop {
            tokio::select! {
                biased;
                event = next_daemon_event(&mut self.conn) => self.on_daemon_event(event).await?,
                line = client.recv() => match line {
                    Some(line) => self.on_client_line(line).await?,
                    None => {
                        debug!(in_flight = self.in_flight.len(), "stdin closed; answering what is in flight, then exiting");
                        return self.drain().await;
                    }
                },
            }
        }
    }

    /// After stdin closed: keeps relaying daemon lines until every request in flight is
    /// answered (a lost connection answers them with an error), for at most [`DRAIN_TIMEOUT`].
    async fn drain(mut self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
        while !self.in_flight.is_empty() && self.conn.is_some() {
            match tokio::time::timeout_at(deadline, next_daemon_event(&mut self.conn)).await {
                Ok(event) => self.on_daemon_event(event).await?,
                Err(_) => {
                    warn!(in_flight = self.in_flight.len(), "stdin closed and answers still missing; exiting");
                    break;
                }
            }
        }
        self.out.flush().await?;
        Ok(())
    }

    async fn on_daemon_event(&mut self, event: DaemonEvent) -> io::Result<()> {
        match event {
            DaemonEvent::Line(Line::Complete(line)) => self.relay_daemon_line(&line).await,
            DaemonEvent::Line(Line::Oversize { len, id, has_method }) => {
                warn!(len, "pacerd sent a line over {MAX_LINE_BYTES} bytes; dropped");
                // Only a response can settle one of our requests.
                let settled =
                    id.filter(|_| !has_method).filter(|id| self.in_flight.remove(&jsonrpc::id_key(id)).is_some());
                match settled {
                    Some(id) => {
                        let message = format!(
                            "pacerd's response of {len} bytes exceeds the {MAX_LINE_BYTES}-byte \
                             limit; ask for less data"
                        );
                        self.answer(&id, jsonrpc::INTERNAL_ERROR, &message).await
                    }
                    None => Ok(()),
                }
            }
            DaemonEvent::Closed(error) => self.connection_lost(error).await,
        }
    }

    /// Copies one daemon line to stdout, settling the request it answers.
    async fn relay_daemon_line(&mut self, line: &[u8]) -> io::Result<()> {
        if line.trim_ascii().is_empty() {
            return Ok(());
        }
        match jsonrpc::inspect(line) {
            Err(e) => {
                // stdout carries JSON-RPC only, whatever the daemon sends.
                warn!(error = %e, "dropping a non-JSON line from pacerd");
                return Ok(());
            }
            Ok(Kind::Response { id }) => {
                if replay::is_replay_id(&id) {
                    debug!(%id, "dropping a late answer to a replayed initialize");
                    return Ok(());
                }
                self.in_flight.remove(&jsonrpc::id_key(&id));
            }
            Ok(_) => {}
        }
        self.write_out(line).await
    }

    /// Forgets the connection and fails every request it still owed an answer.
    async fn connection_lost(&mut self, error: Option<io::Error>) -> io::Result<()> {
        self.conn = None;
        match &error {
            Some(e) => {
                warn!(error = %e, in_flight = self.in_flight.len(), "pacerd connection lost")
            }
            None => warn!(in_flight = self.in_flight.len(), "pacerd closed the connection"),
        }
        let lost: Vec<Value> = self.in_flight.drain().map(|(_, id)| id).collect();
        for id in lost {
            self.answer(&id, jsonrpc::INTERNAL_ERROR, CONNECTION_LOST).await?;
        }
        Ok(())
    }

    async fn on_client_line(&mut self, line: Line) -> io::Result<()> {
        let line = match line {
            Line::Complete(line) => line,
            Line::Oversize { len, id, has_method } => {
                let message = format!("message of {len} bytes exceeds the {MAX_LINE_BYTES}-byte line limit");
                return match id.filter(|_| has_method) {
                    Some(id) => self.answer(&id, jsonrpc::INVALID_REQUEST, &message).await,
                    None => {
                        warn!("dropped a client {message}; it was not a request with an id");
                        Ok(())
                    }
                };
            }
        };
        if line.trim_ascii().is_empty() {
            return Ok(());
        }
        let kind = match jsonrpc::inspect(&line) {
            Ok(kind) => kind,
            Err(e) => {
                let message = format!("Parse error: {e}");
                return self.answer(&Value::Null, jsonrpc::PARSE_ERROR, &message).await;
            }
        };
        if kind.method() == Some(INITIALIZED) {
            self.session.initialized = Some(line.clone());
        }
        if let Kind::Request { id, method } = &kind
            && method == INITIALIZE
        {
            self.session = Session { initialize: Some(line.clone()), initialized: None };
            debug!(%id, "client opened an MCP session");
        }
        if self.conn.is_none() {
            if let Kind::Response { id } = &kind {
                debug!(%id, "dropping the client's answer to a request of a lost daemon session");
                return Ok(());
            }
            if let Err(failure) = self.reconnect(&kind).await {
                return self.fail(&kind, &failure).await;
            }
        }
        self.forward(&line, &kind).await
    }

    /// Sends one client line to the daemon. When the write itself fails the daemon never got
    /// the line, so it is sent once more over a fresh connection before giving up.
    async fn forward(&mut self, line: &[u8], kind: &Kind) -> io::Result<()> {
        let mut resent = false;
        loop {
            let sent = match self.conn.as_mut() {
                Some(conn) => conn.send(line).await,
                None => Err(io::ErrorKind::NotConnected.into()),
            };
            let error = match sent {
                Ok(()) => {
                    if let Kind::Request { id, .. } = kind {
                        self.in_flight.insert(jsonrpc::id_key(id), id.clone());
                    }
                    return Ok(());
                }
                Err(e) => e,
            };
            self.connection_lost(Some(error)).await?;
            if resent || matches!(kind, Kind::Response { .. }) {
                let failure = RpcFailure { code: jsonrpc::INTERNAL_ERROR, message: CONNECTION_LOST.to_owned() };
                return self.fail(kind, &failure).await;
            }
            resent = true;
            if let Err(failure) = self.reconnect(kind).await {
                return self.fail(kind, &failure).await;
            }
        }
    }

    /// Answers `kind` with `failure` when it is a request; other messages get no reply.
    async fn fail(&mut self, kind: &Kind, failure: &RpcFailure) -> io::Result<()> {
        match kind {
            Kind::Request { id, .. } => self.answer(id, failure.code, &failure.message).await,
            Kind::Notification { .. } | Kind::Response { .. } | Kind::Other => Ok(()),
        }
    }

    /// Writes a JSON-RPC error response for `id` to stdout.
    async fn answer(&mut self, id: &Value, code: i64, message: &str) -> io::Result<()> {
        self.write_out(&jsonrpc::error_line(id, code, message)).await
    }

    /// Writes one line to stdout and flushes it.
    async fn write_out(&mut self, line: &[u8]) -> io::Result<()> {
        self.out.write_all(line).await?;
        self.out.write_all(b"\n").await?;
        self.out.flush().await
    }
}

/// The next event of the live connection; never resolves while disconnected.
async fn next_daemon_event(conn: &mut Option<DaemonLink>) -> DaemonEvent {
    match conn {
        Some(conn) => conn.next_event().await,
        None => std::future::pending().await,
    }
}
