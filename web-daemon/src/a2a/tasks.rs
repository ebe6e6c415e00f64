//! pacer's A2A tasks (one internal model; [`super::wire`] writes it in either wire generation)
//! and the bounded in-memory map `GetTask` reads.
//!
//! Every task pacer creates is finished when `SendMessage` answers (`completed` or `failed`), so
//! the map only serves read-backs. It is keyed by (tenant, task id) and also remembers the user
//! who created the task: another tenant, or another user of the same tenant, gets "not found".
//! It holds at most [`MAX_TASKS_PER_USER`] tasks per user, [`MAX_TASKS_PER_TENANT`] per tenant
//! and [`MAX_TASKS`] in all (and byte bounds beside each). Beyond a bound the oldest task of the
//! largest holder goes, so one tenant (or user) flooding the map evicts only its own tasks. It
//! lives for the process (one daemon per process) and is not persisted: after a restart old task
//! ids are simply not found.

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex, PoisonError};

use pacer_shared::{TenantId, UserId};
use serde_json::Value;

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

/// Where a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Completed,
    Failed,
}

/// A piece of content.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus {
    pub state: TaskState,
    /// RFC 3339, UTC (`Z`).
    pub timestamp: String,
    pub message: Option<AgentMessage>,
}

/// A skill's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub artifact_id: String,
    /// The skill that produced it.
    pub name: String,
    /// A data part with the structured result, then a text part with a one-line summary.
    pub parts: Vec<Part>,
}

/// An A2A Task.
#[derive(Debug, Clone, PartialEq)]
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

struct Entry {
    owner: UserId,
    bytes: usize,
    task: Task,
}

/// How many tasks and bytes of task JSON are held.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Usage {
    tasks: usize,
    bytes: usize,
}

/// A bound on tasks and bytes of task JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub tasks: usize,
    pub bytes: usize,
}

impl Usage {
    /// Which measure exceeds `q` (tasks first); `None` when within it. One task alone is never
    /// over (the newest task is kept even when it alone exceeds the byte bound).
    fn over(self, q: Quota) -> Option<fn(&Usage) -> usize> {
        if self.tasks > q.tasks.max(1) {
            Some(|u| u.tasks)
        } else if self.bytes > q.bytes && self.tasks > 1 {
            Some(|u| u.bytes)
        } else {
            None
        }
    }
    fn add(&mut self, bytes: usize) {
        self.tasks += 1;
        self.bytes += bytes;
    }
    fn sub(&mut self, bytes: usize) {
        self.tasks = self.tasks.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(bytes);
    }
}

/// The bounds of a [`TaskStore`]: per user, per tenant, and over all tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskQuotas {
    pub per_user: Quota,
    pub per_tenant: Quota,
    pub total: Quota,
}

/// The daemon's bounds.
pub const QUOTAS: TaskQuotas = TaskQuotas {
    per_user: Quota { tasks: MAX_TASKS_PER_USER, bytes: MAX_TASK_BYTES_PER_USER },
    per_tenant: Quota { tasks: MAX_TASKS_PER_TENANT, bytes: MAX_TASK_BYTES_PER_TENANT },
    total: Quota { tasks: MAX_TASKS, bytes: MAX_TASK_BYTES },
};

#[derive(Default)]
struct UserTasks {
    usage: Usage,
    /// Task ids, oldest first.
    order: VecDeque<String>,
}

#[derive(Default)]
struct TenantTasks {
    usage: Usage,
    users: HashMap<UserId, UserTasks>,
}

#[derive(Default)]
struct Inner {
    tasks: HashMap<(TenantId, String), Entry>,
    tenants: HashMap<TenantId, TenantTasks>,
    usage: Usage,
}

/// The key with the largest `measure`.
fn largest<K, V>(map: &HashMap<K, V>, usage: fn(&V) -> Usage, measure: fn(&Usage) -> usize) -> Option<&K> {
    map.iter().max_by_key(|(_, v)| measure(&usage(v))).map(|(k, _)| k)
}

impl Inner {
    /// Drops the oldest task of (`tenant`, `user`); false when there was none.
    fn pop_oldest(&mut self, tenant: &TenantId, user: &UserId) -> bool {
        let Some(t) = self.tenants.get_mut(tenant) else { return false };
        let Some(u) = t.users.get_mut(user) else { return false };
        let Some(id) = u.order.pop_front() else { return false };
        let bytes = self.tasks.remove(&(tenant.clone(), id)).map_or(0, |e| e.bytes);
        u.usage.sub(bytes);
        t.usage.sub(bytes);
        self.usage.sub(bytes);
        if u.order.is_empty() {
            t.users.remove(user);
        }
        if t.users.is_empty() {
            self.tenants.remove(tenant);
        }
        true
    }

    /// Drops the oldest task of `tenant`'s largest user by `measure`; false when none was left.
    fn evict_in_tenant(&mut self, tenant: &TenantId, measure: fn(&Usage) -> usize) -> bool {
        let user = self.tenants.get(tenant).and_then(|t| largest(&t.users, |u| u.usage, measure)).cloned();
        user.is_some_and(|user| self.pop_oldest(tenant, &user))
    }

    fn enforce(&mut self, tenant: &TenantId, user: &UserId, q: TaskQuotas) {
        let user_usage = |i: &Self| i.tenants.get(tenant).and_then(|t| t.users.get(user)).map(|u| u.usage);
        // Each pass removes one task or stops, so these loops end.
        while user_usage(self).and_then(|u| u.over(q.per_user)).is_some() {
            if !self.pop_oldest(tenant, user) {
                break;
            }
        }
        while let Some(measure) = self.tenants.get(tenant).and_then(|t| t.usage.over(q.per_tenant)) {
            if !self.evict_in_tenant(tenant, measure) {
                break;
            }
        }
        while let Some(measure) = self.usage.over(q.total) {
            let Some(biggest) = largest(&self.tenants, |t| t.usage, measure).cloned() else { break };
            if !self.evict_in_tenant(&biggest, measure) {
                break;
            }
        }
    }
}

/// Finished tasks by (tenant, id), bounded; see the module docs.
pub struct TaskStore {
    inner: Mutex<Inner>,
    quotas: TaskQuotas,
}

impl TaskStore {
    /// An empty map within `quotas`.
    pub fn new(quotas: TaskQuotas) -> Self {
        Self { inner: Mutex::default(), quotas }
    }

    /// The daemon's map.
    pub fn global() -> &'static Self {
        static TASKS: LazyLock<TaskStore> = LazyLock::new(|| TaskStore::new(QUOTAS));
        &TASKS
    }

    /// Keeps `task` for `owner` in `tenant`. Beyond a bound, the oldest task of the largest
    /// holder goes: the owner's own beyond the per-user bound, the tenant's largest user's beyond
    /// the per-tenant bound, the largest tenant's beyond the total. So nobody within their
    /// share loses tasks to someone over theirs.
    pub fn insert(&self, tenant: &TenantId, owner: &UserId, task: Task) {
        let bytes = task.approx_bytes();
        let id = task.id.clone();
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.tasks.contains_key(&(tenant.clone(), id.clone())) {
            return; // ids are fresh UUIDs; a repeat keeps the first
        }
        inner.tasks.insert((tenant.clone(), id.clone()), Entry { owner: owner.clone(), bytes, task });
        inner.usage.add(bytes);
        let t = inner.tenants.entry(tenant.clone()).or_default();
        t.usage.add(bytes);
        let u = t.users.entry(owner.clone()).or_default();
        u.usage.add(bytes);
        u.order.push_back(id);
        inner.enforce(tenant, owner, self.quotas);
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
        let parts = vec![Part::Data(json!({"n": n}))];
        let artifact = Artifact { artifact_id: format!("a{n}"), name: "get_athlete".into(), parts };
        Task::finished("ctx".into(), "get_athlete", TaskState::Completed, vec![artifact], Vec::new())
    }

    /// The same bound at every level.
    fn flat(tasks: usize, bytes: usize) -> TaskQuotas {
        let q = Quota { tasks, bytes };
        TaskQuotas { per_user: q, per_tenant: q, total: q }
    }

    #[test]
    fn one_tenant_or_user_cannot_evict_another() {
        let store = TaskStore::new(TaskQuotas {
            per_user: Quota { tasks: 4, bytes: usize::MAX },
            per_tenant: Quota { tasks: 6, bytes: usize::MAX },
            total: Quota { tasks: 8, bytes: usize::MAX },
        });
        let (club, other, third) = (TenantId::new("club"), TenantId::new("other"), TenantId::new("third"));
        let (ada, bob, eve) = (UserId::new("ada"), UserId::new("bob"), UserId::new("eve"));
        let quiet = task(0);
        store.insert(&other, &bob, quiet.clone());
        let colleague = task(1);
        store.insert(&club, &bob, colleague.clone());
        let flood: Vec<Task> = (2..1000).map(task).collect();
        for t in &flood {
            store.insert(&club, &ada, t.clone());
        }
        assert_eq!(store.get(&other, &bob, &quiet.id), Some(quiet.clone()), "another tenant keeps its task");
        assert_eq!(store.get(&club, &bob, &colleague.id), Some(colleague.clone()), "another user keeps theirs");
        let kept: Vec<_> = flood.iter().filter(|t| store.get(&club, &ada, &t.id).is_some()).collect();
        assert_eq!(kept.len(), 4, "the flooder keeps only its newest, per-user bound");
        assert!(store.get(&club, &ada, &flood[flood.len() - 1].id).is_some());

        // Over the total, the largest tenant pays: `third` fills up, `other` keeps its one task.
        for i in 0..3 {
            store.insert(&club, &eve, task(2000 + i));
        }
        assert_eq!(store.len(), 7, "club holds its bound of 6, other 1");
        for i in 0..10 {
            store.insert(&third, &eve, task(3000 + i));
        }
        assert_eq!(store.get(&other, &bob, &quiet.id), Some(quiet), "the smallest tenant is never evicted");
        assert!(store.len() <= 8);
    }

    #[test]
    fn scoped_by_tenant_and_user() {
        let store = TaskStore::new(flat(10, usize::MAX));
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
        let store = TaskStore::new(flat(3, usize::MAX));
        let (tenant, user) = (TenantId::new("t"), UserId::new("u"));
        let tasks: Vec<Task> = (0..5).map(task).collect();
        for t in &tasks {
            store.insert(&tenant, &user, t.clone());
        }
        assert_eq!(store.len(), 3);
        assert!(store.get(&tenant, &user, &tasks[1].id).is_none());
        assert!(store.get(&tenant, &user, &tasks[2].id).is_some() && store.get(&tenant, &user, &tasks[4].id).is_some());

        let one = tasks[0].approx_bytes();
        let small = TaskStore::new(flat(100, one * 2 + 1));
        for t in &tasks {
            small.insert(&tenant, &user, t.clone());
        }
        assert_eq!(small.len(), 2, "byte bound");
        let huge = TaskStore::new(flat(100, 1));
        huge.insert(&tenant, &user, tasks[0].clone());
        assert_eq!(huge.len(), 1, "the newest task is kept even when alone over the byte bound");
    }
}
