//! One-time OAuth `state` values. Only the SHA-256 of a state is stored; consuming one validates
//! and deletes it in a single transaction, so a state works exactly once.

use crate::store::{Conn, OptionalExtension, params};
use pacer_shared::{ProviderId, TenantId, UserId};

use super::StoreError;

/// A pending connect attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingState {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub provider: ProviderId,
    pub pkce_verifier: Option<String>,
    pub redirect_uri: String,
    pub expires_at: i64,
    /// SHA-256 of the nonce cookie of the browser that started the flow (`None`: started by
    /// an API client or an MCP tool; such a callback connects the provider but opens no session).
    pub browser_binding: Option<[u8; 32]>,
}

/// Stores a state by hash.
pub fn insert(conn: &Conn, state_hash: &[u8; 32], s: &PendingState, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO oauth_states (state_hash, tenant_id, user_id, provider, pkce_verifier, redirect_uri, created_at, expires_at, browser_binding)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            state_hash.as_slice(),
            s.tenant_id.as_str(),
            s.user_id.as_str(),
            s.provider.as_str(),
            s.pkce_verifier,
            s.redirect_uri,
            now,
            s.expires_at,
            s.browser_binding.as_ref().map(|b| b.as_slice())
        ],
    )?;
    Ok(())
}

/// Why a state could not be consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeError {
    /// Never issued, or already used.
    Unknown,
    /// Issued but past its expiry (deleted now).
    Expired,
}

/// Validates and deletes a state in one transaction.
pub fn consume(conn: &Conn, state_hash: &[u8; 32], now: i64) -> Result<Result<PendingState, ConsumeError>, StoreError> {
    let tx = conn.transaction()?;
    let found = tx
        .query_row(
            "SELECT tenant_id, user_id, provider, pkce_verifier, redirect_uri, expires_at, browser_binding
             FROM oauth_states WHERE state_hash = ?1",
            params![state_hash.as_slice()],
            |r| {
                Ok(PendingState {
                    tenant_id: TenantId::new(r.get::<String>(0)?),
                    user_id: UserId::new(r.get::<String>(1)?),
                    provider: super::provider_column(r, 2)?,
                    pkce_verifier: r.get(3)?,
                    redirect_uri: r.get(4)?,
                    expires_at: r.get(5)?,
                    browser_binding: r.get::<Option<Vec<u8>>>(6)?.and_then(|b| <[u8; 32]>::try_from(b).ok()),
                })
            },
        )
        .optional()?;
    let Some(state) = found else {
        return Ok(Err(ConsumeError::Unknown));
    };
    tx.execute("DELETE FROM oauth_states WHERE state_hash = ?1", params![state_hash.as_slice()])?;
    tx.commit()?;
    if state.expires_at <= now { Ok(Err(ConsumeError::Expired)) } else { Ok(Ok(state)) }
}

/// Deletes expired states; returns how many.
pub fn sweep_expired(conn: &Conn, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM oauth_states WHERE expires_at <= ?1", params![now])?)
}
