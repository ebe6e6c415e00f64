//! [`ProviderRegistry`]: which provider client serves a tenant (the seed's
//! `get_oauth_config(tenant_id)` → `get_tenant_oauth_config()`).
//!
//! A tenant with its own OAuth application (`tenant_oauth_apps`, set with `pacerd oauth-apps set`)
//! is served by its own [`StravaClient`], built from that app's client id and secret with the
//! global `api_base` / `oauth_base`; every other tenant uses the global client (`strava.*`). Each
//! client tracks its own application's rate limits, as Strava counts them per application.
//!
//! The clients are cached in memory: loaded at start-up ([`ProviderRegistry::load`]) and replaced
//! or dropped when an app is set or removed through this registry, the only writer of
//! `tenant_oauth_apps` (one daemon per home). [`ProviderRegistry::for_tenant`] never touches the
//! database. An app whose secret does not open at start-up (other master key) is skipped with a
//! warning, and its tenant uses the global app until the app is set again.
//!
//! Stored tokens do not record which app issued them: after a tenant's app changes, its users'
//! refresh tokens belong to the previous app and stop refreshing, so they must reconnect.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use pacer_shared::ipc::OAuthAppInfo;
use pacer_shared::{ProviderId, Secret, TenantId};

use super::{FitnessProvider, ProviderError, StravaClient, StravaClientConfig};
use crate::store::oauth_apps::{self, NamedOAuthApp, OAuthAppRow};
use crate::store::tenants::{self, Tenant};
use crate::store::{Store, StoreError};
use crate::vault::{TokenVault, VaultError};

/// Longest accepted client id, client secret and redirect URI.
const MAX_CLIENT_ID: usize = 128;
const MAX_CLIENT_SECRET: usize = 512;
const MAX_REDIRECT_URI: usize = 2048;

/// A tenant's own OAuth application as an operator sets it.
#[derive(Debug, Clone)]
pub struct OAuthAppInput {
    /// Tenant name (must exist).
    pub tenant: String,
    /// The provider the app belongs to (must have a global client in this registry).
    pub provider: ProviderId,
    pub client_id: String,
    pub client_secret: Secret,
    /// Callback URL registered with the app; `None` keeps the global one.
    pub redirect_uri: Option<String>,
}

/// Failures of setting, removing or listing tenant OAuth apps. Messages never contain the secret.
#[derive(Debug, thiserror::Error)]
pub enum OAuthAppError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("cannot build the provider client: {0}")]
    Client(ProviderError),
    #[error("client secret: {0}")]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> OAuthAppError {
    OAuthAppError::Invalid { field, message: message.into() }
}

/// The provider serving one tenant, and the callback URL of its app.
#[derive(Clone)]
struct TenantClient {
    provider: Arc<dyn FitnessProvider>,
    redirect_uri: Option<String>,
}

/// Resolves the provider client for a tenant: its own OAuth app's, or the global one.
pub struct ProviderRegistry {
    /// The global client of each configured provider.
    globals: HashMap<ProviderId, Arc<dyn FitnessProvider>>,
    /// Endpoints, timeout and retries for tenant clients; `None`: tenant apps are not supported.
    template: Option<StravaClientConfig>,
    store: Store,
    vault: Arc<TokenVault>,
    tenants: RwLock<HashMap<(TenantId, ProviderId), TenantClient>>,
    /// Serializes set/remove so the cache always matches the table.
    writes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ProviderRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderRegistry")
            .field("providers", &self.globals.keys().collect::<Vec<_>>())
            .field("tenant_apps", &self.read().len())
            .finish_non_exhaustive()
    }
}

impl ProviderRegistry {
    /// Every tenant uses `global` for its provider; tenant apps cannot be set (tests with fake
    /// providers).
    pub fn new(store: Store, vault: Arc<TokenVault>, global: Arc<dyn FitnessProvider>) -> Self {
        let globals = HashMap::from([(global.id(), global)]);
        Self {
            globals,
            template: None,
            store,
            vault,
            tenants: RwLock::default(),
            writes: tokio::sync::Mutex::default(),
        }
    }

    /// The global Strava client from `config`; tenant apps reuse its endpoints, timeout and
    /// retries. Call [`load`](Self::load) to pick up the apps already stored.
    pub fn strava(store: Store, vault: Arc<TokenVault>, config: StravaClientConfig) -> Result<Self, ProviderError> {
        let global: Arc<dyn FitnessProvider> = Arc::new(StravaClient::new(config.clone())?);
        let template =
            StravaClientConfig { client_id: String::new(), client_secret: Secret::new(String::new()), ..config };
        Ok(Self { template: Some(template), ..Self::new(store, vault, global) })
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<(TenantId, ProviderId), TenantClient>> {
        self.tenants.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The providers this registry serves.
    pub fn providers(&self) -> Vec<ProviderId> {
        let mut ids: Vec<ProviderId> = self.globals.keys().copied().collect();
        ids.sort();
        ids
    }

    /// The global client of `provider` (from its `[provider]` config section).
    pub fn global(&self, provider: ProviderId) -> Result<Arc<dyn FitnessProvider>, ProviderError> {
        self.globals.get(&provider).cloned().ok_or(ProviderError::NotConfigured(provider))
    }

    /// The client of `provider` serving `tenant`: its own app's, else the global one.
    pub fn for_tenant(
        &self,
        provider: ProviderId,
        tenant: &TenantId,
    ) -> Result<Arc<dyn FitnessProvider>, ProviderError> {
        match self.read().get(&(tenant.clone(), provider)) {
            Some(c) => Ok(c.provider.clone()),
            None => self.global(provider),
        }
    }

    /// The callback URL of `tenant`'s own app for `provider`, if it set one (else use the
    /// global one).
    pub fn redirect_uri(&self, provider: ProviderId, tenant: &TenantId) -> Option<String> {
        self.read().get(&(tenant.clone(), provider)).and_then(|c| c.redirect_uri.clone())
    }

    /// Makes `client` serve `tenant` for its provider (replacing any previous client).
    pub(crate) fn install(&self, tenant: TenantId, client: Arc<dyn FitnessProvider>, redirect_uri: Option<String>) {
        let mut map = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
        map.insert((tenant, client.id()), TenantClient { provider: client, redirect_uri });
    }

    fn evict(&self, tenant: &TenantId, provider: ProviderId) {
        self.tenants.write().unwrap_or_else(PoisonError::into_inner).remove(&(tenant.clone(), provider));
    }

    fn client(&self, client_id: &str, client_secret: Secret) -> Result<Arc<dyn FitnessProvider>, OAuthAppError> {
        let template = self
            .template
            .clone()
            .ok_or_else(|| invalid("provider", "per-tenant OAuth apps are not supported by this registry"))?;
        let config = StravaClientConfig { client_id: client_id.to_owned(), client_secret, ..template };
        Ok(Arc::new(StravaClient::new(config).map_err(OAuthAppError::Client)?))
    }

    /// Builds the clients of every stored app; returns how many are in use.
    pub async fn load(&self) -> Result<usize, StoreError> {
        if self.template.is_none() {
            return Ok(0);
        }
        let apps = self.store.call(|c| oauth_apps::list_all(c)).await?;
        let mut loaded = 0;
        for NamedOAuthApp { tenant_name, app } in apps {
            let client = if app.provider.parse::<ProviderId>().is_ok_and(|p| self.globals.contains_key(&p)) {
                app.open_secret(&self.vault)
                    .map_err(OAuthAppError::from)
                    .and_then(|secret| self.client(&app.client_id, secret))
            } else {
                Err(invalid("provider", format!("unknown provider '{}'", app.provider)))
            };
            match client {
                Ok(client) => {
                    self.install(app.tenant_id, client, app.redirect_uri);
                    loaded += 1;
                }
                Err(e) => tracing::warn!(
                    tenant = %tenant_name, provider = %app.provider, error = %e,
                    "tenant OAuth app unusable; the tenant uses the global app until `pacerd oauth-apps set` replaces it"
                ),
            }
        }
        Ok(loaded)
    }

    async fn tenant(&self, name: &str) -> Result<Tenant, OAuthAppError> {
        tenants::validate_name(name).map_err(|e| invalid("tenant", e.to_string()))?;
        let owned = name.to_owned();
        self.store
            .call(move |c| tenants::find_by_name(c, &owned))
            .await?
            .ok_or_else(|| OAuthAppError::NotFound(format!("tenant '{name}'")))
    }

    fn check_provider(&self, provider: ProviderId) -> Result<(), OAuthAppError> {
        if self.globals.contains_key(&provider) {
            Ok(())
        } else {
            Err(invalid("provider", format!("provider '{provider}' is not configured")))
        }
    }

    /// Validates, seals and stores `input`, then serves its tenant with the new client.
    pub async fn set(&self, input: OAuthAppInput) -> Result<OAuthAppInfo, OAuthAppError> {
        let OAuthAppInput { tenant, provider, client_id, client_secret, redirect_uri } = input;
        self.check_provider(provider)?;
        validate(&client_id, &client_secret, redirect_uri.as_deref())?;
        let client = self.client(&client_id, client_secret.clone())?;
        let _writing = self.writes.lock().await;
        let tenant = self.tenant(&tenant).await?;
        let row =
            OAuthAppRow::seal(&self.vault, tenant.id.clone(), provider, &client_id, &client_secret, redirect_uri)?;
        let info = info(tenant.name, &row);
        let stored = row.clone();
        self.store.call(move |c| oauth_apps::upsert(c, &stored)).await?;
        self.install(row.tenant_id, client, row.redirect_uri);
        tracing::info!(tenant = %info.tenant, provider = %info.provider, client_id = %info.client_id, "tenant OAuth app set");
        Ok(info)
    }

    /// Deletes `tenant`'s app for `provider`; its users fall back to the global app.
    pub async fn remove(&self, tenant: &str, provider: ProviderId) -> Result<(), OAuthAppError> {
        self.check_provider(provider)?;
        let _writing = self.writes.lock().await;
        let found = self.tenant(tenant).await?;
        let id = found.id.clone();
        let removed = self.store.call(move |c| oauth_apps::delete(c, &id, provider.as_str())).await?;
        self.evict(&found.id, provider);
        if !removed {
            return Err(OAuthAppError::NotFound(format!("{provider} OAuth app of tenant '{tenant}'")));
        }
        tracing::info!(%tenant, %provider, "tenant OAuth app removed");
        Ok(())
    }

    /// Every tenant's own apps (never a secret).
    pub async fn list(&self) -> Result<Vec<OAuthAppInfo>, OAuthAppError> {
        let apps = self.store.call(|c| oauth_apps::list_all(c)).await?;
        Ok(apps.into_iter().map(|n| info(n.tenant_name, &n.app)).collect())
    }
}

fn info(tenant: String, row: &OAuthAppRow) -> OAuthAppInfo {
    OAuthAppInfo {
        tenant,
        provider: row.provider.clone(),
        client_id: row.client_id.clone(),
        redirect_uri: row.redirect_uri.clone(),
        created_at: row.created_at.clone(),
    }
}

/// Checks the operator's input; messages never quote the secret.
fn validate(client_id: &str, client_secret: &Secret, redirect_uri: Option<&str>) -> Result<(), OAuthAppError> {
    if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID || !client_id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(invalid("client_id", format!("use 1-{MAX_CLIENT_ID} printable ASCII characters without spaces")));
    }
    let secret = client_secret.expose();
    if secret.is_empty() || secret.len() > MAX_CLIENT_SECRET || secret.chars().any(char::is_control) {
        return Err(invalid("client_secret", format!("use 1-{MAX_CLIENT_SECRET} bytes without control characters")));
    }
    if let Some(uri) = redirect_uri {
        let url = url::Url::parse(uri).map_err(|e| invalid("redirect_uri", format!("'{uri}' is not a URL ({e})")))?;
        let ok = matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.fragment().is_none()
            && uri.len() <= MAX_REDIRECT_URI;
        if !ok {
            return Err(invalid("redirect_uri", format!("'{uri}' must be an http(s) URL with a host and no fragment")));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
