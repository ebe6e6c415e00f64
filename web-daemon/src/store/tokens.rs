//! Encrypted provider tokens. This module only moves sealed bytes; `provider::tokens` is the one
//! writer that seals and opens them (AAD = `tenant_id|user_id|provider`).

use crate::store::{Conn, OptionalExtension, params};
use pacer_shared::{ProviderId, TenantId, UserId};

use super::{Store, StoreError};

/// One `provider_tokens` row. `ciphertext` holds the access and refresh tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub provider: ProviderId,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub expires_at: i64,
    pub athlete_id: Option<i64>,
    pub scopes: String,
    pub updated_at: String,
}

impl std::fmt::Debug for TokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRow")
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("provider", &self.provider)
            .field("expires_at", &self.expires_at)
            .field("athlete_id", &self.athlete_id)
            .finish_non_exhaustive()
    }
}

/// Inserts or replaces the row for (tenant, user, provider) in one statement.
pub fn upsert(conn: &Conn, row: &TokenRow) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO provider_tokens (tenant_id, user_id, provider, nonce, ciphertext, expires_at, athlete_id, scopes, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (tenant_id, user_id, provider) DO UPDATE SET
           nonce = excluded.nonce, ciphertext = excluded.ciphertext, expires_at = excluded.expires_at,
           athlete_id = excluded.athlete_id, scopes = excluded.scopes, updated_at = excluded.updated_at",
        params![
            row.tenant_id.as_str(),
            row.user_id.as_str(),
            row.provider.as_str(),
            row.nonce,
            row.ciphertext,
            row.expires_at,
            row.athlete_id,
            row.scopes,
            row.updated_at
        ],
    )?;
    Ok(())
}

/// The row of (tenant, user, provider), filtered by both tenant and user.
pub fn get(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
) -> Result<Option<TokenRow>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT nonce, ciphertext, expires_at, athlete_id, scopes, updated_at FROM provider_tokens
             WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?3",
        )?
        .query_row(params![tenant.as_str(), user.as_str(), provider.as_str()], |r| {
            Ok(TokenRow {
                tenant_id: tenant.clone(),
                user_id: user.clone(),
                provider,
                nonce: r.get(0)?,
                ciphertext: r.get(1)?,
                expires_at: r.get(2)?,
                athlete_id: r.get(3)?,
                scopes: r.get(4)?,
                updated_at: r.get(5)?,
            })
        })
        .optional()?)
}

/// Deletes the row; true when one existed.
pub fn delete(conn: &Conn, tenant: &TenantId, user: &UserId, provider: ProviderId) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM provider_tokens WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?3",
        params![tenant.as_str(), user.as_str(), provider.as_str()],
    )? == 1)
}

impl Store {
    /// Async [`upsert`].
    pub async fn upsert_provider_token(&self, row: TokenRow) -> Result<(), StoreError> {
        self.call(move |c| upsert(c, &row)).await
    }

    /// Async [`get`].
    pub async fn get_provider_token(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: ProviderId,
    ) -> Result<Option<TokenRow>, StoreError> {
        let (t, u) = (tenant.clone(), user.clone());
        self.call(move |c| get(c, &t, &u, provider)).await
    }

    /// Async [`delete`].
    pub async fn delete_provider_token(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: ProviderId,
    ) -> Result<bool, StoreError> {
        let (t, u) = (tenant.clone(), user.clone());
        self.call(move |c| delete(c, &t, &u, provider)).await
    }
}
