//! The Tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): the long tool calls
//! ([`TASK_TOOLS`]: uploads and imports) run as tasks when the request declares the extension in
//! its client capabilities; every other call, and every call from a client that does not
//! declare it, is a plain call.
//!
//! A task answers `tools/call` at once with `CreateTaskResult` (`resultType: "task"`); the tool
//! runs on in the daemon (through the same gate: key check, rate limit, usage row) and the client
//! polls `tasks/get` (its progress messages become the task's `statusMessage`) or stops it with
//! `tasks/cancel`. [`Tasks`] is shared by every session and transport (a `POST /mcp` task is
//! polled by later requests) and wraps rmcp's [`TaskManager`] with what pacer needs:
//! - **ownership**: a task is visible only to the (tenant, user) that started it; to anyone else
//!   its id is unknown;
//! - **bounds**: at most [`MAX_TASKS_PER_USER`] tasks per person and [`MAX_TASKS`] in all
//!   (running or finished and still retained); beyond them the call runs as a plain call;
//! - **retention**: [`TASK_TTL_MS`]; the daemon's shutdown ends running tasks.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use pacer_shared::{TenantId, UserId};
use rmcp::ErrorData;
use rmcp::model::{CallToolResult, DetailedTask, Task};
use rmcp::task_manager::{TaskContext, TaskExit, TaskManager, TaskOptions};

use crate::auth::Principal;

/// The tools that run as tasks when the client declares the extension.
pub const TASK_TOOLS: [&str; 2] = ["upload_activity", "import_activities"];
/// Tasks one person may hold (running, or finished and not yet expired).
pub const MAX_TASKS_PER_USER: usize = 8;
/// Tasks the daemon holds in all.
pub const MAX_TASKS: usize = 256;
/// How long a task lives (and a finished one stays readable after that): 30 minutes.
pub const TASK_TTL_MS: u64 = 30 * 60 * 1000;
/// The polling interval suggested to clients.
pub const POLL_INTERVAL_MS: u64 = 1_000;

tokio::task_local! {
    /// The task a tool runs in, so its progress reports become the task's status message.
    static CURRENT: TaskContext;
}

/// Sets the status message of the task the caller runs in (no-op outside a task).
pub fn report_status(message: &str) {
    let _ = CURRENT.try_with(|task| task.set_status_message(message));
}

type Owner = (TenantId, UserId);

/// Every task of the daemon, by owner. See the module docs.
#[derive(Default)]
pub struct Tasks {
    manager: TaskManager,
    owners: Mutex<HashMap<String, Owner>>,
}

impl Tasks {
    /// Starts `run` as a task owned by `principal`; `None` when the bounds are reached (the
    /// caller then runs it as a plain call). `run` ends with the daemon's `shutdown`.
    pub fn start<F>(&self, principal: &Principal, shutdown: tokio_util::sync::CancellationToken, run: F) -> Option<Task>
    where
        F: Future<Output = Result<CallToolResult, ErrorData>> + Send + 'static,
    {
        let owner: Owner = (principal.tenant_id.clone(), principal.user_id.clone());
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        // Forget tasks the manager has evicted (expired), then check the bounds.
        owners.retain(|id, _| self.manager.get_task(id).is_ok());
        let held = owners.values().filter(|o| **o == owner).count();
        if held >= MAX_TASKS_PER_USER || owners.len() >= MAX_TASKS {
            tracing::info!(held, total = owners.len(), "task bound reached; running the call plainly");
            return None;
        }
        let options = TaskOptions::new().with_ttl_ms(TASK_TTL_MS).with_poll_interval_ms(POLL_INTERVAL_MS);
        let task = self.manager.spawn(options, move |context| {
            Box::pin(async move {
                let cancel = context.clone();
                let work = CURRENT.scope(context, run);
                tokio::select! {
                    result = work => result.map_err(TaskExit::Error),
                    () = cancel.cancelled() => Err(TaskExit::Cancelled),
                    () = shutdown.cancelled() => Err(TaskExit::Error(ErrorData::internal_error("pacerd stopped", None))),
                }
            })
        });
        owners.insert(task.task_id.clone(), owner);
        Some(task)
    }

    /// `tasks/get` for `principal`: another person's task is unknown.
    pub fn get(&self, principal: &Principal, task_id: &str) -> Result<DetailedTask, ErrorData> {
        self.check_owner(principal, task_id)?;
        self.manager.get_task(task_id)
    }

    /// `tasks/update`: pacer's tasks never ask for input, so responses are accepted and ignored.
    pub fn update(
        &self,
        principal: &Principal,
        task_id: &str,
        responses: impl IntoIterator<Item = (String, serde_json::Value)>,
    ) -> Result<(), ErrorData> {
        self.check_owner(principal, task_id)?;
        self.manager.update_task(task_id, responses)
    }

    /// `tasks/cancel`: the running tool is dropped (an upload already at the provider stays
    /// there; an import keeps the files it committed).
    pub fn cancel(&self, principal: &Principal, task_id: &str) -> Result<(), ErrorData> {
        self.check_owner(principal, task_id)?;
        self.manager.cancel_task(task_id)
    }

    fn check_owner(&self, principal: &Principal, task_id: &str) -> Result<(), ErrorData> {
        let owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        match owners.get(task_id) {
            Some((tenant, user)) if *tenant == principal.tenant_id && *user == principal.user_id => Ok(()),
            _ => {
                Err(ErrorData::invalid_params(format!("unknown task '{}'", crate::untrusted::Untrusted(task_id)), None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_shared::Tier;

    fn person(user: &str) -> Principal {
        Principal {
            tenant_id: TenantId::new("t"),
            user_id: UserId::new(user),
            key_id: None,
            tier: Tier::Free,
            grant: None,
        }
    }

    #[tokio::test]
    async fn tasks_are_bounded_per_person_and_private() {
        let tasks = Tasks::default();
        let shutdown = tokio_util::sync::CancellationToken::new();
        let (ann, bob) = (person("ann"), person("bob"));
        let never = || std::future::pending::<Result<CallToolResult, ErrorData>>();
        let mut ids = Vec::new();
        for _ in 0..MAX_TASKS_PER_USER {
            ids.push(tasks.start(&ann, shutdown.clone(), never()).map(|t| t.task_id));
        }
        assert!(ids.iter().all(Option::is_some));
        assert!(tasks.start(&ann, shutdown.clone(), never()).is_none(), "the ninth runs plainly");
        let bobs = tasks.start(&bob, shutdown.clone(), never()).map(|t| t.task_id);
        let (Some(anns), Some(bobs)) = (ids[0].clone(), bobs) else { panic!("no task ids") };
        assert!(tasks.get(&ann, &anns).is_ok());
        assert!(tasks.get(&bob, &anns).is_err(), "another person's task is unknown");
        assert!(tasks.cancel(&ann, &bobs).is_err());
        assert!(tasks.cancel(&bob, &bobs).is_ok());
        shutdown.cancel();
    }
}
