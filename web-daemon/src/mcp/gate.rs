//! What happens around every tool call: name check, key check, rate limit, run, usage row.
//!
//! 1. Unknown tool → `-32602` (before anything is charged).
//! 2. The API key must still be active (so a revoked key stops working mid-session); the
//!    store's answer is held for a few seconds by the key cache
//!    ([`crate::auth::key_cache`]), which a revocation clears at once.
//! 3. The key's rate limit (by tier) must allow the call (unless the HTTP transport already
//!    charged this request: `POST /mcp` and A2A are charged once per HTTP request).
//! 4. The tool runs (argument errors are `-32602` naming the field).
//! 5. A usage row is recorded (operation = tool name, status, duration), which also stamps the
//!    key's `last_used_at` when due (at most once a minute); a failure to record is logged,
//!    never returned.
//!
//! Steps 4 and 5 run as a task ([`super::tasks`]) for a long tool when the request declares the
//! Tasks extension; the answer is then `CreateTaskResult` at once.
//!
//! Sessions without an API key (`principal.key_id == None`) skip 2, 3 and 5.

use std::time::Instant;

use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CreateTaskResult};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use tracing::Instrument;

use super::server::PacerMcp;
use super::{budget, errors, tasks, tools};
use crate::limits::LimitKey;
use crate::store::api_keys;
use crate::store::usage::{self, UsageRecord};

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
    let Some(key_id) = principal.key_id.clone() else {
        return Ok(());
    };
    let state = mcp.state();
    // Tool calls wait (briefly) while `pacerd demo` is still connecting its demo user.
    let mut ready = state.mcp_ready.subscribe();
    if ready.wait_for(|r| *r).await.is_err() {
        return Err(errors::internal("pacerd is shutting down", "mcp_ready dropped"));
    }
    let active = state.store.keys().recently_active(&key_id) || {
        let generation = state.store.keys().generation();
        let tenant = principal.tenant_id.clone();
        let id = key_id.clone();
        let active = state
            .store
            .call(move |c| api_keys::is_active(c, &tenant, &id))
            .await
            .map_err(|e| errors::internal("internal error: cannot verify the API key", e))?;
        if active {
            state.store.keys().mark_active(&key_id, generation);
        }
        active
    };
    if !active {
        tracing::info!("call refused: API key deactivated");
        return Err(errors::key_deactivated());
    }
    if mcp.is_prepaid() {
        return Ok(());
    }
    let decision = state.limiter.check(&LimitKey::ApiKey { key_id, tier: principal.tier });
    if !decision.allowed {
        tracing::info!(retry_after_s = decision.retry_after_s, "call refused: rate limited");
        return Err(errors::rate_limited(&decision, principal.tier.as_str()));
    }
    Ok(())
}

/// Step 5.
async fn record(mcp: &PacerMcp, operation: &str, status: &'static str, duration_ms: u64) {
    let principal = mcp.principal();
    let Some(key_id) = principal.key_id.clone() else {
        return;
    };
    let tenant = principal.tenant_id.clone();
    let operation = operation.to_owned();
    let store = &mcp.state().store;
    let touch = store.keys().touch_due(&key_id);
    let recorded = store
        .call(move |c| {
            let rec = UsageRecord { tenant: &tenant, api_key_id: &key_id, operation: &operation, status, duration_ms };
            usage::record(c, &rec, touch)
        })
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record usage");
    }
}
