//! Step-up for `POST /mcp`: an OAuth caller's `tools/call` of a tool its scopes do not cover is
//! refused before rmcp sees it, with 403 `insufficient_scope` and
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3.1), so the
//! client can ask the person for the missing scope. The MCP gate checks again on every transport
//! (JSON-RPC `-32003` there). API-key callers are not affected.

use actix_web::http::StatusCode;

use super::authz_meta::challenge;
use super::error::ApiError;
use crate::auth::Principal;
use crate::state::AppState;

/// The part of a JSON-RPC message the scope check reads (other members are skipped).
#[derive(serde::Deserialize)]
struct ToolCallPeek<'a> {
    #[serde(borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    params: Option<ToolCallParamsPeek<'a>>,
}

#[derive(serde::Deserialize)]
struct ToolCallParamsPeek<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
}

/// OAuth callers only: a `tools/call` whose tool needs a scope the token lacks → 403
/// `insufficient_scope` with the step-up challenge (the MCP gate checks again for every transport).
pub fn check_tool_call(state: &AppState, principal: &Principal, body: &[u8]) -> Result<(), ApiError> {
    let Some(grant) = &principal.grant else { return Ok(()) };
    let Ok(peek) = serde_json::from_slice::<ToolCallPeek<'_>>(body) else { return Ok(()) };
    let (Some(method), Some(name)) = (peek.method, peek.params.and_then(|p| p.name)) else { return Ok(()) };
    if method != "tools/call" {
        return Ok(());
    }
    let needed = crate::authz::scope::required_for_tool(&name);
    if grant.scopes.contains(needed) {
        return Ok(());
    }
    let message = format!("{name} needs the scope {}; authorize again with it", needed.as_str());
    let mut e = ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", message.clone());
    e.www_authenticate =
        Some(challenge(&state.public_url, Some(("insufficient_scope", &message)), Some(needed.as_str())));
    Err(e)
}
