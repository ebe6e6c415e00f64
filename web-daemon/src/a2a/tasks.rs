//! A2A Task shapes (JSON as A2A clients read them: camelCase, `kind` discriminators, lower-case
//! states) and the bounded in-memory map `GetTask` reads.
//!
//! Every task pacer creates is finished when `SendMessage` answers (`completed` or `failed`), so
//! the map only serves read-backs. It is keyed by (tenant, task id) and also remembers the user
//! who created the task: another tenant, or another user of the same tenant, gets "not found".
//! It holds at most [`MAX_TASKS`] tasks and about [`MAX_TASK_BYTES`] of JSON; the oldest go
//! first. It lives for the process (one daemon per process) and is not persisted: after a
//! restart old task ids are simply not found.

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex, PoisonError};

use pacer_shared::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Most tasks kept.
pub const MAX_TASKS: usize = 1024;
/// Most bytes of task JSON kept (approximately).
pub const MAX_TASK_BYTES: usize = 32 * 1024 * 1024;

/// Where a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TaskState {
    Completed,
    Failed,
}

/// A piece of content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Part {
    Text {
        text: String,
    },
    Data {
        #[schema(value_type = Object)]
        data: Value,
    },
}

/// A message from pacer (explains a failed task).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentMessage {
    /// Always `message`.
    pub kind: String,
    /// Always `agent`.
    pub role: String,
    pub message_id: String,
    pub task_id: String,
    pub context_id: String,
    pub parts: Vec<Part>,
}

/// A task's final status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskStatus {
    pub state: TaskState,
    /// RFC 3339.
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<AgentMessage>,
}

/// A skill's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub artifact_id: String,
    /// The skill that produced it.
    pub name: String,
    /// A data part with the structured result, then a text part with a one-line summary.
    pub parts: Vec<Part>,
}

/// An A2A Task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Always `task`.
    pub kind: String,
    pub id: String,
    pub context_id: String,
    pub status: TaskStatus,
    pub artifacts: Vec<Artifact>,
    /// `{"skill": "<tool name>"}`.
    #[schema(value_type = Object)]
    pub metadata: Value,
}

impl Task {
    /// A finished task with a fresh id.
    pub fn finished(
        context_id: String,
        skill: &str,
        state: TaskState,
        artifacts: Vec<Artifact>,
        explanation: Vec<Part>,
    ) -> Self {
        let id = crate::store::new_id();
        let message = (!explanation.is_empty()).then(|| AgentMessage {
            kind: "message".into(),
            role: "agent".into(),
            message_id: crate::store::new_id(),
            task_id: id.clone(),
            context_id: context_id.clone(),
            parts: explanation,
        });
        Self {
            kind: "task".into(),
            id,
            context_id,
            status: TaskStatus { state, timestamp: crate::store::now_rfc3339(), message },
            artifacts,
            metadata: serde_json::json!({ "skill": skill }),
        }
    }
}

struct Entry {
    owner: UserId,
    bytes: usize,
    task: Task,
}

#[derive(Default)]
struct Inner {
    tasks: HashMap<(TenantId, String), Entry>,
    order: VecDeque<(TenantId, String)>,
    bytes: usize,
}

/// Finished tasks by (tenant, id), bounded; see the module docs.
pub struct TaskStore {
    inner: Mutex<Inner>,
    max_tasks: usize,
    max_bytes: usize,
}

impl TaskStore {
    /// An empty map holding at most `max_tasks` tasks and `max_bytes` of task JSON.
    pub fn new(max_tasks: usize, max_bytes: usize) -> Self {
        Self { inner: Mutex::default(), max_tasks: max_tasks.max(1), max_bytes }
    }

    /// The daemon's map.
    pub fn global() -> &'static Self {
        static TASKS: LazyLock<TaskStore> = LazyLock::new(|| TaskStore::new(MAX_TASKS, MAX_TASK_BYTES));
        &TASKS
    }

    /// Keeps `task` for `owner` in `tenant`, dropping the oldest tasks beyond the bounds.
    pub fn insert(&self, tenant: &TenantId, owner: &UserId, task: Task) {
        let bytes = serde_json::to_vec(&task).map_or(0, |v| v.len());
        let key = (tenant.clone(), task.id.clone());
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = inner.tasks.insert(key.clone(), Entry { owner: owner.clone(), bytes, task }) {
            inner.bytes -= old.bytes;
            inner.order.retain(|k| k != &key);
        }
        inner.order.push_back(key);
        inner.bytes += bytes;
        while inner.tasks.len() > self.max_tasks || (inner.bytes > self.max_bytes && inner.tasks.len() > 1) {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some(gone) = inner.tasks.remove(&oldest) {
                inner.bytes -= gone.bytes;
            }
        }
    }

    /// The task `id` of `tenant`, if `user` created it.
    pub fn get(&self, tenant: &TenantId, user: &UserId, id: &str) -> Option<Task> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tasks.get(&(tenant.clone(), id.to_string())).filter(|e| &e.owner == user).map(|e| e.task.clone())
    }

    /// How many tasks are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).tasks.len()
    }

    /// True when no task is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn task(n: usize) -> Task {
        let parts = vec![Part::Data { data: json!({"n": n}) }];
        let artifact = Artifact { artifact_id: format!("a{n}"), name: "get_athlete".into(), parts };
        Task::finished("ctx".into(), "get_athlete", TaskState::Completed, vec![artifact], Vec::new())
    }

    #[test]
    fn scoped_by_tenant_and_user() {
        let store = TaskStore::new(10, usize::MAX);
        let (club, other) = (TenantId::new("club"), TenantId::new("other"));
        let (ada, bob) = (UserId::new("ada"), UserId::new("bob"));
        let t = task(1);
        store.insert(&club, &ada, t.clone());
        assert_eq!(store.get(&club, &ada, &t.id), Some(t.clone()));
        assert_eq!(store.get(&other, &ada, &t.id), None, "another tenant");
        assert_eq!(store.get(&club, &bob, &t.id), None, "another user");
        assert_eq!(store.get(&club, &ada, "nope"), None);
    }

    #[test]
    fn bounded_oldest_first() {
        let store = TaskStore::new(3, usize::MAX);
        let (tenant, user) = (TenantId::new("t"), UserId::new("u"));
        let tasks: Vec<Task> = (0..5).map(task).collect();
        for t in &tasks {
            store.insert(&tenant, &user, t.clone());
        }
        assert_eq!(store.len(), 3);
        assert!(store.get(&tenant, &user, &tasks[1].id).is_none());
        assert!(store.get(&tenant, &user, &tasks[2].id).is_some() && store.get(&tenant, &user, &tasks[4].id).is_some());

        let one = serde_json::to_vec(&tasks[0]).expect("json").len();
        let small = TaskStore::new(100, one * 2 + 1);
        for t in &tasks {
            small.insert(&tenant, &user, t.clone());
        }
        assert_eq!(small.len(), 2, "byte bound");
        let huge = TaskStore::new(100, 1);
        huge.insert(&tenant, &user, tasks[0].clone());
        assert_eq!(huge.len(), 1, "the newest task is kept even when alone over the byte bound");
    }

    #[test]
    fn json_shape() {
        let mut t = task(7);
        t.status.message = None;
        let v = serde_json::to_value(&t).expect("json");
        assert_eq!(v["kind"], "task");
        assert_eq!(v["status"]["state"], "completed");
        assert!(v["contextId"].is_string() && v["status"]["timestamp"].is_string());
        assert_eq!(v["artifacts"][0]["parts"][0], json!({"kind": "data", "data": {"n": 7}}));
        assert_eq!(v["artifacts"][0]["artifactId"], "a7");
        assert!(v["status"].get("message").is_none());
        let failed = Task::finished(
            "c".into(),
            "x",
            TaskState::Failed,
            Vec::new(),
            vec![Part::Text { text: "not connected".into() }],
        );
        let v = serde_json::to_value(&failed).expect("json");
        assert_eq!(v["status"]["state"], "failed");
        assert_eq!(v["status"]["message"]["parts"][0], json!({"kind": "text", "text": "not connected"}));
        assert_eq!(v["status"]["message"]["taskId"], v["id"]);
    }
}
