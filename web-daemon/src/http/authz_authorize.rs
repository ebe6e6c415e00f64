//! `GET /oauth/authorize` and `POST /oauth/authorize`: the MCP authorization request, pacer's
//! sign-in form and the consent page.
//!
//! GET validates the request. An unknown client, a client id URL the SSRF guards refuse, or a
//! `redirect_uri` that is not exactly one of the client's is answered with an HTML error page
//! (never a redirect to an unverified URI). Any other problem — `response_type` other than
//! `code`, no PKCE or a method other than `S256`, `resource` missing or not pacer's MCP URL,
//! unknown scopes — redirects back with `error`, `state` and `iss`. A valid request is held in the
//! store ([`crate::authz::pending`]), so the forms may be posted to any replica, and the page shows
//! the sign-in form (no session) or the consent page (session cookie).
//!
//! POST carries the request token (hidden field, checked against the `pacer_authz` cookie) and an
//! `action`: `sign_in` (email + password, through the same guard as `/api/auth/login`; sets the
//! session cookie and shows the consent page), `allow` (needs the session: issues a one-time code
//! bound to the user, client, redirect URI, PKCE challenge, scopes and resource, and redirects
//! with `code`, `state`, `iss`) or `deny` (redirects with `error=access_denied`).
//!
//! The pages carry the usual page headers; the consent page's CSP also allows the form's
//! redirect to the client's redirect URI origin (`form-action`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use pacer_shared::Secret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::extract::Authenticated;
use super::html::{self, escape, render};
use super::ratelimit::PerIpLimit;
use super::session::session_cookie;
use crate::auth::api_key::random_base62;
use crate::authz::clients::{self, ClientError};
use crate::authz::pending::{self as requests, AUTHZ_COOKIE, PENDING_TTL_SECS, PendingAuthorization};
use crate::authz::tokens::{self, CODE_PREFIX};
use crate::authz::{CODE_TTL_SECS, Scopes, issuer, resource_url, same_resource};
use crate::state::AppState;
use crate::store::authz::{Binding, NewCode};
use crate::store::{authz, now_epoch, users};

const LOGIN_HTML: &str = include_str!("page/authorize_login.html");
const CONSENT_HTML: &str = include_str!("page/authorize_consent.html");
/// Longest `state` accepted (it travels back in a URL).
const MAX_STATE_LEN: usize = 1024;
/// Longest query string or form field accepted.
const MAX_PARAM_LEN: usize = 4096;

/// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636, RFC 8707).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// Must be `code`.
    response_type: Option<String>,
    /// A registered client id, or the https URL of a Client ID Metadata Document.
    client_id: Option<String>,
    /// Exactly one of the client's redirect URIs.
    redirect_uri: Option<String>,
    /// Returned unchanged (≤ 1024 characters).
    state: Option<String>,
    /// Space-separated: `activities:read`, `activities:write` (default `activities:read`).
    scope: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)).
    code_challenge: Option<String>,
    /// Must be `S256`.
    code_challenge_method: Option<String>,
    /// Must be pacer's MCP URL, `<public_url>/mcp`.
    resource: Option<String>,
}

fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    html::message_page(status, "Authorization request refused", message)
}

/// Back to the client with an OAuth error.
fn redirect_error(
    state: &AppState,
    redirect_uri: &str,
    client_state: Option<&str>,
    error: &str,
    description: &str,
) -> HttpResponse {
    let mut params = vec![("error", error.to_owned()), ("error_description", description.to_owned())];
    if let Some(s) = client_state {
        params.push(("state", s.to_owned()));
    }
    params.push(("iss", issuer(&state.public_url)));
    redirect_with(redirect_uri, &params)
}

fn redirect_with(redirect_uri: &str, params: &[(&str, String)]) -> HttpResponse {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, "The redirect URI is not a URL.");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    let mut res = HttpResponse::Found().insert_header((header::LOCATION, url.as_str())).finish();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// Starts an authorization: validates it, then the sign-in form or the consent page.
#[utoipa::path(
    tag = "mcp-auth",
    params(AuthorizeQuery),
    responses(
        (status = 200, description = "HTML: pacer's sign-in form, or the consent page when signed in", content_type = "text/html"),
        (status = 302, description = "Back to the client's redirect URI with `error` (invalid_request, unsupported_response_type, invalid_scope, invalid_target), `state`, `iss`"),
        (status = 400, description = "HTML: unknown client, refused client id URL (not https, or a loopback, private or link-local address), or a redirect_uri that is not the client's", content_type = "text/html"),
        super::responses::RateLimited,
    )
)]
#[get("/oauth/authorize", wrap = "PerIpLimit::new(\"oauth\")")]
pub async fn authorize(req: HttpRequest, state: web::Data<AppState>, session: Option<Authenticated>) -> HttpResponse {
    if req.query_string().len() > MAX_PARAM_LEN {
        return error_page(StatusCode::URI_TOO_LONG, "The authorization request is too long.");
    }
    let q = match web::Query::<AuthorizeQuery>::from_query(req.query_string()) {
        Ok(q) => q.into_inner(),
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &format!("The authorization request is malformed: {e}.")),
    };
    let Some(client_id) = q.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return error_page(StatusCode::BAD_REQUEST, "client_id is missing.");
    };
    let allow_loopback = state.config.mcp_auth.allow_loopback_client_ids;
    let client = match clients::resolve(&state.store, client_id, allow_loopback).await {
        Ok(c) => c,
        Err(ClientError::Store) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again."),
        Err(e) => {
            tracing::info!(reason = %e, "authorization request: client refused");
            return error_page(StatusCode::BAD_REQUEST, &format!("This application cannot be used: {e}."));
        }
    };
    let Some(redirect_uri) = q.redirect_uri.as_deref().filter(|r| client.redirect_uris.iter().any(|u| u == r)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri is missing or is not exactly one of the redirect URIs this application registered.",
        );
    };
    let client_state = q.state.as_deref();
    if client_state.is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return redirect_error(&state, redirect_uri, None, "invalid_request", "state is too long");
    }
    let fail = |error: &str, description: &str| redirect_error(&state, redirect_uri, client_state, error, description);
    if q.response_type.as_deref() != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    if q.code_challenge_method.as_deref() != Some("S256") {
        return fail("invalid_request", "PKCE is required with code_challenge_method=S256");
    }
    let Some(challenge) = q.code_challenge.as_deref().filter(|c| tokens::is_s256_challenge(c)) else {
        return fail("invalid_request", "code_challenge must be a BASE64URL SHA-256 (43 characters)");
    };
    let expected = resource_url(&state.public_url);
    match q.resource.as_deref() {
        None => return fail("invalid_target", &format!("resource is required: use {expected}")),
        Some(r) if !same_resource(r, &expected) => {
            return fail("invalid_target", &format!("this server issues tokens only for the resource {expected}"));
        }
        Some(_) => {}
    }
    let scopes = match Scopes::parse(q.scope.as_deref().unwrap_or_default()) {
        Ok(s) => s,
        Err(e) => return fail("invalid_scope", &e),
    };
    let token = random_base62(43);
    let pending = PendingAuthorization {
        client_id: client.id,
        client_name: client.client_name,
        redirect_uri: redirect_uri.to_owned(),
        state: client_state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        scopes,
        resource: expected,
        expires_at: now_epoch() + PENDING_TTL_SECS,
    };
    if let Err(e) = requests::hold(&state.store, &token, pending.clone(), now_epoch()).await {
        tracing::error!(error = %e, "could not hold an authorization request");
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again.");
    }
    let mut res = match signed_in_email(&state, session).await {
        Some((email, _)) => consent_page(&pending, &token, &email),
        None => login_page(StatusCode::OK, &pending, &token, "", ""),
    };
    let _ = res.add_cookie(&request_cookie(&state, &token));
    res
}

fn request_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    Cookie::build(AUTHZ_COOKIE, token.to_owned())
        .http_only(true)
        .secure(state.public_url.starts_with("https://"))
        .same_site(SameSite::Strict)
        .path("/oauth/authorize")
        .max_age(actix_web::cookie::time::Duration::seconds(PENDING_TTL_SECS))
        .finish()
}

/// The session's user (email, principal) when the session is valid and the user exists.
async fn signed_in_email(state: &AppState, session: Option<Authenticated>) -> Option<(String, crate::auth::Principal)> {
    let Authenticated(p) = session?;
    let (t, u) = (p.tenant_id.clone(), p.user_id.clone());
    let user = state.store.call(move |c| users::get(c, &t, &u)).await.ok()??;
    Some((user.info.email, p))
}

fn login_page(status: StatusCode, p: &PendingAuthorization, token: &str, email: &str, error: &str) -> HttpResponse {
    html::html_response(
        status,
        render(LOGIN_HTML, &[("client_name", &p.client_name), ("request", token), ("email", email), ("error", error)]),
    )
}

fn consent_page(p: &PendingAuthorization, token: &str, email: &str) -> HttpResponse {
    let redirect = url::Url::parse(&p.redirect_uri).ok();
    let redirect_host = redirect
        .as_ref()
        .map(|u| u.host_str().map(str::to_owned).unwrap_or_else(|| format!("{}:", u.scheme())))
        .unwrap_or_default();
    let scopes: String = p
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code>: {}</li>", escape(s.as_str()), escape(s.description())))
        .collect();
    let body = render(
        CONSENT_HTML,
        &[
            ("client_name", &p.client_name),
            ("client_id", &p.client_id),
            ("email", email),
            ("redirect_host", &redirect_host),
            ("request", token),
        ],
    )
    .replace("<!--scopes-->", &scopes);
    let mut res = html::html_response(StatusCode::OK, body);
    // The Allow/Deny answer is a redirect to the client: let the form follow it.
    if let Some(target) = redirect.as_ref().map(form_target) {
        let csp = html::CSP.replace("form-action 'self'", &format!("form-action 'self' {target}"));
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res
}

/// The CSP source of a redirect URI: its origin, or `scheme:` for a private-use scheme.
fn form_target(u: &url::Url) -> String {
    match u.origin() {
        url::Origin::Tuple(..) => u.origin().ascii_serialization(),
        url::Origin::Opaque(_) => format!("{}:", u.scheme()),
    }
}

/// The sign-in and consent form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AuthorizeForm {
    /// The request token from the page (also in the `pacer_authz` cookie).
    request: String,
    /// `sign_in`, `allow` or `deny`.
    action: String,
    email: Option<String>,
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<Secret>,
}

/// Signs in, or records the consent decision.
#[utoipa::path(
    tag = "mcp-auth",
    request_body(content = AuthorizeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "HTML: the consent page after a successful sign-in", content_type = "text/html"),
        (status = 302, description = "Back to the client: `code`, `state`, `iss` (allow) or `error=access_denied` (deny)"),
        (status = 400, description = "HTML: the request expired, was already decided, or did not start in this browser (cookie mismatch); JSON (`invalid_input`) for a form that does not parse", content(
            (String = "text/html"),
            (super::error::ErrorBody = "application/json"),
        )),
        (status = 401, description = "HTML: the sign-in form again, with the error", content_type = "text/html"),
        super::responses::WrongContentType,
        super::responses::RateLimited,
    )
)]
#[post("/oauth/authorize", wrap = "PerIpLimit::new(\"login\")")]
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Option<Authenticated>,
    form: web::Form<AuthorizeForm>,
) -> HttpResponse {
    let AuthorizeForm { request, action, email, password } = form.into_inner();
    let cookie_ok = req
        .cookie(AUTHZ_COOKIE)
        .is_some_and(|c| request.len() <= MAX_PARAM_LEN && bool::from(c.value().as_bytes().ct_eq(request.as_bytes())));
    let now = now_epoch();
    let pending = if cookie_ok {
        match requests::get(&state.store, &request, now).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "could not read an authorization request");
                return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again.");
            }
        }
    } else {
        None
    };
    let Some(pending) = pending else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This authorization request expired, was already answered, or was not started in this browser. \
             Start again from the application.",
        );
    };
    match action.as_str() {
        "sign_in" => {
            let email = email.unwrap_or_default();
            let Some(password) = password else {
                return login_page(StatusCode::UNAUTHORIZED, &pending, &request, &email, "Enter your password.");
            };
            match super::auth::check_password(&state, &email, password).await {
                Ok(user) => {
                    let Ok(jwt) = state.jwt.issue(&user.tenant_id, &user.id) else {
                        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again.");
                    };
                    tracing::info!(user = %user.id, tenant = %user.tenant_id, "signed in to authorize an MCP client");
                    let mut res = consent_page(&pending, &request, &user.email);
                    let _ = res.add_cookie(&session_cookie(&state, jwt.expose()));
                    res
                }
                Err(e) => login_page(e.status, &pending, &request, &email, &e.message),
            }
        }
        "allow" | "deny" => {
            let Some((_, principal)) = signed_in_email(&state, session).await else {
                return login_page(StatusCode::UNAUTHORIZED, &pending, &request, "", "Sign in first.");
            };
            let taken = match requests::take(&state.store, &request, now).await {
                Ok(taken) => taken,
                Err(e) => {
                    tracing::error!(error = %e, "could not take an authorization request");
                    return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again.");
                }
            };
            let Some(pending) = taken else {
                return error_page(StatusCode::BAD_REQUEST, "This authorization request was already answered.");
            };
            let client_state = pending.state.as_deref();
            if action == "deny" {
                tracing::info!(user = %principal.user_id, "MCP client authorization denied");
                return redirect_error(
                    &state,
                    &pending.redirect_uri,
                    client_state,
                    "access_denied",
                    "the person denied access",
                );
            }
            let code = tokens::mint(CODE_PREFIX);
            let binding = Binding {
                tenant_id: principal.tenant_id.clone(),
                user_id: principal.user_id.clone(),
                client_id: pending.client_id.clone(),
                scopes: pending.scopes.to_string(),
                resource: pending.resource.clone(),
            };
            let (prefix, hash, redirect, challenge) =
                (code.prefix.clone(), code.hash, pending.redirect_uri.clone(), pending.code_challenge.clone());
            let stored = state
                .store
                .call(move |c| {
                    authz::insert_code(
                        c,
                        &NewCode {
                            prefix: &prefix,
                            hash: &hash,
                            binding: &binding,
                            redirect_uri: &redirect,
                            code_challenge: &challenge,
                            expires_at: now_epoch() + CODE_TTL_SECS,
                        },
                    )
                })
                .await;
            if let Err(e) = stored {
                tracing::error!(error = %e, "could not store an authorization code");
                return redirect_error(&state, &pending.redirect_uri, client_state, "server_error", "internal error");
            }
            tracing::info!(user = %principal.user_id, tenant = %principal.tenant_id, "MCP client authorized");
            let mut params = vec![("code", code.secret.expose().to_owned())];
            if let Some(s) = client_state {
                params.push(("state", s.to_owned()));
            }
            params.push(("iss", issuer(&state.public_url)));
            redirect_with(&pending.redirect_uri, &params)
        }
        _ => error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    }
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(authorize).service(decide);
}
