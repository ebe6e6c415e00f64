//! Usage records: one row per authenticated operation (MCP tool call, HTTP call with a key).

use crate::store::{Conn, params};
use pacer_shared::TenantId;

use super::{StoreError, now_rfc3339};

/// One usage record.
#[derive(Debug, Clone)]
pub struct UsageRecord<'a> {
    pub tenant: &'a TenantId,
    pub api_key_id: &'a str,
    pub operation: &'a str,
    pub status: &'a str,
    pub duration_ms: u64,
}

/// Records a usage row and, when `touch`, stamps the key's `last_used_at` in the same
/// transaction (callers stamp at most once a minute per key: `KeyCache::touch_due`).
pub fn record(conn: &Conn, rec: &UsageRecord<'_>, touch: bool) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let now = now_rfc3339();
    tx.prepare_cached(
        "INSERT INTO api_key_usage (api_key_id, tenant_id, operation, status, duration_ms, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        rec.api_key_id,
        rec.tenant.as_str(),
        rec.operation,
        rec.status,
        rec.duration_ms as i64,
        now
    ])?;
    if touch {
        tx.prepare_cached("UPDATE api_keys SET last_used_at = ?1 WHERE tenant_id = ?2 AND id = ?3")?
            .execute(params![now, rec.tenant.as_str(), rec.api_key_id])?;
    }
    tx.commit()?;
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
