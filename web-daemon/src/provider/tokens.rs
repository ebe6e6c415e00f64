//! [`TokenService`]: the only writer of provider tokens. Tokens are sealed by the
//! [`TokenVault`] (AAD `tenant_id|user_id|provider`) and stored as one row per
//! (tenant, user, provider).
//!
//! Refresh policy: a token expiring within [`REFRESH_MARGIN_S`] is refreshed before use, and a
//! call the provider answers with `Unauthorized` is retried once after a refresh. Refreshes are
//! serialized per (tenant, user, provider); whoever gets the lock re-reads the row and skips the
//! refresh if another task already did it, so concurrent callers cause one refresh. The rotated
//! refresh token is persisted before the new access token is used.
//!
//! Every entry point takes the [`ProviderId`] and looks the tenant's client up once
//! ([`ProviderRegistry::for_tenant`]: a tenant's own OAuth app, else the global one); that same
//! client refreshes the token and serves the call ([`TokenService::with_session`]).

use std::future::Future;
use std::sync::Arc;

use pacer_shared::{ProviderId, Secret, TenantId, UserId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::refresh::{RefreshDecision, RefreshLocks, needs_refresh, refresh_decision};
use super::{ActivityData, FitnessProvider, ProviderError, ProviderRegistry, RateLimitUsage, TokenSet};
use crate::store::replicas::ReplicaLock;
use crate::store::{Store, TokenRow};
use crate::vault::{Sealed, TokenAad, TokenVault};

pub use super::refresh::REFRESH_MARGIN_S;

/// A connection's public facts: never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionInfo {
    /// The provider's id of the connected athlete, if known.
    pub athlete_id: Option<u64>,
    /// Granted scopes, comma-separated (empty if unknown).
    pub scopes: String,
    /// When the current access token expires, epoch seconds (refreshed automatically).
    pub expires_at: i64,
    /// When the tokens were last written, RFC 3339.
    pub updated_at: String,
}

/// The sealed plaintext: both tokens as JSON.
#[derive(Serialize, Deserialize)]
struct SealedTokens {
    access_token: Secret,
    refresh_token: Secret,
}

/// Whose tokens, and the client that refreshes them.
#[derive(Clone, Copy)]
struct Owner<'a> {
    provider: ProviderId,
    tenant: &'a TenantId,
    user: &'a UserId,
    client: &'a Arc<dyn FitnessProvider>,
}

/// A row with its tokens opened.
struct Opened {
    access: Secret,
    refresh: Secret,
    row: TokenRow,
}

/// Seals, stores, refreshes and revokes provider tokens, one row per (tenant, user, provider).
pub struct TokenService {
    store: Store,
    vault: Arc<TokenVault>,
    providers: Arc<ProviderRegistry>,
    locks: RefreshLocks,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService").field("providers", &self.providers.providers()).finish_non_exhaustive()
    }
}

fn storage(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::TokenStorage(e.to_string())
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

impl TokenService {
    /// A service storing `provider`'s tokens in `store`, sealed by `vault`; every tenant uses
    /// `provider` (no tenant OAuth apps).
    pub fn new(store: Store, vault: Arc<TokenVault>, provider: Arc<dyn FitnessProvider>) -> Self {
        let providers = Arc::new(ProviderRegistry::new(store.clone(), vault.clone(), provider));
        Self::with_registry(store, vault, providers)
    }

    /// A service whose tenants are served by `providers` (tenant OAuth apps or the global one).
    pub fn with_registry(store: Store, vault: Arc<TokenVault>, providers: Arc<ProviderRegistry>) -> Self {
        Self { store, vault, providers, locks: RefreshLocks::default() }
    }

    /// The vault sealing provider secrets (also the authorization codes of connect links awaiting
    /// confirmation, `oauth::confirm`).
    pub fn vault(&self) -> &TokenVault {
        &self.vault
    }

    /// The per-tenant provider clients (tenant OAuth apps).
    pub fn registry(&self) -> &Arc<ProviderRegistry> {
        &self.providers
    }

    /// The client of `provider` serving `tenant` (for connecting: authorize URL, code exchange).
    pub fn client(&self, provider: ProviderId, tenant: &TenantId) -> Result<Arc<dyn FitnessProvider>, ProviderError> {
        self.providers.for_tenant(provider, tenant)
    }

    /// `provider`'s API rate-limit usage as last reported to `tenant`'s client.
    pub fn rate_limit_usage(&self, provider: ProviderId, tenant: &TenantId) -> Option<RateLimitUsage> {
        self.client(provider, tenant).ok().and_then(|c| c.rate_limit_usage())
    }

    fn lock(&self, provider: ProviderId, tenant: &TenantId, user: &UserId) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.get((tenant.clone(), user.clone(), provider))
    }

    /// Seals `tokens` into a row; athlete id and scopes fall back to `previous`.
    fn seal_row(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
        tokens: &TokenSet,
        previous: Option<&TokenRow>,
    ) -> Result<TokenRow, ProviderError> {
        let plain =
            SealedTokens { access_token: tokens.access_token.clone(), refresh_token: tokens.refresh_token.clone() };
        let json = serde_json::to_vec(&plain).map_err(storage)?;
        let aad = TokenAad::new(tenant.clone(), user.clone(), provider);
        let Sealed { nonce, ciphertext } = self.vault.seal(&aad, &json).map_err(storage)?;
        Ok(TokenRow {
            tenant_id: tenant.clone(),
            user_id: user.clone(),
            provider,
            nonce,
            ciphertext,
            expires_at: tokens.expires_at,
            athlete_id: tokens.athlete_id.and_then(|id| i64::try_from(id).ok()).or(previous.and_then(|p| p.athlete_id)),
            scopes: tokens.scopes.clone().or_else(|| previous.map(|p| p.scopes.clone())).unwrap_or_default(),
            updated_at: crate::store::now_rfc3339(),
        })
    }

    /// Loads and opens the row. A row that does not open (other master key, or moved to
    /// another tenant/user) counts as not connected.
    async fn load(&self, provider: ProviderId, tenant: &TenantId, user: &UserId) -> Result<Opened, ProviderError> {
        let row = self
            .store
            .get_provider_token(tenant, user, provider)
            .await
            .map_err(storage)?
            .ok_or(ProviderError::NotConnected)?;
        let sealed = Sealed { nonce: row.nonce.clone(), ciphertext: row.ciphertext.clone() };
        let aad = TokenAad::new(tenant.clone(), user.clone(), provider);
        let opened = self.vault.open(&aad, &sealed).and_then(|plain| {
            serde_json::from_slice::<SealedTokens>(&plain).map_err(|_| crate::vault::VaultError::Decrypt)
        });
        match opened {
            Ok(t) => Ok(Opened { access: t.access_token, refresh: t.refresh_token, row }),
            Err(e) => {
                tracing::warn!(%tenant, %user, %provider, error = %e, "stored provider tokens do not open; treating as not connected");
                Err(ProviderError::NotConnected)
            }
        }
    }

    /// Seals and stores freshly granted tokens (OAuth callback), replacing any previous ones.
    pub async fn store_tokens(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
        tokens: &TokenSet,
    ) -> Result<(), ProviderError> {
        let lock = self.lock(provider, tenant, user);
        let _guard = lock.lock().await;
        let row = self.seal_row(provider, tenant, user, tokens, None)?;
        self.store.upsert_provider_token(row).await.map_err(storage)
    }

    /// The connection's public facts, or `None` when not connected (no row, or a row that does
    /// not open for this tenant and user).
    pub async fn connection(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<ConnectionInfo>, ProviderError> {
        // Only a row that opens under this (tenant, user) counts: its plain columns (athlete id,
        // scopes) are not authenticated, so a row moved from another user must not report them.
        let row = match self.load(provider, tenant, user).await {
            Ok(opened) => opened.row,
            Err(ProviderError::NotConnected) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(ConnectionInfo {
            athlete_id: row.athlete_id.and_then(|id| u64::try_from(id).ok()),
            scopes: row.scopes,
            expires_at: row.expires_at,
            updated_at: row.updated_at,
        }))
    }

    /// Revokes access at the provider (best effort) and deletes the tokens. Returns whether a
    /// connection existed.
    pub async fn disconnect(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<bool, ProviderError> {
        let lock = self.lock(provider, tenant, user);
        let _guard = lock.lock().await;
        match self.load(provider, tenant, user).await {
            Ok(opened) => {
                let revoked = match self.client(provider, tenant) {
                    Ok(client) => client.deauthorize(&opened.access).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = revoked {
                    tracing::warn!(%tenant, %user, %provider, error = %e, "deauthorize at provider failed; deleting local tokens anyway");
                }
            }
            Err(ProviderError::NotConnected) => {}
            Err(e) => return Err(e),
        }
        let existed = self.store.delete_provider_token(tenant, user, provider).await.map_err(storage)?;
        // Data fetched through the connection goes with it (imported files stay).
        let (t, u) = (tenant.clone(), user.clone());
        let removed = self
            .store
            .call(move |c| crate::store::activities::delete_api_rows(c, &t, &u, provider))
            .await
            .map_err(storage)?;
        if removed > 0 {
            tracing::info!(%tenant, %user, %provider, removed, "cached provider activities deleted with the connection");
        }
        Ok(existed)
    }

    /// Runs `f` with the user's data at `provider` (a session of the tenant's client and a fresh
    /// access token); see [`with_client`](Self::with_client) for the refresh rules.
    pub async fn with_session<T, F, Fut>(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn(Arc<dyn ActivityData>) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.with_client(provider, tenant, user, |client, token| f(client.session(token))).await
    }

    /// Runs `f` with a valid access token; see [`with_client`](Self::with_client).
    pub async fn with_access_token<T, F, Fut>(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.with_client(provider, tenant, user, |_, token| f(token)).await
    }

    /// The one entry point: looks up the client of `provider` serving `tenant` once, and runs
    /// `f` with that client and a valid access token. The token is refreshed first when it
    /// expires within 5 minutes, and once more (retrying `f` once) when the provider answers
    /// `Unauthorized`; refreshes use the same client, so the tenant's own OAuth app refreshes
    /// its own tokens and its rate limits are tracked on one client.
    ///
    /// Errors: [`ProviderError::NotConnected`] without stored tokens,
    /// [`ProviderError::TokenRefreshFailed`] when a needed refresh fails, else `f`'s error.
    pub async fn with_client<T, F, Fut>(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
        user: &UserId,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn(Arc<dyn FitnessProvider>, Secret) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let client = self.client(provider, tenant)?;
        let owner = Owner { provider, tenant, user, client: &client };
        let mut current = self.load(provider, tenant, user).await?;
        if needs_refresh(current.row.expires_at, now_s()) {
            current = self.refresh_serialized(&owner, &current, false).await?;
        }
        match f(client.clone(), current.access.clone()).await {
            Err(ProviderError::Unauthorized) => {
                let fresh = self.refresh_serialized(&owner, &current, true).await?;
                f(client.clone(), fresh.access).await
            }
            other => other,
        }
    }

    /// Refreshes under the per-key lock unless someone else already did; see
    /// [`refresh_decision`](super::refresh::refresh_decision).
    async fn refresh_serialized(
        &self,
        owner: &Owner<'_>,
        seen: &Opened,
        forced: bool,
    ) -> Result<Opened, ProviderError> {
        let Owner { provider, tenant, user, .. } = *owner;
        let lock = self.lock(provider, tenant, user);
        let _guard = lock.lock().await;
        // Replicas sharing a database: one of them refreshes, the others then read its tokens.
        let replicas = ReplicaLock::acquire(&self.store, &format!("refresh:{tenant}:{user}:{provider}"))
            .await
            .map_err(|e| ProviderError::TokenRefreshFailed { reason: format!("waiting for another replica: {e}") })?;
        let refreshed = self.refresh_locked(owner, seen, forced).await;
        replicas.release().await;
        refreshed
    }

    /// [`refresh_serialized`](Self::refresh_serialized) once both locks are held.
    async fn refresh_locked(&self, owner: &Owner<'_>, seen: &Opened, forced: bool) -> Result<Opened, ProviderError> {
        let Owner { provider, tenant, user, client } = *owner;
        let current = self.load(provider, tenant, user).await?;
        let changed = current.row.nonce != seen.row.nonce || current.access != seen.access;
        if refresh_decision(changed, forced, current.row.expires_at, now_s()) == RefreshDecision::UseCurrent {
            return Ok(current);
        }
        let failed = |reason: String| {
            tracing::warn!(%tenant, %user, %provider, %reason, "token refresh failed");
            ProviderError::TokenRefreshFailed { reason }
        };
        let tokens = client.refresh(&current.refresh).await.map_err(|e| failed(e.to_string()))?;
        let row =
            self.seal_row(provider, tenant, user, &tokens, Some(&current.row)).map_err(|e| failed(e.to_string()))?;
        self.store
            .upsert_provider_token(row.clone())
            .await
            .map_err(|e| failed(format!("persisting rotated tokens: {e}")))?;
        tracing::info!(%tenant, %user, %provider, expires_at = tokens.expires_at, "provider token refreshed");
        Ok(Opened { access: tokens.access_token, refresh: tokens.refresh_token, row })
    }
}

#[cfg(test)]
#[path = "tokens_tests.rs"]
mod tests;
