//! The MCP server (rmcp), one implementation for every transport.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::auth::Principal;
use crate::state::AppState;

/// Serves one MCP session for `principal` over a byte stream (newline-delimited JSON-RPC).
pub async fn serve_stream<R, W>(_state: Arc<AppState>, _principal: Principal, _read: R, _write: W)
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
}
