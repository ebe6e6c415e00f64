//! Reconnecting mid-session: a fresh daemon connection gets the client's `initialize` again
//! (under a private id, its answer swallowed) and the remembered `notifications/initialized`,
//! so the desktop client never notices the daemon restarted. A session that never sent
//! `initialize` (MCP 2026-07-28: every request carries its own `_meta`) is reconnected as it is,
//! with nothing replayed.

use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWrite;
use tracing::{debug, info, warn};

use super::Relay;
use crate::daemon_link::{DaemonEvent, DaemonLink};
use crate::jsonrpc::{self, INITIALIZE, INITIALIZED, Kind, RpcFailure};
use crate::lines::Line;

/// Prefix of the private ids used when replaying `initialize`.
const REPLAY_ID_PREFIX: &str = "pacer-mcp-replay-";
/// How long a restarted daemon may take to answer the replayed `initialize`.
const REPLAY_TIMEOUT: Duration = Duration::from_secs(10);

impl<W: AsyncWrite + Unpin> Relay<W> {
    /// Opens a new daemon session and, unless `kind` starts one itself, replays the client's.
    pub(super) async fn reconnect(&mut self, kind: &Kind) -> Result<(), RpcFailure> {
        let stream = self.connector.connect().await.map_err(|e| {
            warn!("{e}");
            e.to_rpc()
        })?;
        let mut conn = DaemonLink::open(stream);
        let replay = self.session.initialize.clone().filter(|_| kind.method() != Some(INITIALIZE));
        if let Some(initialize) = replay {
            let early = self.replay(&mut conn, &initialize, kind.method() != Some(INITIALIZED)).await?;
            self.conn = Some(conn);
            for line in early {
                // Stdout failures resurface on the next write; this path must answer the caller.
                if let Err(e) = self.relay_daemon_line(&line).await {
                    debug!(error = %e, "writing to stdout failed");
                }
            }
        } else {
            self.conn = Some(conn);
        }
        Ok(())
    }

    /// Replays `initialize` under a private id, swallows its answer, then sends the remembered
    /// `notifications/initialized` when `send_initialized`. Returns daemon lines that arrived
    /// meanwhile, for relaying once the session is back.
    async fn replay(
        &mut self,
        conn: &mut DaemonLink,
        initialize: &[u8],
        send_initialized: bool,
    ) -> Result<Vec<Vec<u8>>, RpcFailure> {
        let failed = |detail: String| RpcFailure {
            code: jsonrpc::INTERNAL_ERROR,
            message: format!("pacerd restarted and re-initializing the MCP session failed: {detail}; retry"),
        };
        self.replays += 1;
        let id = format!("{REPLAY_ID_PREFIX}{}", self.replays);
        let line = jsonrpc::with_id(initialize, &id).ok_or_else(|| failed("bad initialize".into()))?;
        info!("reconnected to pacerd; replaying the client's initialize");
        conn.send(&line).await.map_err(|e| failed(e.to_string()))?;

        let mut early = Vec::new();
        let answer = async {
            loop {
                match conn.next_event().await {
                    DaemonEvent::Line(Line::Complete(reply)) => match jsonrpc::inspect(&reply) {
                        Ok(Kind::Response { id: got }) if got.as_str() == Some(id.as_str()) => {
                            return Ok(reply);
                        }
                        _ => early.push(reply),
                    },
                    DaemonEvent::Line(Line::Oversize { len, .. }) => {
                        warn!(len, "pacerd sent a line over the limit during replay; dropped");
                    }
                    DaemonEvent::Closed(e) => {
                        return Err(e.map_or_else(|| "connection closed".to_owned(), |e| e.to_string()));
                    }
                }
            }
        };
        let reply = match tokio::time::timeout(REPLAY_TIMEOUT, answer).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(detail)) => return Err(failed(detail)),
            Err(_) => {
                return Err(failed(format!("no answer within {} s", REPLAY_TIMEOUT.as_secs())));
            }
        };
        if let Some(message) = jsonrpc::error_message(&reply) {
            return Err(failed(format!("pacerd answered: {message}")));
        }
        if let Some(initialized) = self.session.initialized.as_ref().filter(|_| send_initialized) {
            conn.send(initialized).await.map_err(|e| failed(e.to_string()))?;
        }
        Ok(early)
    }
}

/// True for the ids of replayed `initialize` requests, whose answers the client must not see.
pub(super) fn is_replay_id(id: &Value) -> bool {
    id.as_str().is_some_and(|s| s.starts_with(REPLAY_ID_PREFIX))
}
