//! The one mapping from pacer's errors to MCP: JSON-RPC errors or `isError` tool results.
//!
//! | failure | MCP |
//! |---|---|
//! | unknown tool | `-32602`, `"name: unknown tool '…' (available: …)"` |
//! | bad argument | `-32602`, `"<field>: <problem>"`, `data.field` (see [`super::params`]) |
//! | API key deactivated (checked on every call) | [`KEY_DEACTIVATED`] `-32001`, `"API key is deactivated"` |
//! | OAuth grant revoked (checked on every call) | [`GRANT_REVOKED`] `-32005`, `data.kind = "grant_revoked"` |
//! | OAuth token lacks the tool's scope | [`INSUFFICIENT_SCOPE`] `-32003`, `data.kind = "insufficient_scope"`, `data.scope` |
//! | pacer rate limit (per key, by tier) | [`RATE_LIMITED`] `-32029`, message with seconds and RFC 3339 time, `data.kind = "rate_limited"` |
//! | provider rate limit | [`RATE_LIMITED`] `-32029`, provider's message, `data.kind = "provider_rate_limited"` |
//! | token refresh failed | exactly `{"code": -32603, "message": "Token refresh failed"}` |
//! | provider not connected / token rejected | `isError` result with the connect URL |
//! | not found, provider refused the request | `isError` result with the reason |
//! | anything else | `-32603` with a safe message (details only in the log) |

use chrono::{SecondsFormat, Utc};
use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, ErrorCode};
use serde_json::json;

use super::output::ToolError;
use super::params::invalid;
use crate::auth::Principal;
use crate::limits::Decision;
use crate::provider::ProviderError;
use crate::state::AppState;
use pacer_shared::{ProviderId, rpc_codes};

/// The session's API key was deactivated; reconnect with an active key.
pub const KEY_DEACTIVATED: ErrorCode = ErrorCode(rpc_codes::UNAUTHORIZED);
/// The session's OAuth grant (connected application) was revoked; authorize again.
pub const GRANT_REVOKED: ErrorCode = ErrorCode(rpc_codes::GRANT_REVOKED);
/// The OAuth access token's scopes do not cover the tool; `data.scope` names the scope to ask for.
pub const INSUFFICIENT_SCOPE: ErrorCode = ErrorCode(rpc_codes::INSUFFICIENT_SCOPE);
/// A rate limit (pacer's per-key limit, or the provider's) is exhausted; `data.retry_after_s`
/// and `data.retry_at` say when to retry.
pub const RATE_LIMITED: ErrorCode = ErrorCode(rpc_codes::RATE_LIMITED);

/// The exact message of a failed token refresh (part of the interface).
pub const TOKEN_REFRESH_FAILED: &str = "Token refresh failed";

pub fn unknown_tool(name: &str, available: &[String]) -> ErrorData {
    invalid("name", format!("unknown tool '{name}' (available: {})", available.join(", ")))
}

pub fn key_deactivated() -> ErrorData {
    ErrorData::new(KEY_DEACTIVATED, "API key is deactivated", Some(json!({ "kind": "key_deactivated" })))
}

/// The session's OAuth grant was revoked.
pub fn grant_revoked() -> ErrorData {
    ErrorData::new(
        GRANT_REVOKED,
        "this application's access to pacer was revoked; authorize it again",
        Some(json!({ "kind": "grant_revoked" })),
    )
}

/// The OAuth token lacks `scope`, which `tool` needs (step-up: authorize again with it).
pub fn insufficient_scope(tool: &str, scope: &str) -> ErrorData {
    ErrorData::new(
        INSUFFICIENT_SCOPE,
        format!("insufficient_scope: {tool} needs the scope {scope}; authorize again with it"),
        Some(json!({ "kind": "insufficient_scope", "scope": scope })),
    )
}

/// pacer's own per-key limit refused the call.
pub fn rate_limited(decision: &Decision, tier: &str) -> ErrorData {
    let now = Utc::now();
    let retry_at = i64::try_from(decision.retry_after_s)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(now)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let message = format!(
        "rate limit exceeded: {} requests per minute for this {tier} API key; retry after {} s (at {retry_at})",
        decision.limit, decision.retry_after_s
    );
    ErrorData::new(
        RATE_LIMITED,
        message,
        Some(json!({
            "kind": "rate_limited",
            "limit": decision.limit,
            "retry_after_s": decision.retry_after_s,
            "retry_at": retry_at,
            "reset_epoch": decision.reset_epoch,
        })),
    )
}

/// An internal failure: logs `detail`, answers with `message` only.
pub fn internal(message: &'static str, detail: impl std::fmt::Display) -> ErrorData {
    tracing::error!(%detail, "{message}");
    ErrorData::internal_error(message, None)
}

/// Maps a provider failure. Not connected (or a token the provider rejects) becomes a tool
/// result carrying a fresh connect URL for this user.
pub async fn provider_failure(
    state: &AppState,
    principal: &Principal,
    provider: ProviderId,
    err: ProviderError,
) -> ToolError {
    match err {
        ProviderError::NotConnected => {
            ToolError::Failed(connect_hint(state, principal, provider, "is not connected for this account").await)
        }
        ProviderError::Unauthorized => ToolError::Failed(
            connect_hint(
                state,
                principal,
                provider,
                "rejected pacer's stored authorization (it may have been revoked)",
            )
            .await,
        ),
        ProviderError::TokenRefreshFailed { reason } => {
            tracing::warn!(%reason, "token refresh failed");
            ToolError::Rpc(ErrorData::internal_error(TOKEN_REFRESH_FAILED, None))
        }
        ProviderError::RateLimited { retry_at, retry_after_s, window, .. } => {
            let retry_at_text = retry_at.to_rfc3339_opts(SecondsFormat::Secs, true);
            let message = err.to_string();
            ToolError::Rpc(ErrorData::new(
                RATE_LIMITED,
                message,
                Some(json!({
                    "kind": "provider_rate_limited",
                    "window": window,
                    "retry_after_s": retry_after_s,
                    "retry_at": retry_at_text,
                })),
            ))
        }
        ProviderError::NotFound(_) | ProviderError::BadRequest(_) | ProviderError::NotConfigured(_) => {
            ToolError::Failed(err.to_string())
        }
        ProviderError::Upstream { .. } | ProviderError::Transport(_) | ProviderError::Decode(_) => {
            tracing::warn!(error = %err, "provider call failed");
            ToolError::Rpc(ErrorData::internal_error(err.to_string(), None))
        }
        ProviderError::LocalStore(detail) => {
            ToolError::Rpc(internal("internal error: the local activity store is unavailable", detail))
        }
        ProviderError::TokenStorage(detail) => {
            ToolError::Rpc(internal("internal error: stored provider tokens are unavailable", detail))
        }
    }
}

async fn connect_hint(state: &AppState, principal: &Principal, provider: ProviderId, problem: &str) -> String {
    let name = provider.display_name();
    match crate::oauth::begin_connect(state, principal, provider).await {
        Ok(url) => format!(
            "{name} {problem}. Ask the person to open this link and approve access \
             (valid {} minutes), then call the tool again: {url}",
            crate::oauth::STATE_TTL_SECS / 60
        ),
        Err(e) => {
            tracing::warn!(error = %e, "could not start a provider connection");
            format!("{name} {problem}. Call connect_provider to get a link for the person to connect.")
        }
    }
}

/// The `status` of a usage row: `ok`, `tool_error`, or the JSON-RPC error's kind.
pub fn usage_status(result: &Result<CallToolResponse, ErrorData>) -> &'static str {
    match result {
        Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => "tool_error",
        Ok(_) => "ok",
        Err(e) if e.code == ErrorCode::INVALID_PARAMS => "invalid_params",
        Err(e) if e.code == KEY_DEACTIVATED => "key_deactivated",
        Err(e) if e.code == RATE_LIMITED => {
            match e.data.as_ref().and_then(|d| d.get("kind")).and_then(|k| k.as_str()) {
                Some("provider_rate_limited") => "provider_rate_limited",
                _ => "rate_limited",
            }
        }
        Err(e) if e.code == ErrorCode::INTERNAL_ERROR && e.message == TOKEN_REFRESH_FAILED => "token_refresh_failed",
        Err(_) => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_message_names_the_time() {
        let d = Decision {
            allowed: false,
            limit: 100,
            remaining: 0,
            reset_epoch: 0,
            retry_after_s: 12,
            unavailable: false,
        };
        let e = rate_limited(&d, "free");
        assert_eq!(e.code, RATE_LIMITED);
        assert!(e.message.contains("retry after 12 s (at 20"), "{}", e.message);
        assert_eq!(usage_status(&Err(e)), "rate_limited");
    }
}
