//! Usage records: one row per authenticated operation (MCP tool call, HTTP call with a key),
//! written in batches by [`super::usage_writer::UsageWriter`].

use crate::store::sql::ToParam;
use crate::store::{Conn, params};
use pacer_shared::TenantId;

use super::{StoreError, now_rfc3339};

/// Whose operation a usage row records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageOwner {
    /// An API key; `touch` also stamps its `last_used_at` (callers stamp at most once a minute
    /// per key: `KeyCache::touch_due`).
    Key { id: String, touch: bool },
    /// An OAuth grant of a connected application (its `last_used_at` is stamped every batch).
    Grant(String),
}

/// One authenticated operation.
#[derive(Debug, Clone)]
pub struct UsageRow {
    pub tenant: TenantId,
    pub owner: UsageOwner,
    pub operation: String,
    pub status: &'static str,
    pub duration_ms: u64,
}

/// Rows per multi-row `INSERT` (6 parameters each).
const ROWS_PER_INSERT: usize = 64;

/// Records `rows` with as few statements as they allow: one multi-row `INSERT` per table (per
/// [`ROWS_PER_INSERT`]) plus the `last_used_at` stamps; in one transaction when that is more
/// than one statement, else as one autocommitted statement (one round trip).
pub fn record_batch(conn: &Conn, rows: &[UsageRow]) -> Result<(), StoreError> {
    let now = now_rfc3339();
    let keys: Vec<(&UsageRow, &str)> = rows
        .iter()
        .filter_map(|r| match &r.owner {
            UsageOwner::Key { id, .. } => Some((r, id.as_str())),
            UsageOwner::Grant(_) => None,
        })
        .collect();
    let grants: Vec<(&UsageRow, &str)> = rows
        .iter()
        .filter_map(|r| match &r.owner {
            UsageOwner::Grant(id) => Some((r, id.as_str())),
            UsageOwner::Key { .. } => None,
        })
        .collect();
    let touched: std::collections::BTreeSet<(&str, &str)> = rows
        .iter()
        .filter_map(|r| match &r.owner {
            UsageOwner::Key { id, touch: true } => Some((r.tenant.as_str(), id.as_str())),
            _ => None,
        })
        .collect();
    let granted: std::collections::BTreeSet<(&str, &str)> =
        grants.iter().map(|(r, id)| (r.tenant.as_str(), *id)).collect();
    let statements =
        keys.len().div_ceil(ROWS_PER_INSERT) + grants.len().div_ceil(ROWS_PER_INSERT) + touched.len() + granted.len();
    let tx = if statements > 1 { Some(conn.transaction()?) } else { None };
    for chunk in keys.chunks(ROWS_PER_INSERT) {
        insert_rows(conn, "api_key_usage (api_key_id", chunk, &now)?;
    }
    for chunk in grants.chunks(ROWS_PER_INSERT) {
        insert_rows(conn, "oauth_grant_usage (grant_id", chunk, &now)?;
    }
    for (tenant, id) in touched {
        conn.prepare_cached("UPDATE api_keys SET last_used_at = ?1 WHERE tenant_id = ?2 AND id = ?3")?
            .execute(params![now, tenant, id])?;
    }
    for (tenant, id) in granted {
        conn.prepare_cached("UPDATE oauth_grants SET last_used_at = ?1 WHERE tenant_id = ?2 AND id = ?3")?
            .execute(params![now, tenant, id])?;
    }
    if let Some(tx) = tx {
        tx.commit()?;
    }
    Ok(())
}

/// One multi-row `INSERT INTO {table_and_owner}, tenant_id, operation, …) VALUES …` of `rows`
/// (each with its owner's id).
fn insert_rows(conn: &Conn, table_and_owner: &str, rows: &[(&UsageRow, &str)], now: &str) -> Result<(), StoreError> {
    let values: Vec<String> = (0..rows.len())
        .map(|i| {
            let b = i * 6;
            format!("(?{}, ?{}, ?{}, ?{}, ?{}, ?{})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6)
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table_and_owner}, tenant_id, operation, status, duration_ms, created_at) VALUES {}",
        values.join(", ")
    );
    let durations: Vec<i64> = rows.iter().map(|(r, _)| i64::try_from(r.duration_ms).unwrap_or(i64::MAX)).collect();
    let tenants: Vec<&str> = rows.iter().map(|(r, _)| r.tenant.as_str()).collect();
    let mut all: Vec<&dyn ToParam> = Vec::with_capacity(rows.len() * 6);
    for (((row, owner), duration), tenant) in rows.iter().zip(&durations).zip(&tenants) {
        all.extend([owner as &dyn ToParam, tenant, &row.operation, &row.status, duration, &now]);
    }
    conn.prepare_cached(&sql)?.execute(&all)?;
    Ok(())
}

/// (operation, status) pairs recorded for a key, oldest first.
pub fn list_for_key(conn: &Conn, tenant: &TenantId, key_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT operation, status FROM api_key_usage WHERE tenant_id = ?1 AND api_key_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![tenant.as_str(), key_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Per-tier quotas (requests per minute) from `tier_limits`.
pub fn tier_limits(conn: &Conn) -> Result<Vec<(String, u32)>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT tier, requests_per_minute FROM tier_limits")?;
    let rows = stmt.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
