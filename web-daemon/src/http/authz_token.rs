//! The MCP authorization server's machine endpoints: `POST /oauth/token` (authorization code
//! and refresh grants), `POST /oauth/register` (RFC 7591) and `POST /oauth/revoke` (RFC 7009).
//!
//! Answers use OAuth's own error shape, `{"error": "...", "error_description": "..."}` (400;
//! 401 for `invalid_client`), and `Cache-Control: no-store`. Browser-based MCP clients may call
//! them from any origin: every answer carries `Access-Control-Allow-Origin: *` and `OPTIONS`
//! answers the CORS preflight (no cookies are read here, so no credentials are involved). Each endpoint is limited per client
//! IP (scopes `mcp_token`, `mcp_register`, like the login route); bodies are capped by the
//! app-wide form/JSON limit.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, options, post, web};
use base64::Engine;
use pacer_shared::Secret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ratelimit::PerIpLimit;
use crate::authz::clients::{self, Presented, RegistrationRequest, RegistrationResponse};
use crate::authz::tokens::{self, CodeExchange, Lifetimes, RefreshExchange, TokenAnswer};
use crate::authz::{OAuthFailure, resource_url};
use crate::state::AppState;

/// OAuth's error body (RFC 6749 §5.2).
#[derive(Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// e.g. `invalid_grant`, `invalid_client`, `invalid_target`.
    pub error: String,
    pub error_description: String,
}

/// The HTTP answer of a failure.
pub fn failure_response(f: &OAuthFailure) -> HttpResponse {
    let status = match f.error {
        "invalid_client" => StatusCode::UNAUTHORIZED,
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(OAuthErrorBody { error: f.error.to_owned(), error_description: f.description.clone() })
}

/// A token request (`application/x-www-form-urlencoded`).
#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    /// Must be pacer's MCP URL (`<public_url>/mcp`), RFC 8707.
    resource: Option<String>,
    /// Refresh only: narrow the scopes.
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// A form body (`application/x-www-form-urlencoded`; the app-wide body cap applies); a malformed
/// one, a missing member or a repeated member is `invalid_request`.
fn parse_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, OAuthFailure> {
    let text = std::str::from_utf8(body).map_err(|_| OAuthFailure::request("the body is not UTF-8"))?;
    web::Query::<T>::from_query(text)
        .map(web::Query::into_inner)
        .map_err(|e| OAuthFailure::request(format!("expected an application/x-www-form-urlencoded body: {e}")))
}

/// `Authorization: Basic` client credentials (RFC 6749 §2.3.1: form-urlencoded id and secret).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, Secret)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, Secret::new(unescape(secret)?)))
}

/// The client credentials of a request: Basic header, else the form's.
fn presented(
    req: &HttpRequest,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<Presented, OAuthFailure> {
    match basic_credentials(req.headers()) {
        Some((id, secret)) => {
            if client_id.as_deref().is_some_and(|form_id| form_id != id) {
                return Err(OAuthFailure::client("client_id differs from the Authorization header's"));
            }
            Ok(Presented { client_id: Some(id), client_secret: Some(secret), basic: true })
        }
        None => Ok(Presented { client_id, client_secret: client_secret.map(Secret::new), basic: false }),
    }
}

fn lifetimes(state: &AppState) -> Lifetimes {
    let s = &state.config.mcp_auth;
    Lifetimes { access_secs: s.access_token_ttl_secs, refresh_secs: s.refresh_token_ttl_secs }
}

/// Exchanges an authorization code or a refresh token for tokens.
#[utoipa::path(
    tag = "mcp-auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Access token (bound to <public_url>/mcp) and a new refresh token", body = TokenAnswer),
        (status = 400, description = "`invalid_grant` (replayed, expired or unknown code; wrong code_verifier; redirect_uri mismatch; reused refresh token, which revokes every token of the grant), `invalid_target` (resource missing or not this server's MCP URL), `invalid_request`, `unsupported_grant_type`, `invalid_scope`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: unknown client or failed client authentication", body = OAuthErrorBody),
        super::responses::RateLimited,
    )
)]
#[post("/oauth/token", wrap = "PerIpLimit::new(\"mcp_token\")")]
pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let form = match parse_form::<TokenForm>(&body) {
        Ok(f) => f,
        Err(f) => return failure_response(&f),
    };
    match token_inner(&req, &state, form).await {
        Ok(answer) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(answer),
        Err(f) => {
            tracing::info!(error = f.error, "token request refused");
            failure_response(&f)
        }
    }
}

async fn token_inner(req: &HttpRequest, state: &AppState, form: TokenForm) -> Result<TokenAnswer, OAuthFailure> {
    let TokenForm {
        grant_type,
        code,
        redirect_uri,
        code_verifier,
        refresh_token,
        resource,
        scope,
        client_id,
        client_secret,
    } = form;
    if !matches!(grant_type.as_str(), "authorization_code" | "refresh_token") {
        return Err(OAuthFailure::new(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ));
    }
    let allow_loopback = state.config.mcp_auth.allow_loopback_client_ids;
    let client_id =
        clients::authenticate(&state.store, presented(req, client_id, client_secret)?, allow_loopback).await?;
    let expected = resource_url(&state.public_url);
    if grant_type == "authorization_code" {
        let code = code.ok_or_else(|| OAuthFailure::request("code is required"))?;
        let x = CodeExchange { code, client_id, redirect_uri, code_verifier, resource };
        tokens::exchange_code(&state.store, x, expected, lifetimes(state)).await
    } else {
        let refresh_token = refresh_token.ok_or_else(|| OAuthFailure::request("refresh_token is required"))?;
        let x = RefreshExchange { refresh_token, client_id, scope, resource };
        tokens::refresh(&state.store, x, expected, lifetimes(state)).await
    }
}

/// Registers a client (Dynamic Client Registration, RFC 7591). Clients that can host a Client
/// ID Metadata Document should use its URL as `client_id` instead.
#[utoipa::path(
    tag = "mcp-auth",
    request_body = RegistrationRequest,
    responses(
        (status = 201, description = "Registered; `client_secret` only for confidential clients", body = RegistrationResponse),
        (status = 400, description = "`invalid_redirect_uri` or `invalid_client_metadata`", body = OAuthErrorBody),
        super::responses::RateLimited,
    )
)]
#[post("/oauth/register", wrap = "PerIpLimit::new(\"mcp_register\")")]
pub async fn register(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let request = match serde_json::from_slice::<RegistrationRequest>(&body) {
        Ok(r) => r,
        Err(e) => {
            return failure_response(&OAuthFailure::new(
                "invalid_client_metadata",
                format!("the registration must be a JSON object with redirect_uris: {e}"),
            ));
        }
    };
    match clients::register(&state.store, request).await {
        Ok(answer) => HttpResponse::Created()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(answer),
        Err(f) => failure_response(&f),
    }
}

/// A revocation request.
#[derive(Deserialize, ToSchema)]
pub struct RevokeForm {
    token: String,
    /// `access_token` or `refresh_token` (optional; pacer tells them apart itself).
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Revokes a token (RFC 7009): a refresh token revokes its whole grant, an access token itself.
#[utoipa::path(
    tag = "mcp-auth",
    request_body(content = RevokeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or the token was unknown or not this client's (the same answer)"),
        (status = 400, description = "`invalid_request`: not a form body with `token`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
        super::responses::RateLimited,
    )
)]
#[post("/oauth/revoke", wrap = "PerIpLimit::new(\"mcp_token\")")]
pub async fn revoke(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let RevokeForm { token: presented_token, client_id, client_secret, .. } = match parse_form(&body) {
        Ok(f) => f,
        Err(f) => return failure_response(&f),
    };
    let allow_loopback = state.config.mcp_auth.allow_loopback_client_ids;
    let outcome = async {
        let client_id =
            clients::authenticate(&state.store, presented(&req, client_id, client_secret)?, allow_loopback).await?;
        tokens::revoke(&state.store, presented_token, client_id).await
    }
    .await;
    match outcome {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .finish(),
        Err(f) => failure_response(&f),
    }
}

/// The CORS preflight answer: any origin, `POST`, the two request headers clients send.
fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Authorization, MCP-Protocol-Version"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish()
}

/// CORS preflight of `POST /oauth/token`.
#[utoipa::path(tag = "mcp-auth",
    responses((status = 204, description = "CORS preflight: any origin may POST (no credentials)")))]
#[options("/oauth/token")]
pub async fn token_preflight() -> HttpResponse {
    preflight()
}

/// CORS preflight of `POST /oauth/register`.
#[utoipa::path(tag = "mcp-auth",
    responses((status = 204, description = "CORS preflight: any origin may POST (no credentials)")))]
#[options("/oauth/register")]
pub async fn register_preflight() -> HttpResponse {
    preflight()
}

/// CORS preflight of `POST /oauth/revoke`.
#[utoipa::path(tag = "mcp-auth",
    responses((status = 204, description = "CORS preflight: any origin may POST (no credentials)")))]
#[options("/oauth/revoke")]
pub async fn revoke_preflight() -> HttpResponse {
    preflight()
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(token).service(register).service(revoke);
    cfg.service(token_preflight).service(register_preflight).service(revoke_preflight);
}
