//! The OAuth connect flow (seed: "OAuth Authentication Flow").
//!
//! [`begin_connect`] creates a one-time `state` (256 random bits, stored only as its SHA-256,
//! bound to the tenant and user, 10-minute expiry) and returns the provider's authorize URL.
//! [`complete`] validates and deletes the state in one transaction, exchanges the code, and stores
//! the tokens encrypted through [`TokenService`](crate::provider::TokenService). Both use the
//! OAuth app of the user's tenant when it has one (`pacerd oauth-apps set`: its client id, secret
//! and redirect URI), else the global `strava.*` app. The HTTP routes
//! (`/oauth/{provider}/*`), the MCP `connect_provider` tool and `pacerd demo` all use these two.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pacer_shared::{ProviderId, TenantId, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::provider::{Athlete, ProviderError};
use crate::state::AppState;
use crate::store::oauth_states::{self, ConsumeError, PendingState};
use crate::store::{StoreError, now_epoch};

/// Scopes pacer asks Strava for.
pub const SCOPE: &str = "read,activity:read_all,activity:write";
/// How long a state stays valid.
pub const STATE_TTL_SECS: i64 = 600;

/// Failures of the connect flow. `Display` is safe to show the person connecting.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    Provider(ProviderError),
    #[error("invalid OAuth state: it is unknown or was already used; start the connection again")]
    UnknownState,
    #[error("expired OAuth state: connections must finish within 10 minutes; start again")]
    ExpiredState,
    #[error("missing parameter '{0}'")]
    Missing(&'static str),
    #[error("access was denied at the provider; nothing was stored")]
    AccessDenied,
    #[error("the provider returned an error: {0}")]
    ProviderDenied(String),
    #[error("token exchange failed: {0}")]
    Exchange(ProviderError),
    #[error("this connection was started in another browser; start it again here")]
    WrongBrowser,
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

/// Who connected, and to which athlete.
#[derive(Debug, Clone)]
pub struct Connected {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub athlete: Option<Athlete>,
    pub scopes: String,
    /// The provider that was connected.
    pub provider: ProviderId,
    /// True when the flow was started by this same browser (its binding cookie matched): only
    /// then may the callback open a pacer session. Flows started by an API client or an MCP tool
    /// connect the provider but open no session, so a connect link can never be turned into a
    /// login by whoever happens to complete it.
    pub same_browser: bool,
}

fn state_hash(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

/// The callback URL registered with `provider`'s global app: configured, else
/// `{public_url}/oauth/{provider}/callback`.
pub fn redirect_uri(state: &AppState, provider: ProviderId) -> String {
    state.config.provider(provider).redirect_uri.clone().unwrap_or_else(|| callback_url(&state.public_url, provider))
}

/// `{public_url}/oauth/{provider}/callback`: the one place the callback path is spelled.
pub fn callback_url(public_url: &str, provider: ProviderId) -> String {
    format!("{public_url}/oauth/{provider}/callback")
}

/// The callback URL for `tenant`: its own app's, else the global one.
pub fn redirect_uri_for(state: &AppState, provider: ProviderId, tenant: &TenantId) -> String {
    state.tokens.registry().redirect_uri(provider, tenant).unwrap_or_else(|| redirect_uri(state, provider))
}

/// Starts a connection for `principal` (API clients, MCP tools, `pacerd demo`); returns the URL
/// the person opens. The callback connects the provider but opens no session.
pub async fn begin_connect(
    state: &AppState,
    principal: &Principal,
    provider: ProviderId,
) -> Result<String, OAuthError> {
    start(state, principal, provider, None).await
}

/// Starts a connection from a browser: also returns a nonce to set as an HttpOnly cookie
/// ([`BINDING_COOKIE`]); the callback must present it, and only then opens a session.
pub async fn begin_browser_connect(
    state: &AppState,
    principal: &Principal,
    provider: ProviderId,
) -> Result<(String, String), OAuthError> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let nonce = URL_SAFE_NO_PAD.encode(raw);
    let url = start(state, principal, provider, Some(state_hash(&nonce))).await?;
    Ok((url, nonce))
}

/// Cookie carrying a browser-started flow's nonce (HttpOnly, SameSite=Lax, path /oauth).
pub const BINDING_COOKIE: &str = "pacer_oauth_binding";

async fn start(
    state: &AppState,
    principal: &Principal,
    provider: ProviderId,
    browser_binding: Option<[u8; 32]>,
) -> Result<String, OAuthError> {
    let client = state.tokens.client(provider, &principal.tenant_id).map_err(OAuthError::Provider)?;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = state_hash(&token);
    let now = now_epoch();
    let redirect = redirect_uri_for(state, provider, &principal.tenant_id);
    let pending = PendingState {
        tenant_id: principal.tenant_id.clone(),
        user_id: principal.user_id.clone(),
        provider,
        pkce_verifier: None, // Strava does not support PKCE.
        redirect_uri: redirect.clone(),
        expires_at: now + STATE_TTL_SECS,
        browser_binding,
    };
    state.store.call(move |c| oauth_states::insert(c, &hash, &pending, now)).await?;
    let url = client.authorize_url(&token, &redirect, SCOPE);
    // A link that is not bound to a browser may be opened by anyone: make Strava show its
    // consent screen every time, so nobody is linked without seeing whose app asks.
    Ok(if browser_binding.is_none() { force_consent(&url) } else { url })
}

/// `url` with `approval_prompt=force`.
fn force_consent(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_string() };
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .map(|(k, v)| if k == "approval_prompt" { (k, "force".to_string()) } else { (k, v) })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// The callback's query parameters, plus the browser's binding cookie if it sent one.
#[derive(Debug, Default, Clone, Copy)]
pub struct Callback<'a> {
    pub code: Option<&'a str>,
    pub state: Option<&'a str>,
    pub error: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub binding_cookie: Option<&'a str>,
}

/// Finishes a connection from `provider`'s callback. A state issued for another provider is
/// spent and refused like an unknown one.
pub async fn complete(state: &AppState, provider: ProviderId, cb: Callback<'_>) -> Result<Connected, OAuthError> {
    let Callback { code, state: state_param, error, scope, binding_cookie } = cb;
    let state_param = state_param.filter(|s| !s.is_empty()).ok_or(OAuthError::Missing("state"))?;
    let hash = state_hash(state_param);
    // The state is consumed even when the provider reports an error, so it cannot be replayed.
    let pending = state.store.call(move |c| oauth_states::consume(c, &hash, now_epoch())).await?;
    let pending = match pending {
        Ok(p) => p,
        Err(ConsumeError::Unknown) => return Err(OAuthError::UnknownState),
        Err(ConsumeError::Expired) => return Err(OAuthError::ExpiredState),
    };
    if pending.provider != provider {
        tracing::warn!(tenant = %pending.tenant_id, expected = %pending.provider, got = %provider, "OAuth callback for another provider");
        return Err(OAuthError::UnknownState);
    }
    let same_browser = match pending.browser_binding {
        None => false,
        Some(expected) => {
            let presented = binding_cookie.map(state_hash).unwrap_or([0u8; 32]);
            if !bool::from(subtle::ConstantTimeEq::ct_eq(&presented[..], &expected[..])) {
                tracing::warn!(tenant = %pending.tenant_id, "OAuth callback from a browser that did not start the flow");
                return Err(OAuthError::WrongBrowser);
            }
            true
        }
    };
    match error {
        Some("access_denied") => return Err(OAuthError::AccessDenied),
        Some(other) => return Err(OAuthError::ProviderDenied(other.to_string())),
        None => {}
    }
    let code = code.filter(|c| !c.is_empty()).ok_or(OAuthError::Missing("code"))?;
    let client = state.tokens.client(pending.provider, &pending.tenant_id).map_err(OAuthError::Provider)?;
    let exchange = client.exchange_code(code).await.map_err(OAuthError::Exchange)?;
    let mut tokens = exchange.tokens;
    if tokens.scopes.is_none() {
        tokens.scopes = scope.map(str::to_string);
    }
    if tokens.athlete_id.is_none() {
        tokens.athlete_id = exchange.athlete.as_ref().map(|a| a.id);
    }
    state
        .tokens
        .store_tokens(pending.provider, &pending.tenant_id, &pending.user_id, &tokens)
        .await
        .map_err(OAuthError::Exchange)?;
    tracing::info!(tenant = %pending.tenant_id, user = %pending.user_id, provider = %pending.provider, "provider connected");
    Ok(Connected {
        tenant_id: pending.tenant_id,
        user_id: pending.user_id,
        athlete: exchange.athlete,
        scopes: tokens.scopes.unwrap_or_default(),
        provider: pending.provider,
        same_browser,
    })
}

/// Deletes expired states every `every` until shutdown.
pub async fn sweep_states(state: std::sync::Arc<AppState>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tick.tick() => {
                match state.store.call(|c| oauth_states::sweep_expired(c, now_epoch())).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(removed = n, "expired OAuth states swept"),
                    Err(e) => tracing::warn!(error = %e, "OAuth state sweep failed"),
                }
            }
        }
    }
}
