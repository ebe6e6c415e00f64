//! Request extractors that authenticate the caller. Every failure is an [`ApiError`].
//!
//! - [`Authenticated`]: a session JWT from `Authorization: Bearer <jwt>` or the `pacer_session`
//!   cookie (browsers). Used by the account routes (keys, OAuth connect).
//! - [`ApiKeyAuth`]: an `X-API-Key` (agents, A2A). Also takes a token from the key's
//!   rate-limit bucket and records the decision (see [`super::ratelimit`]).
//! - [`McpAuth`]: the MCP routes: an `X-API-Key` as above, or an MCP OAuth access token.
//!
//! Both honour `X-Tenant-ID`: when present it must equal the caller's tenant id, else 403.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderName};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use pacer_shared::Secret;

use super::error::ApiError;
use super::ratelimit;
use super::session::SESSION_COOKIE;
use crate::auth::{AuthError, Principal, api_key};
use crate::state::AppState;
use crate::store::api_keys;

pub const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
pub const X_TENANT_ID: HeaderName = HeaderName::from_static("x-tenant-id");

/// OpenAPI description of the optional `X-Tenant-ID` header (`params(TenantHeader)`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct TenantHeader {
    /// When present, must equal the caller's tenant id, else 403.
    #[param(rename = "X-Tenant-ID", nullable = false)]
    #[allow(dead_code)]
    x_tenant_id: Option<String>,
}

/// A caller holding a valid session JWT (tier is always `free`, `key_id` is `None`).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// A caller holding a valid, active API key, within its rate limit.
#[derive(Debug, Clone)]
pub struct ApiKeyAuth(pub Principal);

fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().ok_or_else(|| {
        tracing::error!("AppState missing from the actix app");
        ApiError::internal("internal error")
    })
}

/// Rejects a request whose `X-Tenant-ID` names another tenant than the caller's.
pub fn check_tenant(req: &HttpRequest, principal: &Principal) -> Result<(), ApiError> {
    match req.headers().get(X_TENANT_ID) {
        None => Ok(()),
        Some(v) if v.as_bytes() == principal.tenant_id.as_str().as_bytes() => Ok(()),
        Some(_) => Err(ApiError::forbidden("X-Tenant-ID does not match the tenant of these credentials")),
    }
}

/// The JWT from `Authorization: Bearer` (preferred) or the session cookie.
fn session_token(req: &HttpRequest) -> Result<String, ApiError> {
    if let Some(value) = req.headers().get(AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        return match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Ok(token.trim().to_string())
            }
            _ => Err(ApiError::unauthorized("expected Authorization: Bearer <token>")),
        };
    }
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        return Ok(cookie.value().to_string());
    }
    Err(ApiError::unauthorized(
        "missing credentials: send Authorization: Bearer <token> (from POST /api/auth/login) or the pacer_session cookie",
    ))
}

fn authenticate_session(req: &HttpRequest) -> Result<Authenticated, ApiError> {
    let state = app_state(req)?;
    let principal = state.jwt.verify(&session_token(req)?)?;
    check_tenant(req, &principal)?;
    Ok(Authenticated(principal))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate_session(req))
    }
}

impl FromRequest for ApiKeyAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?.clone();
            let key = api_key_header(&req).ok_or_else(|| ApiError::unauthorized("missing X-API-Key header"))?;
            Ok(Self(admit_api_key(&req, &state, key).await?))
        })
    }
}

/// The trimmed `X-API-Key` value, when present and not empty.
fn api_key_header(req: &HttpRequest) -> Option<Secret> {
    req.headers()
        .get(X_API_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Secret::new(v.to_string()))
}

/// Validates an API key, checks the tenant header and takes a token from the key's bucket.
async fn admit_api_key(req: &HttpRequest, state: &AppState, key: Secret) -> Result<Principal, ApiError> {
    // Validate (a cached read), then the tenant check and the limiter; only an admitted
    // request stamps `last_used_at` (at most once a minute per key), so a flood of rejected
    // requests costs no database writes.
    let principal = api_key::validate(&state.store, &key).await?;
    check_tenant(req, &principal)?;
    let key_id = principal.key_id.clone().unwrap_or_default();
    charge(req, state, &principal).await?;
    if state.store.keys().touch_due(&key_id) {
        let tenant = principal.tenant_id.clone();
        state.store.call(move |c| api_keys::touch(c, &tenant, &key_id)).await.map_err(AuthError::from)?;
        state.store.keys().forget_user(&principal.tenant_id, &principal.user_id);
    }
    Ok(principal)
}

/// Takes a token from the caller's bucket (key or OAuth grant) and records the decision.
async fn charge(req: &HttpRequest, state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    let Some(limit_key) = principal.limit_key() else { return Ok(()) };
    let decision = state.limiter.check(&limit_key).await;
    ratelimit::record(req, decision);
    if !decision.allowed {
        return Err(ApiError::rate_limited(&decision));
    }
    Ok(())
}

/// A caller of the MCP routes: an API key (`X-API-Key`) or an MCP OAuth access token
/// (`Authorization: Bearer pacer_at_…`, bound to this daemon's `/mcp`; see [`crate::authz`]).
/// Charged to the key's or the grant's bucket. Every 401 carries
/// `WWW-Authenticate: Bearer resource_metadata="…"` so OAuth clients can discover the
/// authorization server; a rejected bearer token adds `error="invalid_token"`.
#[derive(Debug, Clone)]
pub struct McpAuth(pub Principal);

impl FromRequest for McpAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?.clone();
            let public_url = state.public_url.clone();
            let with_challenge = |mut e: ApiError, error: Option<&str>| {
                if e.status == actix_web::http::StatusCode::UNAUTHORIZED {
                    let error = error.map(|code| (code, e.message.as_str()));
                    e.www_authenticate = Some(super::authz_meta::challenge(&public_url, error, None));
                }
                e
            };
            if let Some(key) = api_key_header(&req) {
                return admit_api_key(&req, &state, key).await.map(Self).map_err(|e| with_challenge(e, None));
            }
            let Some(token) = bearer(&req) else {
                return Err(with_challenge(
                    ApiError::unauthorized(
                        "missing credentials: send X-API-Key: <key>, or Authorization: Bearer <access token> \
                         from pacer's OAuth authorization server (see WWW-Authenticate)",
                    ),
                    None,
                ));
            };
            let resource = crate::authz::resource_url(&state.public_url);
            let principal = crate::authz::tokens::validate_access(&state.store, &token, resource)
                .await
                .map_err(|e| with_challenge(e.into(), Some("invalid_token")))?;
            check_tenant(&req, &principal)?;
            charge(&req, &state, &principal).await?;
            Ok(Self(principal))
        })
    }
}

/// The token of `Authorization: Bearer <token>`, when present and not empty.
fn bearer(req: &HttpRequest) -> Option<Secret> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| Secret::new(token.to_string()))
}
