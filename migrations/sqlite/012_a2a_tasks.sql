-- 012_a2a_tasks.sql
-- Description: finished A2A tasks, so that `GetTask` answers on every replica. Bounded per user,
-- per tenant and in all (tasks and bytes, oldest first), and by age; the bounds live in
-- `a2a::tasks`. `seq` orders tasks by arrival (eviction takes the oldest).
CREATE TABLE a2a_tasks (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id),
    task_id    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    task       TEXT    NOT NULL,
    UNIQUE (tenant_id, task_id)
);
CREATE INDEX idx_a2a_tasks_owner ON a2a_tasks(tenant_id, user_id, seq);
CREATE INDEX idx_a2a_tasks_age ON a2a_tasks(created_at);
