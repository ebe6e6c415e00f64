//! Finished A2A tasks (`a2a_tasks`), so that `GetTask` answers on every replica.
//!
//! A row is one task of one user as JSON (the shape is `crate::a2a::tasks`'s business). Bounds
//! are kept by [`insert`] in the same immediate transaction: tasks older than the age bound go
//! first; then, beyond a [`Quota`], the oldest task of the largest holder goes — the owner's own
//! beyond the per-user bound, the tenant's largest user's beyond the per-tenant bound, the largest
//! tenant's largest user's beyond the total. So nobody within their share loses tasks to someone
//! over theirs, and one flooding tenant or user evicts only its own.

use pacer_shared::{TenantId, UserId};

use super::{Conn, OptionalExtension, StoreError, params};

/// A bound on tasks and bytes of task JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub tasks: usize,
    pub bytes: usize,
}

/// The bounds: per user, per tenant, and over all tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskQuotas {
    pub per_user: Quota,
    pub per_tenant: Quota,
    pub total: Quota,
}

/// One task to keep.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    pub tenant: &'a TenantId,
    pub owner: &'a UserId,
    pub task_id: &'a str,
    /// Epoch seconds.
    pub created_at: i64,
    /// Approximate size of the task as JSON on the wire (what the byte bounds count).
    pub bytes: usize,
    /// The task as stored JSON.
    pub json: &'a str,
}

/// Which measure is over a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Tasks,
    Bytes,
}

impl Measure {
    /// The SQL aggregate that ranks holders by this measure.
    fn aggregate(self) -> &'static str {
        match self {
            Measure::Tasks => "COUNT(*)",
            Measure::Bytes => "SUM(bytes)",
        }
    }
}

/// Which measure of (tasks, bytes) exceeds `q` (tasks first); `None` within it. One task alone is
/// never over (the newest task is kept even when it alone exceeds the byte bound).
fn over((tasks, bytes): (usize, usize), q: Quota) -> Option<Measure> {
    if tasks > q.tasks.max(1) {
        Some(Measure::Tasks)
    } else if bytes > q.bytes && tasks > 1 {
        Some(Measure::Bytes)
    } else {
        None
    }
}

fn usage(conn: &Conn, tenant: Option<&TenantId>, user: Option<&UserId>) -> Result<(usize, usize), StoreError> {
    let (tasks, bytes): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(CAST(SUM(bytes) AS BIGINT), 0) FROM a2a_tasks
         WHERE (CAST(?1 AS TEXT) IS NULL OR tenant_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR user_id = ?2)",
        params![tenant.map(TenantId::as_str), user.map(UserId::as_str)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((usize::try_from(tasks).unwrap_or(0), usize::try_from(bytes).unwrap_or(0)))
}

/// Drops the oldest task of (`tenant`, `user`); false when there was none.
fn pop_oldest(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM a2a_tasks WHERE seq = (
             SELECT MIN(seq) FROM a2a_tasks WHERE tenant_id = ?1 AND user_id = ?2)",
        params![tenant.as_str(), user.as_str()],
    )? == 1)
}

/// The user of `tenant` holding the most by `measure` (ties: who holds the oldest task).
fn largest_user(conn: &Conn, tenant: &TenantId, measure: Measure) -> Result<Option<UserId>, StoreError> {
    let sql = format!(
        "SELECT user_id FROM a2a_tasks WHERE tenant_id = ?1
         GROUP BY user_id ORDER BY {} DESC, MIN(seq) LIMIT 1",
        measure.aggregate()
    );
    Ok(conn.query_row(&sql, params![tenant.as_str()], |r| r.get::<String>(0)).optional()?.map(UserId::new))
}

/// The tenant holding the most by `measure`.
fn largest_tenant(conn: &Conn, measure: Measure) -> Result<Option<TenantId>, StoreError> {
    let sql = format!(
        "SELECT tenant_id FROM a2a_tasks GROUP BY tenant_id ORDER BY {} DESC, MIN(seq) LIMIT 1",
        measure.aggregate()
    );
    Ok(conn.query_row(&sql, params![], |r| r.get::<String>(0)).optional()?.map(TenantId::new))
}

/// Drops the oldest task of `tenant`'s largest user by `measure`; false when none was left.
fn evict_in_tenant(conn: &Conn, tenant: &TenantId, measure: Measure) -> Result<bool, StoreError> {
    match largest_user(conn, tenant, measure)? {
        Some(user) => pop_oldest(conn, tenant, &user),
        None => Ok(false),
    }
}

/// Keeps `task` within `quotas`, dropping tasks created before `oldest_kept` (epoch seconds).
/// A task id already kept for the tenant keeps its first version.
pub fn insert(conn: &Conn, task: &NewTask<'_>, quotas: &TaskQuotas, oldest_kept: i64) -> Result<(), StoreError> {
    let tx = conn.transaction_immediate()?;
    tx.execute("DELETE FROM a2a_tasks WHERE created_at < ?1", params![oldest_kept])?;
    let bytes = i64::try_from(task.bytes).unwrap_or(i64::MAX);
    let inserted = tx.execute(
        "INSERT INTO a2a_tasks (tenant_id, task_id, user_id, created_at, bytes, task)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant_id, task_id) DO NOTHING",
        params![task.tenant.as_str(), task.task_id, task.owner.as_str(), task.created_at, bytes, task.json],
    )?;
    if inserted == 1 {
        let (tenant, owner) = (task.tenant, task.owner);
        // Each pass removes one task or stops, so these loops end.
        while over(usage(&tx, Some(tenant), Some(owner))?, quotas.per_user).is_some() {
            if !pop_oldest(&tx, tenant, owner)? {
                break;
            }
        }
        while let Some(measure) = over(usage(&tx, Some(tenant), None)?, quotas.per_tenant) {
            if !evict_in_tenant(&tx, tenant, measure)? {
                break;
            }
        }
        while let Some(measure) = over(usage(&tx, None, None)?, quotas.total) {
            let Some(biggest) = largest_tenant(&tx, measure)? else { break };
            if !evict_in_tenant(&tx, &biggest, measure)? {
                break;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// The JSON of task `task_id` of `tenant`, if `user` created it and it is not older than
/// `oldest_kept`.
pub fn get(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    task_id: &str,
    oldest_kept: i64,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT task FROM a2a_tasks
             WHERE tenant_id = ?1 AND task_id = ?2 AND user_id = ?3 AND created_at >= ?4",
            params![tenant.as_str(), task_id, user.as_str(), oldest_kept],
            |r| r.get(0),
        )
        .optional()?)
}

/// How many tasks are kept (all tenants).
pub fn count(conn: &Conn) -> Result<usize, StoreError> {
    Ok(usage(conn, None, None)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_names_the_measure_and_never_one_task() {
        let q = Quota { tasks: 2, bytes: 100 };
        assert_eq!(over((2, 100), q), None);
        assert_eq!(over((3, 10), q), Some(Measure::Tasks));
        assert_eq!(over((2, 101), q), Some(Measure::Bytes));
        assert_eq!(over((1, 10_000), q), None, "the newest task alone is kept");
    }
}
