//! `api_cache_windows`: which time windows of a provider's activity list are already copied into
//! the local store, and until when. A list request inside a live window is answered from the
//! store with no provider call.

use crate::store::{Conn, params};
use pacer_shared::{ProviderId, TenantId, UserId};

use super::StoreError;

/// Records that the owner's activities in `(after, before)` were fetched at `now` and may be
/// served until `expires_at`.
pub fn add(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
    (after, before): (i64, i64),
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO api_cache_windows (tenant_id, user_id, provider, after_epoch_s, before_epoch_s, fetched_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![tenant.as_str(), user.as_str(), provider.as_str(), after, before, now, expires_at],
    )?;
    Ok(())
}

/// Whether one live window covers all of `(after, before)`.
pub fn covers(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
    (after, before): (i64, i64),
    now: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM api_cache_windows
               WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?3 AND expires_at > ?4
                 AND after_epoch_s <= ?5 AND before_epoch_s >= ?6)",
        )?
        .query_row(params![tenant.as_str(), user.as_str(), provider.as_str(), now, after, before], |r| r.get(0))?)
}

/// Forgets the owner's windows (after a disconnect, or when the cache is disabled).
pub fn clear(conn: &Conn, tenant: &TenantId, user: &UserId, provider: ProviderId) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM api_cache_windows WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?3",
        params![tenant.as_str(), user.as_str(), provider.as_str()],
    )?)
}
