//! `GET /mcp/ws`: MCP over WebSocket.
//!
//! The API key or MCP OAuth access token is checked before the upgrade ([`McpAuth`]: 401
//! missing/unknown with `WWW-Authenticate`, 403
//! deactivated or wrong `X-Tenant-ID`, 429 over the key's rate limit; JSON errors and the
//! `X-RateLimit-*` headers, also on the `101`). Browsers cannot set headers on a WebSocket, so the
//! key may instead come as `?api_key=`; the access log prints paths without query strings
//! (`lib.rs`), so it is not logged.
//!
//! After the upgrade every text frame is one JSON-RPC message. The bridge validates it, turns it
//! into one line (insignificant newlines become spaces) and writes it into a
//! [`tokio::io::duplex`] pipe served by [`crate::mcp::serve_stream`], the same server the Unix
//! socket uses; every line the server writes back becomes one text frame. Rules:
//! - a frame that is not JSON → a JSON-RPC `-32700` error on the socket, a batch (JSON array) →
//!   `-32600`; the connection stays;
//! - every error reply whose request id is unknown carries `"id": null` (JSON-RPC 2.0; rmcp leaves
//!   the id out, as MCP's schema allows, and WebSocket JSON-RPC clients expect the null);
//! - a message over [`MAX_LINE_BYTES`] (1 MiB) → close `1009`;
//! - heartbeat: a ping every [`PING_INTERVAL`]; nothing heard from the client for
//!   [`PONG_TIMEOUT`] → close `1008`;
//! - daemon shutdown → close `1001` ("Going Away");
//! - the client's close frame is echoed and the MCP session ends.
//!
//! Actix's message stream is not `Send`, so the bridge runs on the worker with
//! `actix_web::rt::spawn`; the MCP session and the daemon → client forwarder are `Send` and run
//! with `tokio::spawn` (the worker's runtime is a tokio runtime).

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::{Next, from_fn};
use actix_web::web::Bytes;
use actix_web::{Error, HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Message, ProtocolError};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use pacer_shared::ipc::MAX_LINE_BYTES;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, DuplexStream};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::error::{ApiError, ErrorBody};
use super::extract::{McpAuth, TenantHeader, X_API_KEY};
use crate::state::AppState;

/// How often the server pings.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);
/// Silence (no pong, no message) after which the server closes the connection.
pub const PONG_TIMEOUT: Duration = Duration::from_secs(60);
/// Query parameter that may carry the API key when headers cannot be set (browsers).
pub const API_KEY_QUERY: &str = "api_key";
/// Buffer of the pipe between the bridge and the MCP session.
const PIPE_BYTES: usize = 64 * 1024;

/// Heartbeat timing (tests shorten it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heartbeat {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self { interval: PING_INTERVAL, timeout: PONG_TIMEOUT }
    }
}

/// Moves `?api_key=` into `X-API-Key` when the header is absent, so [`McpAuth`] sees it.
async fn api_key_from_query(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if !req.headers().contains_key(X_API_KEY)
        && let Some(key) = query_api_key(req.query_string())
        && let Ok(value) = HeaderValue::from_str(&key)
    {
        req.headers_mut().insert(X_API_KEY, value);
    }
    next.call(req).await
}

fn query_api_key(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == API_KEY_QUERY)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// MCP over WebSocket: one JSON-RPC message per text frame, both ways.
#[utoipa::path(
    tag = "mcp",
    params(TenantHeader),
    // The key as `X-API-Key`, or as `?api_key=` for clients that cannot set headers (browsers),
    // or an MCP OAuth access token.
    security(("api_key" = []), ("api_key_query" = []), ("mcp_oauth" = ["activities:read"])),
    responses(
        (status = 101, description = "Switching Protocols: MCP JSON-RPC in text frames (≤ 1 MiB each). Ping every 30 s; closed after 60 s without an answer (1008), on oversize messages (1009) and on daemon shutdown (1001 Going Away). A frame that is not JSON gets a JSON-RPC -32700 error and the connection stays.", headers(
            ("X-RateLimit-Limit" = u32, description = "Requests per minute for this key"),
            ("X-RateLimit-Remaining" = u32, description = "Requests left now"),
            ("X-RateLimit-Reset" = i64, description = "UNIX seconds when the bucket is full again"),
        )),
        super::responses::McpAuth,
        (status = 426, description = "Not a WebSocket upgrade request (code `upgrade_required`)", body = ErrorBody),
        super::responses::RateLimited,
    )
)]
#[get("/mcp/ws", wrap = "from_fn(api_key_from_query)", wrap = "from_fn(super::host::require_allowed_origin)")]
pub async fn mcp_ws(
    req: HttpRequest,
    body: web::Payload,
    auth: McpAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let McpAuth(principal) = auth;
    let (response, session, stream) = actix_ws::handle(&req, body).map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("GET /mcp/ws needs a WebSocket upgrade: {e}"),
        )
    })?;
    let stream = stream.max_frame_size(MAX_LINE_BYTES).aggregate_continuations().max_continuation_size(MAX_LINE_BYTES);
    let state = state.into_inner();
    let (bridge_end, session_end) = tokio::io::duplex(PIPE_BYTES);
    let (read, write) = tokio::io::split(session_end);
    tracing::info!(tenant = %principal.tenant_id, user = %principal.user_id, "MCP WebSocket connected");
    let shutdown = state.shutdown.clone();
    tokio::spawn(crate::mcp::serve_stream(state, principal, read, write));
    actix_web::rt::spawn(async move {
        let end = bridge(stream, session, bridge_end, shutdown, Heartbeat::default()).await;
        tracing::info!(?end, "MCP WebSocket closed");
    });
    Ok(response)
}

/// Why a bridge ended (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// The client closed (its close frame was echoed) or went away.
    Client,
    /// The daemon is shutting down (1001 sent).
    Shutdown,
    /// No pong or message for the heartbeat timeout (1008 sent).
    Heartbeat,
    /// A message exceeded 1 MiB (1009 sent).
    TooBig,
    /// A malformed frame (1002 sent).
    Protocol,
    /// The MCP session ended on its own (1011 sent).
    SessionEnded,
}

/// How the bridge ends, and the close frame it sends (`None`: none; `Some(None)`: one without a
/// reason, as when echoing a bare client close).
type Ending = (End, Option<Option<CloseReason>>);

fn closing(end: End, code: CloseCode, text: &str) -> Ending {
    (end, Some(Some(CloseReason { code, description: Some(text.to_owned()) })))
}

/// The MCP session stopped reading or writing: because the daemon is shutting down, or on its own.
fn session_gone(shutdown: &CancellationToken) -> Ending {
    if shutdown.is_cancelled() {
        closing(End::Shutdown, CloseCode::Away, "Going Away")
    } else {
        closing(End::SessionEnded, CloseCode::Error, "the MCP session ended")
    }
}

/// A message as one line for the MCP session, or the `-32700` error to send back. JSON strings
/// cannot contain raw newlines, so any `\n`/`\r` in valid JSON is whitespace and becomes a space.
pub(crate) fn to_line(text: &str) -> Result<Vec<u8>, String> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(parse_error(e));
    }
    if text.trim_start().starts_with('[') {
        return Err(error_reply(
            -32600,
            "Invalid Request: batches are not supported; send one JSON-RPC message per frame",
        ));
    }
    let mut line: Vec<u8> = text.trim().bytes().map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect();
    line.push(b'\n');
    Ok(line)
}

/// The JSON-RPC `-32700` answer to a frame that is not JSON.
fn parse_error(detail: impl std::fmt::Display) -> String {
    error_reply(-32700, &format!("Parse error: {detail}"))
}

/// A JSON-RPC error for a message whose id cannot be known.
fn error_reply(code: i32, message: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}).to_string()
}

/// `line` with `"id": null` added when it is an error reply without an id. rmcp writes the
/// fields in order (`jsonrpc`, `id`, `error`), so only a line starting with `jsonrpc` then
/// `error` is parsed.
pub(crate) fn with_null_error_id(line: String) -> String {
    if !line.starts_with(r#"{"jsonrpc":"2.0","error":"#) {
        return line;
    }
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line) {
        Ok(mut message) => {
            message.entry("id").or_insert(serde_json::Value::Null);
            serde_json::Value::Object(message).to_string()
        }
        Err(_) => line,
    }
}

fn is_too_big(e: &ProtocolError) -> bool {
    match e {
        ProtocolError::Overflow => true,
        // What the continuation aggregator reports past its cap.
        ProtocolError::Io(io) => io.to_string().contains("maximum continuation size"),
        _ => false,
    }
}

/// Runs one connection: client frames → `daemon` lines, `daemon` lines → client frames, plus
/// heartbeat and shutdown. Returns when the connection is over; dropping `daemon` ends the MCP
/// session.
pub(crate) async fn bridge<S, K>(
    mut incoming: S,
    sink: K,
    daemon: DuplexStream,
    shutdown: CancellationToken,
    heartbeat: Heartbeat,
) -> End
where
    S: Stream<Item = Result<AggregatedMessage, ProtocolError>> + Unpin,
    K: Sink<Message> + Clone + Unpin + Send + 'static,
{
    let (from_daemon, mut to_daemon) = tokio::io::split(daemon);
    let mut out = sink.clone();
    let mut forwarder = tokio::spawn(forward_lines(from_daemon, sink));
    let mut ticker = tokio::time::interval_at(Instant::now() + heartbeat.interval, heartbeat.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();

    let (end, close): Ending = loop {
        tokio::select! {
            () = shutdown.cancelled() => break closing(End::Shutdown, CloseCode::Away, "Going Away"),
            _ = &mut forwarder => break session_gone(&shutdown),
            _ = ticker.tick() => {
                if last_heard.elapsed() >= heartbeat.timeout {
                    let text = format!("no pong within {} s", heartbeat.timeout.as_secs());
                    break closing(End::Heartbeat, CloseCode::Policy, &text);
                }
                if out.send(Message::Ping(Bytes::new())).await.is_err() {
                    break (End::Client, None);
                }
            }
            next = incoming.next() => {
                let message = match next {
                    None => break (End::Client, None),
                    Some(Ok(m)) => m,
                    Some(Err(e)) if is_too_big(&e) => {
                        break closing(End::TooBig, CloseCode::Size, &format!("message exceeds {MAX_LINE_BYTES} bytes"));
                    }
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "WebSocket protocol error");
                        break closing(End::Protocol, CloseCode::Protocol, "malformed WebSocket frame");
                    }
                };
                last_heard = Instant::now();
                let line = match message {
                    AggregatedMessage::Text(text) => to_line(&text),
                    AggregatedMessage::Binary(bytes) => match std::str::from_utf8(&bytes) {
                        Ok(text) => to_line(text),
                        Err(_) => Err(parse_error("binary frame is not UTF-8")),
                    },
                    AggregatedMessage::Ping(payload) => {
                        if out.send(Message::Pong(payload)).await.is_err() {
                            break (End::Client, None);
                        }
                        continue;
                    }
                    AggregatedMessage::Pong(_) => continue,
                    AggregatedMessage::Close(r) => break (End::Client, Some(r)),
                };
                match line {
                    Ok(line) => {
                        let written = tokio::select! {
                            r = to_daemon.write_all(&line) => r.is_ok(),
                            () = shutdown.cancelled() => false,
                        };
                        if !written {
                            break session_gone(&shutdown);
                        }
                    }
                    Err(error) => {
                        if out.send(Message::Text(error.into())).await.is_err() {
                            break (End::Client, None);
                        }
                    }
                }
            }
        }
    };
    forwarder.abort();
    drop(to_daemon);
    if let Some(r) = close {
        let _ = out.send(Message::Close(r)).await;
    }
    let _ = out.close().await;
    end
}

/// Sends every line the MCP session writes as one text frame, until the session ends.
async fn forward_lines<R, K>(read: R, mut sink: K)
where
    R: AsyncRead + Unpin,
    K: Sink<Message> + Unpin,
{
    let mut reader = BufReader::new(read);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.is_empty() {
            continue;
        }
        let text = with_null_error_id(String::from_utf8_lossy(&buf).into_owned());
        if sink.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests;
