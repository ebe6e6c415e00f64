//! What happens around every tool call: name check, key check, rate limit, run, usage row.
//!
//! 1. Unknown tool → `-32602` (before anything is charged). An OAuth caller whose scopes do
//!    not cover the tool ([`crate::authz::scope::required_for_tool`]) → `-32003`
//!    `insufficient_scope`.
//! 2. The API key (or the OAuth grant) must still be active (so a revoked key or a revoked
//!    connected application stops working mid-session).
//! 3. The key's (grant's) rate limit (by tier) must allow the call (unless the HTTP transport
//!    already charged this request: `POST /mcp` and A2A are charged once per HTTP request).
//! 4. The tool runs (argument errors are `-32602` naming the field).
//! 5. A usage row is recorded (operation = tool name, status, duration), which also stamps the
//!    key's (grant's) `last_used_at`; a failure to record is logged, never returned.
//!
//! Sessions with neither an API key nor an OAuth grant skip 2, 3 and 5.

use std::time::Instant;

use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{CallToolRequestParams, CallToolResponse};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use tracing::Instrument;

use super::server::PacerMcp;
use super::{budget, errors, tools};
use crate::store::usage::{self, UsageRecord};
use crate::store::{api_keys, authz};

pub async fn call_tool(
    mcp: &PacerMcp,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let router = tools::router();
    let name = request.name.to_string();
    if !router.has_route(&name) {
        return Err(errors::unknown_tool(&name, &tools::names()));
    }
    let principal = mcp.principal();
    if let Some(grant) = &principal.grant {
        let needed = crate::authz::scope::required_for_tool(&name);
        if !grant.scopes.contains(needed) {
            return Err(errors::insufficient_scope(&name, needed.as_str()));
        }
    }
    let span = tracing::info_span!("mcp_tool", tool = %name, tenant = %principal.tenant_id, user = %principal.user_id);
    async move {
        let started = Instant::now();
        admit(mcp).await?;
        let budget = mcp.state().config.result_budget_bytes;
        let result =
            router.call(ToolCallContext::new(mcp, request, context)).await.map(|r| budget::enforce(r, budget, &name));
        let status = errors::usage_status(&result);
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        record(mcp, &name, status, duration_ms).await;
        tracing::info!(status, duration_ms, "tool call");
        result
    }
    .instrument(span)
    .await
}

/// Steps 2 and 3.
async fn admit(mcp: &PacerMcp) -> Result<(), ErrorData> {
    let principal = mcp.principal();
    let Some(limit_key) = principal.limit_key() else {
        return Ok(());
    };
    let state = mcp.state();
    // Tool calls wait (briefly) while `pacerd demo` is still connecting its demo user.
    let mut ready = state.mcp_ready.subscribe();
    if ready.wait_for(|r| *r).await.is_err() {
        return Err(errors::internal("pacerd is shutting down", "mcp_ready dropped"));
    }
    let tenant = principal.tenant_id.clone();
    let (key_id, grant_id) = (principal.key_id.clone(), principal.grant.as_ref().map(|g| g.id.clone()));
    let active = state
        .store
        .call(move |c| match (key_id, grant_id) {
            (Some(id), _) => api_keys::is_active(c, &tenant, &id),
            (None, Some(grant)) => authz::grant_active(c, &tenant, &grant),
            (None, None) => Ok(true),
        })
        .await
        .map_err(|e| errors::internal("internal error: cannot verify the credentials", e))?;
    if !active {
        if principal.grant.is_some() {
            tracing::info!("call refused: OAuth grant revoked");
            return Err(errors::grant_revoked());
        }
        tracing::info!("call refused: API key deactivated");
        return Err(errors::key_deactivated());
    }
    if mcp.is_prepaid() {
        return Ok(());
    }
    let decision = state.limiter.check(&limit_key);
    if !decision.allowed {
        tracing::info!(retry_after_s = decision.retry_after_s, "call refused: rate limited");
        return Err(errors::rate_limited(&decision, principal.tier.as_str()));
    }
    Ok(())
}

/// Step 5.
async fn record(mcp: &PacerMcp, operation: &str, status: &'static str, duration_ms: u64) {
    let principal = mcp.principal();
    let tenant = principal.tenant_id.clone();
    let operation = operation.to_owned();
    let (key_id, grant_id) = (principal.key_id.clone(), principal.grant.as_ref().map(|g| g.id.clone()));
    if key_id.is_none() && grant_id.is_none() {
        return;
    }
    let recorded = mcp
        .state()
        .store
        .call(move |c| match (key_id, grant_id) {
            (Some(key_id), _) => {
                let rec =
                    UsageRecord { tenant: &tenant, api_key_id: &key_id, operation: &operation, status, duration_ms };
                usage::record(c, &rec)
            }
            (None, Some(grant)) => authz::record_usage(c, &tenant, &grant, &operation, status, duration_ms),
            (None, None) => Ok(()),
        })
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record usage");
    }
}
