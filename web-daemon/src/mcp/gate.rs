//! What happens around every tool call: name check, key check, rate limit, run, usage row.
//!
//! 1. Unknown tool → `-32602` (before anything is charged). An OAuth caller whose scopes do
//!    not cover the tool ([`crate::authz::scope::required_for_tool`]) → `-32003`
//!    `insufficient_scope`.
//! 2. The API key (or the OAuth grant) must still be active (so a revoked key or a revoked
//!    connected application stops working mid-session); a key's answer is held for a few
//!    seconds by the key cache ([`crate::auth::key_cache`]), which a revocation clears at once.
//! 3. The key's (grant's) rate limit (by tier) must allow the call (unless the HTTP transport
//!    already charged this request: `POST /mcp` and A2A are charged once per HTTP request).
//! 4. The tool runs (argument errors are `-32602` naming the field).
//! 5. A usage row is recorded (operation = tool name, status, duration), which also stamps the
//!    key's (grant's) `last_used_at` (a key's at most once a minute); a failure to record is
//!    logged, never returned.
//!
//! Steps 4 and 5 run as a task ([`super::tasks`]) for a long tool when the request declares the
//! Tasks extension; the answer is then `CreateTaskResult` at once.
//!
//! Sessions with neither an API key nor an OAuth grant skip 2, 3 and 5.

use std::time::Instant;

use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CreateTaskResult};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use tracing::Instrument;

use super::server::PacerMcp;
use super::{budget, errors, tasks, tools};
use crate::store::usage::{UsageOwner, UsageRow};
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
        admit(mcp).await?;
        if let Some(task) = start_task(mcp, &name, &request, &context) {
            return Ok(CallToolResponse::Task(CreateTaskResult::new(task)));
        }
        run(mcp, &name, request, context).await
    }
    .instrument(span)
    .await
}

/// Steps 4 and 5.
async fn run(
    mcp: &PacerMcp,
    name: &str,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let started = Instant::now();
    let budget = mcp.state().config.result_budget_bytes;
    let result = tools::router()
        .call(ToolCallContext::new(mcp, request, context))
        .await
        .map(|r| budget::enforce(r, budget, name));
    let status = errors::usage_status(&result);
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    record(mcp, name, status, duration_ms).await;
    tracing::info!(status, duration_ms, "tool call");
    result
}

/// Steps 4 and 5 as a task (see [`super::tasks`]) when `name` is a long tool and the request
/// declares the Tasks extension; `None` for a plain call.
fn start_task(
    mcp: &PacerMcp,
    name: &str,
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
) -> Option<rmcp::model::Task> {
    let declared = context.client_capabilities().is_some_and(|c| c.supports_tasks());
    if !declared || !tasks::TASK_TOOLS.contains(&name) {
        return None;
    }
    let state = mcp.state();
    // The task outlives the request: its own cancellation, ended by the daemon's shutdown.
    let mut detached = context.clone();
    detached.ct = state.shutdown.child_token();
    let (owned, name_owned, request) = (mcp.clone(), name.to_owned(), request.clone());
    let work = async move {
        match run(&owned, &name_owned, request, detached).await? {
            CallToolResponse::Complete(result) => Ok(result),
            other => Err(errors::internal("internal error: unexpected tool answer in a task", format!("{other:?}"))),
        }
    }
    .instrument(tracing::Span::current());
    let task = state.tasks.start(mcp.principal(), state.shutdown.child_token(), work)?;
    tracing::info!(task = %task.task_id, "tool call runs as a task");
    Some(task)
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
    if !still_active(mcp).await? {
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
    let decision = state.limiter.check(&limit_key).await;
    if !decision.allowed {
        tracing::info!(retry_after_s = decision.retry_after_s, "call refused: rate limited");
        return Err(errors::rate_limited(&decision, principal.tier.as_str()));
    }
    Ok(())
}

/// Whether the caller's key (from the key cache when it answered moments ago) or grant is
/// still active.
async fn still_active(mcp: &PacerMcp) -> Result<bool, ErrorData> {
    let principal = mcp.principal();
    let keys = mcp.state().store.keys();
    if principal.key_id.as_deref().is_some_and(|id| keys.recently_active(id)) {
        return Ok(true);
    }
    let generation = keys.generation();
    let tenant = principal.tenant_id.clone();
    let (key_id, grant_id) = (principal.key_id.clone(), principal.grant.as_ref().map(|g| g.id.clone()));
    let active = mcp
        .state()
        .store
        .call(move |c| match (key_id, grant_id) {
            (Some(id), _) => api_keys::is_active(c, &tenant, &id),
            (None, Some(grant)) => authz::grant_active(c, &tenant, &grant),
            (None, None) => Ok(true),
        })
        .await
        .map_err(|e| errors::internal("internal error: cannot verify the credentials", e))?;
    if let Some(id) = principal.key_id.as_deref().filter(|_| active) {
        keys.mark_active(id, generation);
    }
    Ok(active)
}

/// Step 5.
async fn record(mcp: &PacerMcp, operation: &str, status: &'static str, duration_ms: u64) {
    let principal = mcp.principal();
    let state = mcp.state();
    let owner = match (&principal.key_id, &principal.grant) {
        (Some(id), _) => UsageOwner::Key { id: id.clone(), touch: state.store.keys().touch_due(id) },
        (None, Some(grant)) => UsageOwner::Grant(grant.id.clone()),
        (None, None) => return,
    };
    let touched = matches!(owner, UsageOwner::Key { touch: true, .. });
    let row =
        UsageRow { tenant: principal.tenant_id.clone(), owner, operation: operation.to_owned(), status, duration_ms };
    match state.usage.record(&state.store, row).await {
        Ok(()) if touched => state.store.keys().forget_user(&principal.tenant_id, &principal.user_id),
        Ok(()) => {}
        Err(e) => tracing::warn!(error = %e, "could not record usage"),
    }
}
