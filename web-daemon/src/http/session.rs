//! One-time login links (`pacerd users login-link`) and the `/login` route that turns one into
//! a session cookie.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpResponse, get, web};
use pacer_shared::{TenantId, UserId};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::accounts::AccountError;
use crate::state::AppState;
use crate::store::{login_links, now_epoch};

/// Name of the session cookie carrying the JWT.
pub const SESSION_COOKIE: &str = "pacer_session";
/// How long a login link works.
pub const LOGIN_LINK_TTL_SECS: i64 = 600;

/// Mints a link; returns (url, expiry as RFC 3339).
pub async fn issue_login_link(
    state: &AppState,
    tenant: &TenantId,
    user: &UserId,
) -> Result<(String, String), AccountError> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let expires = now_epoch() + LOGIN_LINK_TTL_SECS;
    let (t, u) = (tenant.clone(), user.clone());
    state.store.call(move |c| login_links::insert(c, &hash, &t, &u, expires)).await?;
    let at = chrono::DateTime::from_timestamp(expires, 0).unwrap_or_default();
    Ok((format!("{}/login?token={token}", state.public_url), at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

/// A session cookie for a JWT (`Secure` when pacer is reached over https).
pub fn session_cookie(state: &AppState, jwt: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, jwt.to_string())
        .http_only(true)
        .secure(state.public_url.starts_with("https://"))
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(actix_web::cookie::time::Duration::seconds(crate::auth::jwt::TTL_SECS))
        .finish()
}

/// Query of a login link.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// The one-time token from `pacerd users login-link`.
    token: String,
}

/// Consumes a login link and redirects to the web page with a session cookie.
#[utoipa::path(tag = "web", params(LoginQuery),
    responses((status = 302, description = "Signed in: session cookie set, redirect to /"),
        (status = 400, description = "No `token` in the query", body = super::error::ErrorBody),
        (status = 401, description = "HTML page: the link is invalid, used or expired", content_type = "text/html")))]
#[get("/login")]
pub async fn login_with_link(state: web::Data<AppState>, q: web::Query<LoginQuery>) -> Result<HttpResponse, ApiError> {
    let hash: [u8; 32] = Sha256::digest(q.token.as_bytes()).into();
    let owner = state.store.call(move |c| login_links::consume(c, &hash, now_epoch())).await?;
    // People open these links in a browser: answer with a page, not JSON.
    let Some((tenant, user)) = owner else {
        return Ok(super::html::message_page(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "Login link not valid",
            "This login link is invalid, was already used, or expired (links work once, for 10 minutes). \
             Ask for a new one with `pacerd users login-link --email …`.",
        ));
    };
    let jwt = state.jwt.issue(&tenant, &user)?;
    Ok(HttpResponse::Found().insert_header(("Location", "/")).cookie(session_cookie(&state, jwt.expose())).finish())
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(login_with_link);
}
