//! pacer's A2A tasks (one internal model; [`super::wire`] writes it in either wire generation)
//! and where `GetTask` reads them back: the store ([`TaskStore`]), so every replica answers.
//!
//! Every task pacer creates is finished when `SendMessage` answers (`completed` or `failed`), so
//! the store only serves read-backs. Tasks are keyed by (tenant, task id) and remember the user
//! who created them: another tenant, or another user of the same tenant, gets "not found". At
//! most [`MAX_TASKS_PER_USER`] tasks are kept per user, [`MAX_TASKS_PER_TENANT`] per tenant and
//! [`MAX_TASKS`] in all (and byte bounds beside each), each for at most [`MAX_TASK_AGE_S`].
//! Beyond a bound the oldest task of the largest holder goes, so one tenant (or user) flooding
//! the store evicts only its own tasks (`store::a2a_tasks`).

use pacer_shared::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::store::a2a_tasks::{Quota, TaskQuotas};
use crate::store::{Store, StoreError, a2a_tasks, now_epoch};

/// Most tasks kept over all tenants.
pub const MAX_TASKS: usize = 1024;
/// Most bytes of task JSON kept over all tenants (approximately).
pub const MAX_TASK_BYTES: usize = 32 * 1024 * 1024;
/// Most tasks kept per tenant.
pub const MAX_TASKS_PER_TENANT: usize = 256;
/// Most bytes of task JSON kept per tenant.
pub const MAX_TASK_BYTES_PER_TENANT: usize = 8 * 1024 * 1024;
/// Most tasks kept per user.
pub const MAX_TASKS_PER_USER: usize = 64;
/// Most bytes of task JSON kept per user.
pub const MAX_TASK_BYTES_PER_USER: usize = 2 * 1024 * 1024;
/// How long a task is kept (seconds).
pub const MAX_TASK_AGE_S: i64 = 24 * 3600;

/// Where a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    Completed,
    Failed,
}

/// A piece of content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Part {
    Text(String),
    /// Structured JSON.
    Data(Value),
}

impl Part {
    /// Approximate size of the part as JSON.
    fn approx_bytes(&self) -> usize {
        match self {
            Part::Text(text) => text.len() + 16,
            Part::Data(data) => data.to_string().len() + 16,
        }
    }
}

/// A message from pacer: explains a failed task, or answers a message that names no skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentMessage {
    pub message_id: String,
    /// The task it belongs to; `None` for a message sent instead of a task.
    pub task_id: Option<String>,
    pub context_id: String,
    pub parts: Vec<Part>,
}

impl AgentMessage {
    /// A new message (fresh id) in `context_id`.
    pub fn new(context_id: String, task_id: Option<String>, parts: Vec<Part>) -> Self {
        Self { message_id: crate::store::new_id(), task_id, context_id, parts }
    }
}

/// A task's final status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub state: TaskState,
    /// RFC 3339, UTC (`Z`).
    pub timestamp: String,
    pub message: Option<AgentMessage>,
}

/// A skill's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub artifact_id: String,
    /// The skill that produced it.
    pub name: String,
    /// A data part with the structured result, then a text part with a one-line summary.
    pub parts: Vec<Part>,
}

/// An A2A Task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub context_id: String,
    pub status: TaskStatus,
    pub artifacts: Vec<Artifact>,
    /// The skill (tool name) it ran; on the wire as `metadata.skill`.
    pub skill: String,
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
        let message =
            (!explanation.is_empty()).then(|| AgentMessage::new(context_id.clone(), Some(id.clone()), explanation));
        Self {
            id,
            context_id,
            status: TaskStatus { state, timestamp: crate::store::now_rfc3339(), message },
            artifacts,
            skill: skill.to_string(),
        }
    }

    /// Approximate size of the task as JSON (either generation), for the map's byte bounds.
    pub fn approx_bytes(&self) -> usize {
        let parts = |parts: &[Part]| parts.iter().map(Part::approx_bytes).sum::<usize>();
        let message = self.status.message.as_ref().map_or(0, |m| 128 + m.message_id.len() + parts(&m.parts));
        let artifacts: usize =
            self.artifacts.iter().map(|a| 64 + a.artifact_id.len() + a.name.len() + parts(&a.parts)).sum();
        192 + self.id.len()
            + self.context_id.len()
            + self.skill.len()
            + self.status.timestamp.len()
            + message
            + artifacts
    }
}

/// What `SendMessage` answers: a finished task, or a message instead of one (a text that names no
/// skill gets the list of skills).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Task(Task),
    Message(AgentMessage),
}

/// The daemon's bounds.
pub const QUOTAS: TaskQuotas = TaskQuotas {
    per_user: Quota { tasks: MAX_TASKS_PER_USER, bytes: MAX_TASK_BYTES_PER_USER },
    per_tenant: Quota { tasks: MAX_TASKS_PER_TENANT, bytes: MAX_TASK_BYTES_PER_TENANT },
    total: Quota { tasks: MAX_TASKS, bytes: MAX_TASK_BYTES },
};

/// Finished tasks by (tenant, id) in the store, bounded; see the module docs.
#[derive(Clone)]
pub struct TaskStore {
    store: Store,
    quotas: TaskQuotas,
}

impl TaskStore {
    /// Tasks kept in `store` within `quotas`.
    pub fn new(store: Store, quotas: TaskQuotas) -> Self {
        Self { store, quotas }
    }

    /// Keeps `task` for `owner` in `tenant` (see the module docs for what goes beyond a bound).
    pub async fn insert(&self, tenant: &TenantId, owner: &UserId, task: &Task) -> Result<(), StoreError> {
        let json = serde_json::to_string(task).map_err(|e| StoreError::Invalid(format!("task: {e}")))?;
        let (tenant, owner, id, bytes, quotas) =
            (tenant.clone(), owner.clone(), task.id.clone(), task.approx_bytes(), self.quotas);
        self.store
            .call(move |c| {
                let now = now_epoch();
                let row = a2a_tasks::NewTask {
                    tenant: &tenant,
                    owner: &owner,
                    task_id: &id,
                    created_at: now,
                    bytes,
                    json: &json,
                };
                a2a_tasks::insert(c, &row, &quotas, now - MAX_TASK_AGE_S)
            })
            .await
    }

    /// The task `id` of `tenant`, if `user` created it.
    pub async fn get(&self, tenant: &TenantId, user: &UserId, id: &str) -> Result<Option<Task>, StoreError> {
        let (tenant, user, id) = (tenant.clone(), user.clone(), id.to_owned());
        let json =
            self.store.call(move |c| a2a_tasks::get(c, &tenant, &user, &id, now_epoch() - MAX_TASK_AGE_S)).await?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError::Invalid(format!("stored task: {e}")))).transpose()
    }

    /// How many tasks are kept.
    pub async fn count(&self) -> Result<usize, StoreError> {
        self.store.call(|c| a2a_tasks::count(c)).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{tenants, users};

    /// A migrated store with tenants `club`, `other`, `third`, `t` and users `ada`, `bob`, `eve`,
    /// `u`, looked up by those names.
    struct Fixture {
        _dir: tempfile::TempDir,
        store: Store,
        tenants: std::collections::HashMap<&'static str, TenantId>,
        users: std::collections::HashMap<&'static str, UserId>,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = Store::open(&dir.path().join("t.db")).expect("open");
            store.migrate().expect("migrate");
            let conn = store.conn().expect("conn");
            let mut tenant_ids = std::collections::HashMap::new();
            for name in ["club", "other", "third", "t"] {
                tenant_ids.insert(name, tenants::get_or_create(&conn, name).expect("tenant").id);
            }
            let mut user_ids = std::collections::HashMap::new();
            for name in ["ada", "bob", "eve", "u"] {
                let email = format!("{name}@example.com");
                user_ids.insert(name, users::create(&conn, &tenant_ids["club"], &email, None).expect("user").info.id);
            }
            drop(conn);
            Self { _dir: dir, store, tenants: tenant_ids, users: user_ids }
        }

        fn tasks(&self, quotas: TaskQuotas) -> TaskStore {
            TaskStore::new(self.store.clone(), quotas)
        }
    }

    fn task(n: usize) -> Task {
        let parts = vec![Part::Data(json!({"n": n}))];
        let artifact = Artifact { artifact_id: format!("a{n}"), name: "get_athlete".into(), parts };
        Task::finished("ctx".into(), "get_athlete", TaskState::Completed, vec![artifact], Vec::new())
    }

    /// The same bound at every level.
    fn flat(tasks: usize, bytes: usize) -> TaskQuotas {
        let q = Quota { tasks, bytes };
        TaskQuotas { per_user: q, per_tenant: q, total: q }
    }

    #[tokio::test]
    async fn one_tenant_or_user_cannot_evict_another() {
        let f = Fixture::new();
        let store = f.tasks(TaskQuotas {
            per_user: Quota { tasks: 4, bytes: usize::MAX },
            per_tenant: Quota { tasks: 6, bytes: usize::MAX },
            total: Quota { tasks: 8, bytes: usize::MAX },
        });
        let (club, other, third) = (&f.tenants["club"], &f.tenants["other"], &f.tenants["third"]);
        let (ada, bob, eve) = (&f.users["ada"], &f.users["bob"], &f.users["eve"]);
        let get = |t: &TenantId, u: &UserId, id: &str| {
            let (store, t, u, id) = (store.clone(), t.clone(), u.clone(), id.to_owned());
            async move { store.get(&t, &u, &id).await.expect("get") }
        };
        let quiet = task(0);
        store.insert(other, bob, &quiet).await.expect("insert");
        let colleague = task(1);
        store.insert(club, bob, &colleague).await.expect("insert");
        let flood: Vec<Task> = (2..200).map(task).collect();
        for t in &flood {
            store.insert(club, ada, t).await.expect("insert");
        }
        assert_eq!(get(other, bob, &quiet.id).await, Some(quiet.clone()), "another tenant keeps its task");
        assert_eq!(get(club, bob, &colleague.id).await, Some(colleague.clone()), "another user keeps theirs");
        let mut kept = 0;
        for t in &flood {
            kept += usize::from(get(club, ada, &t.id).await.is_some());
        }
        assert_eq!(kept, 4, "the flooder keeps only its newest, per-user bound");
        assert!(get(club, ada, &flood[flood.len() - 1].id).await.is_some());

        // Over the total, the largest tenant pays: `third` fills up, `other` keeps its one task.
        for i in 0..3 {
            store.insert(club, eve, &task(2000 + i)).await.expect("insert");
        }
        assert_eq!(store.count().await.expect("len"), 7, "club holds its bound of 6, other 1");
        for i in 0..10 {
            store.insert(third, eve, &task(3000 + i)).await.expect("insert");
        }
        assert_eq!(get(other, bob, &quiet.id).await, Some(quiet), "the smallest tenant is never evicted");
        assert!(store.count().await.expect("len") <= 8);
    }

    #[tokio::test]
    async fn scoped_by_tenant_and_user() {
        let f = Fixture::new();
        let store = f.tasks(flat(10, usize::MAX));
        let (club, other) = (&f.tenants["club"], &f.tenants["other"]);
        let (ada, bob) = (&f.users["ada"], &f.users["bob"]);
        let t = task(1);
        store.insert(club, ada, &t).await.expect("insert");
        assert_eq!(store.get(club, ada, &t.id).await.expect("get"), Some(t.clone()), "read back as it was");
        assert_eq!(store.get(other, ada, &t.id).await.expect("get"), None, "another tenant");
        assert_eq!(store.get(club, bob, &t.id).await.expect("get"), None, "another user");
        assert_eq!(store.get(club, ada, "nope").await.expect("get"), None);
    }

    #[tokio::test]
    async fn bounded_oldest_first() {
        let f = Fixture::new();
        let (tenant, user) = (&f.tenants["t"], &f.users["u"]);
        let tasks: Vec<Task> = (0..5).map(task).collect();
        let store = f.tasks(flat(3, usize::MAX));
        for t in &tasks {
            store.insert(tenant, user, t).await.expect("insert");
        }
        assert_eq!(store.count().await.expect("len"), 3);
        assert!(store.get(tenant, user, &tasks[1].id).await.expect("get").is_none());
        assert!(store.get(tenant, user, &tasks[2].id).await.expect("get").is_some());
        assert!(store.get(tenant, user, &tasks[4].id).await.expect("get").is_some());

        let one = tasks[0].approx_bytes();
        let f2 = Fixture::new();
        let (tenant2, user2) = (&f2.tenants["t"], &f2.users["u"]);
        let small = f2.tasks(flat(100, one * 2 + 1));
        for t in &tasks {
            small.insert(tenant2, user2, t).await.expect("insert");
        }
        assert_eq!(small.count().await.expect("len"), 2, "byte bound");
        let f3 = Fixture::new();
        let (tenant, user) = (&f3.tenants["t"], &f3.users["u"]);
        let huge = f3.tasks(flat(100, 1));
        huge.insert(tenant, user, &tasks[0]).await.expect("insert");
        assert_eq!(huge.count().await.expect("len"), 1, "the newest task is kept even when alone over the byte bound");
    }
}
