//! The OAuth connect flow (seed: "OAuth Authentication Flow").
//!
//! [`begin_connect`] creates a one-time `state` (256 random bits, stored only as its SHA-256,
//! bound to the tenant and user, 10-minute expiry) and returns the provider's authorize URL.
//! [`complete`] validates and deletes the state in one transaction, exchanges the code, and stores
//! the tokens encrypted through [`TokenService`](crate::provider::TokenService); for a link that is
//! not bound to a browser it first requires the link owner's session or an explicit confirmation
//! ([`confirm`], held in the store by [`confirm::hold`]). Both use the
//! OAuth app of the user's tenant when it has one (`pacerd oauth-apps set`: its client id, secret
//! and redirect URI), else the global `strava.*` app. The HTTP routes
//! (`/oauth/{provider}/*`), the MCP `connect_provider` tool and `pacerd demo` all use these two.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pacer_shared::{ProviderId, Secret, TenantId, UserId};
use rand::RngCore;

pub mod confirm;

pub(crate) use confirm::token_hash;
pub use confirm::{CONFIRM_COOKIE, PendingConfirmation};

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
    #[error(
        "this browser is signed in to another pacer account than the one this connect link belongs to; nothing was connected"
    )]
    OtherAccount,
    #[error("unknown, used or expired confirmation: start the connection again")]
    UnknownConfirmation,
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

fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
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
    let nonce = random_token();
    let url = start(state, principal, provider, Some(token_hash(&nonce))).await?;
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
    let token = random_token();
    let hash = token_hash(&token);
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

/// What a callback led to.
#[derive(Debug)]
pub enum CallbackOutcome {
    /// The provider is connected.
    Connected(Box<Connected>),
    /// An unbound link opened without its owner's session: the person must confirm the pacer
    /// account first ([`confirm`]); nothing is stored yet.
    NeedsConfirmation(ConfirmationRequest),
}

/// A connection awaiting confirmation: the one-time token and whose pacer account it is.
#[derive(Debug)]
pub struct ConfirmationRequest {
    /// The one-time confirmation token (goes into the page's form and cookie, never logged).
    pub token: Secret,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub provider: ProviderId,
}

/// Handles `provider`'s callback. A state issued for another provider is spent and refused like
/// an unknown one. `session` is the pacer session the request carries, if any: a flow bound to
/// a browser needs its binding cookie; an unbound one connects at once only for a session of the
/// link's own user, is refused for a session of another user, and otherwise waits for
/// [`confirm`].
pub async fn complete(
    state: &AppState,
    provider: ProviderId,
    cb: Callback<'_>,
    session: Option<&Principal>,
) -> Result<CallbackOutcome, OAuthError> {
    let Callback { code, state: state_param, error, scope, binding_cookie } = cb;
    let state_param = state_param.filter(|s| !s.is_empty()).ok_or(OAuthError::Missing("state"))?;
    let hash = token_hash(state_param);
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
            let presented = binding_cookie.map(token_hash).unwrap_or([0u8; 32]);
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
    if !same_browser {
        match session {
            Some(p) if is_owner(p, &pending.tenant_id, &pending.user_id) => {}
            Some(p) => {
                tracing::warn!(tenant = %pending.tenant_id, other_tenant = %p.tenant_id, "connect link opened in a session of another pacer user; refused");
                return Err(OAuthError::OtherAccount);
            }
            None => {
                let token = random_token();
                let held = PendingConfirmation {
                    tenant_id: pending.tenant_id.clone(),
                    user_id: pending.user_id.clone(),
                    provider,
                    code: Secret::new(code.to_string()),
                    scope: scope.map(str::to_string),
                    expires_at: now_epoch() + confirm::CONFIRM_TTL_SECS,
                };
                confirm::hold(&state.store, state.tokens.vault(), &token, held, now_epoch()).await?;
                tracing::info!(tenant = %pending.tenant_id, user = %pending.user_id, "connect link awaits confirmation");
                return Ok(CallbackOutcome::NeedsConfirmation(ConfirmationRequest {
                    token: Secret::new(token),
                    tenant_id: pending.tenant_id,
                    user_id: pending.user_id,
                    provider,
                }));
            }
        }
    }
    let connected =
        connect_with_code(state, &pending.tenant_id, &pending.user_id, provider, code, scope, same_browser).await?;
    Ok(CallbackOutcome::Connected(Box::new(connected)))
}

fn is_owner(p: &Principal, tenant: &TenantId, user: &UserId) -> bool {
    p.tenant_id == *tenant && p.user_id == *user
}

/// Accepts a pending confirmation (the token works once): exchanges its code and stores the
/// tokens. Refused when `session` belongs to another pacer user than the link's.
pub async fn confirm(
    state: &AppState,
    provider: ProviderId,
    token: &str,
    session: Option<&Principal>,
) -> Result<Connected, OAuthError> {
    let pending = confirm::take(&state.store, state.tokens.vault(), token, now_epoch())
        .await?
        .ok_or(OAuthError::UnknownConfirmation)?;
    if pending.provider != provider {
        return Err(OAuthError::UnknownConfirmation);
    }
    if session.is_some_and(|p| !is_owner(p, &pending.tenant_id, &pending.user_id)) {
        return Err(OAuthError::OtherAccount);
    }
    let PendingConfirmation { tenant_id, user_id, code, scope, .. } = pending;
    connect_with_code(state, &tenant_id, &user_id, provider, code.expose(), scope.as_deref(), false).await
}

/// Drops a pending confirmation (the person declined); true when it existed.
pub async fn cancel(state: &AppState, token: &str) -> Result<bool, OAuthError> {
    Ok(confirm::take(&state.store, state.tokens.vault(), token, now_epoch()).await?.is_some())
}

async fn connect_with_code(
    state: &AppState,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
    code: &str,
    scope: Option<&str>,
    same_browser: bool,
) -> Result<Connected, OAuthError> {
    let client = state.tokens.client(provider, tenant).map_err(OAuthError::Provider)?;
    let exchange = client.exchange_code(code).await.map_err(OAuthError::Exchange)?;
    let mut tokens = exchange.tokens;
    if tokens.scopes.is_none() {
        tokens.scopes = scope.map(str::to_string);
    }
    if tokens.athlete_id.is_none() {
        tokens.athlete_id = exchange.athlete.as_ref().map(|a| a.id);
    }
    state.tokens.store_tokens(provider, tenant, user, &tokens).await.map_err(OAuthError::Exchange)?;
    tracing::info!(%tenant, %user, %provider, "provider connected");
    Ok(Connected {
        tenant_id: tenant.clone(),
        user_id: user.clone(),
        athlete: exchange.athlete,
        scopes: tokens.scopes.unwrap_or_default(),
        provider,
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
