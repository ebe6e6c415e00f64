//! One-time login links for passwordless local use (`pacerd users login-link`).

use crate::store::{Conn, OptionalExtension, params};
use pacer_shared::{TenantId, UserId};

use super::StoreError;

/// Stores a link token by hash.
pub fn insert(
    conn: &Conn,
    hash: &[u8; 32],
    tenant: &TenantId,
    user: &UserId,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO login_links (token_hash, tenant_id, user_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![hash.as_slice(), tenant.as_str(), user.as_str(), expires_at],
    )?;
    Ok(())
}

/// Consumes a link: returns its owner when it exists and has not expired; deletes it either way.
pub fn consume(conn: &Conn, hash: &[u8; 32], now: i64) -> Result<Option<(TenantId, UserId)>, StoreError> {
    // Immediate: this read is followed by a write; a deferred transaction could not upgrade its
    // read lock while another connection writes (SQLITE_BUSY, no busy-timeout retry).
    let tx = conn.transaction_immediate()?;
    let row: Option<(String, String, i64)> = tx
        .query_row(
            "SELECT tenant_id, user_id, expires_at FROM login_links WHERE token_hash = ?1",
            params![hash.as_slice()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    tx.execute("DELETE FROM login_links WHERE token_hash = ?1 OR expires_at <= ?2", params![hash.as_slice(), now])?;
    tx.commit()?;
    Ok(row.filter(|r| r.2 > now).map(|(t, u, _)| (TenantId::new(t), UserId::new(u))))
}
