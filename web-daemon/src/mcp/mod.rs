//! The MCP server (rmcp), one implementation for every transport.
//!
//! [`PacerMcp`] is the handler: one instance per session, bound to the authenticated
//! [`Principal`]; every tool call goes through the gate in `gate.rs` (key still active, rate
//! limit, usage row). Transports:
//! - Unix socket (via `pacer-mcp`) and anything else that is a byte stream: [`serve_stream`]
//!   (newline-delimited JSON-RPC, lines capped at [`MAX_LINE_BYTES`]; a longer line ends the
//!   session).
//! - WebSocket: [`serve_transport`] with a `(Sink, Stream)` of JSON-RPC messages, or
//!   [`serve_stream`] over a byte pipe fed with the text frames.
//! - Streamable HTTP (`POST /mcp`): [`streamable_http_service`], built per authenticated request.
//! - No transport (A2A skills): [`call_tool`].
//!
//! Errors follow the one mapping in [`errors`]; tool arguments are parsed by [`params`].

pub mod apps;
pub mod budget;
pub mod cursor;
mod direct;
pub mod errors;
mod gate;
mod handler;
mod line_cap;
pub mod output;
mod pace;
pub mod params;
pub mod prompts;
mod schema_tidy;
mod server;
pub mod tasks;
mod tools;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use pacer_shared::ipc::MAX_LINE_BYTES;
use rmcp::RoleServer;
use rmcp::service::{ServerInitializeError, serve_server_with_ct};
use rmcp::transport::IntoTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::Instrument;

pub use direct::call_tool;
pub use server::{HANDSHAKE_PROTOCOL_VERSION, INSTRUCTIONS, LIST_TTL_MS, MAX_PROTOCOL_VERSION, PacerMcp};
pub use tools::{MAX_UPLOAD_BYTES, definitions as tool_definitions, names as tool_names};

use crate::auth::Principal;
use crate::state::AppState;
use crate::untrusted::Untrusted;
use line_cap::LineCap;
use pace::MessagePace;
pub use pace::{SESSION_MESSAGE_BURST, SESSION_MESSAGES_PER_SECOND};

/// Largest `POST /mcp` body: room for a base64 upload of the largest activity file.
pub const MAX_HTTP_BODY_BYTES: usize = MAX_UPLOAD_BYTES / 3 * 4 + 1024 * 1024;

/// Serves one MCP session for `principal` over a byte stream (newline-delimited JSON-RPC).
/// Returns when the peer closes the stream, a line exceeds [`MAX_LINE_BYTES`], or the daemon
/// shuts down.
pub async fn serve_stream<R, W>(state: Arc<AppState>, principal: Principal, read: R, write: W)
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let server = PacerMcp::new(state, principal);
    serve_handler(server, stream_transport(read, write)).await;
}

/// [`serve_stream`] for a session on the local Unix socket (`pacer-mcp`): the only transport on
/// which `upload_activity` may read a `path` from this machine.
pub async fn serve_local_stream<R, W>(state: Arc<AppState>, principal: Principal, read: R, write: W)
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let server = PacerMcp::new(state, principal).with_local_files();
    serve_handler(server, stream_transport(read, write)).await;
}

fn stream_transport<R, W>(read: R, write: W) -> AsyncRwTransport<RoleServer, LineCap<MessagePace<R>>, W>
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    // Every message of the session (not only tool calls) is paced; the newline and a possible
    // `\r` are not part of the line cap.
    AsyncRwTransport::<RoleServer, _, _>::new(LineCap::new(MessagePace::new(read), MAX_LINE_BYTES), write)
        .with_max_line_length(MAX_LINE_BYTES + 2)
}

/// Serves one MCP session for `principal` over any rmcp transport (e.g. a `(Sink, Stream)` of
/// JSON-RPC messages for WebSocket). Returns when the session ends or the daemon shuts down.
pub async fn serve_transport<T, E, A>(state: Arc<AppState>, principal: Principal, transport: T)
where
    T: IntoTransport<RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    serve_handler(PacerMcp::new(state, principal), transport).await;
}

/// Runs one session of `server` over `transport` until it ends or the daemon shuts down.
async fn serve_handler<T, E, A>(server: PacerMcp, transport: T)
where
    T: IntoTransport<RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let shutdown = server.state().shutdown.child_token();
    let principal = server.principal();
    let span = tracing::info_span!("mcp_session", tenant = %principal.tenant_id, user = %principal.user_id);
    async move {
        match serve_server_with_ct(server, transport, shutdown).await {
            Ok(running) => match running.waiting().await {
                Ok(reason) => tracing::debug!(?reason, "mcp session ended"),
                Err(e) => tracing::warn!(error = %e, "mcp session task failed"),
            },
            Err(ServerInitializeError::Cancelled) => {}
            Err(ServerInitializeError::ConnectionClosed(_)) => {
                tracing::debug!("mcp connection closed before initialize");
            }
            Err(e) => tracing::info!(error = %Untrusted(&e.to_string()), "mcp session ended during initialize"),
        }
    }
    .instrument(span)
    .await;
}

/// rmcp's Streamable HTTP service for one authenticated `POST /mcp` request (stateless: no
/// `Mcp-Session-Id`, each request builds its own [`PacerMcp`] for `principal`; a response is
/// plain JSON unless the tool sends progress notifications, then SSE). `ApiKeyAuth` charged the
/// request to the key's rate limit, so tool calls in it are not charged again. The HTTP layer converts
/// the actix request into an `http::Request` and calls `.handle(request)`.
pub fn streamable_http_service(
    state: Arc<AppState>,
    principal: Principal,
) -> StreamableHttpService<PacerMcp, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(state.allowed_hosts.clone())
        .with_max_request_body_bytes(MAX_HTTP_BODY_BYTES)
        .with_cancellation_token(state.shutdown.child_token());
    StreamableHttpService::new(
        move || Ok(PacerMcp::prepaid(state.clone(), principal.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}
