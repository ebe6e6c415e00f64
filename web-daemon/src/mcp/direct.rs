//! [`call_tool`]: run one tool without an MCP client (A2A `SendMessage` skills), through the
//! same handler, gate and error mapping as every MCP transport.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientJsonRpcMessage, ClientRequest, Implementation,
    InitializeRequestParams, JsonObject, NumberOrString, Request, ServerJsonRpcMessage, ServerResult,
};
use rmcp::service::serve_directly_with_ct;
use rmcp::transport::OneshotTransport;
use rmcp::{ErrorData, RoleServer};

use super::errors;
use super::server::{HANDSHAKE_PROTOCOL_VERSION, PacerMcp};
use crate::auth::Principal;
use crate::state::AppState;

/// Calls tool `name` with `arguments` as `principal`. The result is the MCP `CallToolResult`
/// (`is_error` set for tool-level failures); JSON-RPC errors (unknown tool, bad arguments,
/// deactivated key, rate limits, token refresh failure) come back as `Err`. Progress
/// notifications are dropped. The caller (A2A over HTTP) has already charged the key's rate
/// limit for this request, so the gate does not charge it again.
pub async fn call_tool(
    state: Arc<AppState>,
    principal: Principal,
    name: &str,
    arguments: JsonObject,
) -> Result<CallToolResult, ErrorData> {
    let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
    let request = ClientRequest::CallToolRequest(Request::new(params));
    let message = ClientJsonRpcMessage::request(request, NumberOrString::Number(1));
    let (transport, mut replies) = OneshotTransport::<RoleServer>::new(message);
    let client = Implementation::new("pacer-direct", env!("CARGO_PKG_VERSION"));
    let peer_info = InitializeRequestParams::new(ClientCapabilities::default(), client)
        .with_protocol_version(HANDSHAKE_PROTOCOL_VERSION);
    let shutdown = state.shutdown.child_token();
    // Dropping `running` cancels the call, so it lives until the answer is in.
    let running = serve_directly_with_ct(PacerMcp::prepaid(state, principal), transport, Some(peer_info), shutdown);
    let mut answer = Err(ErrorData::internal_error("the tool call ended without an answer", None));
    while let Some(reply) = replies.recv().await {
        match reply {
            ServerJsonRpcMessage::Response(r) => {
                answer = match r.result {
                    ServerResult::CallToolResult(result) => Ok(result),
                    other => Err(errors::internal("internal error: unexpected tool result", format!("{other:?}"))),
                };
                break;
            }
            ServerJsonRpcMessage::Error(e) => {
                answer = Err(e.error);
                break;
            }
            ServerJsonRpcMessage::Request(_) | ServerJsonRpcMessage::Notification(_) => {}
        }
    }
    drop(running);
    answer
}
