//! The web page at `/` and the small JSON routes only it needs.
//!
//! - `GET /`: without a valid session (the `pacer_session` cookie, or a Bearer JWT) a sign-in
//!   form that posts to `POST /api/auth/login` (which sets the cookie); with one, the account page:
//!   the Strava connection (status, connect via `GET /oauth/strava/authorize`, disconnect) and the
//!   user's API keys (list, create — the secret shown once with its warning —, revoke).
//! - `GET /static/pacer.css`, `GET /static/pacer.js`: embedded with `include_str!` from `page/`;
//!   nothing is loaded from elsewhere (works offline), and a strict CSP forbids it.
//! - `GET /api/connection`, `DELETE /api/connection` (session JWT): the connection status that is
//!   otherwise only the `get_connection_status` MCP tool, and disconnecting.
//! - `POST /api/auth/logout`: expires the session cookie (it is `HttpOnly`; scripts cannot).
//!
//! Server-side values enter the HTML only through [`render`](super::html::render), which escapes them; the script writes
//! API data with `textContent` only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, delete, get, post, web};
use pacer_shared::ProviderId;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Authenticated, TenantHeader};
use super::html::{html_response, render};
use super::session::session_cookie;
use crate::state::AppState;
use crate::store::users;

const LOGIN_HTML: &str = include_str!("page/login.html");
const APP_HTML: &str = include_str!("page/app.html");
const CSS: &str = include_str!("page/pacer.css");
const JS: &str = include_str!("page/pacer.js");
const FAVICON: &str = include_str!("page/favicon.svg");

/// The provider the page manages.
const PROVIDER: ProviderId = ProviderId::Strava;

fn page(body: String) -> HttpResponse {
    html_response(StatusCode::OK, body)
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// The web page: sign-in form, or the account page for a valid session.
#[utoipa::path(
    tag = "web",
    responses((status = 200, description = "HTML: the sign-in form without a valid `pacer_session` cookie, else the account page (Strava connection, API keys)", content_type = "text/html")),
)]
#[get("/")]
pub async fn index(auth: Option<Authenticated>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(Authenticated(p)) = auth else {
        return Ok(page(LOGIN_HTML.to_owned()));
    };
    let user = state.store.call(move |c| users::get(c, &p.tenant_id, &p.user_id)).await?;
    // A valid token for a user that no longer exists: sign in again.
    let Some(user) = user else {
        return Ok(page(LOGIN_HTML.to_owned()));
    };
    let base = state.public_url.trim_end_matches('/');
    let ws = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    Ok(page(render(APP_HTML, &[("email", &user.info.email), ("base_url", base), ("ws_url", &ws)])))
}

/// The page's stylesheet (also used by the OAuth result pages).
#[utoipa::path(tag = "web",
    responses((status = 200, description = "CSS", content_type = "text/css")))]
#[get("/static/pacer.css")]
pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

/// The page's script.
#[utoipa::path(tag = "web",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
#[get("/static/pacer.js")]
pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}

/// The site icon (SVG; browsers ask for `/favicon.ico` by name and accept SVG there).
#[utoipa::path(tag = "web",
    responses((status = 200, description = "SVG icon", content_type = "image/svg+xml")))]
#[get("/favicon.ico")]
pub async fn favicon() -> HttpResponse {
    asset("image/svg+xml", FAVICON)
}

/// Whether Strava is connected for the logged-in user. Never contains a token.
#[derive(Serialize, ToSchema)]
pub struct ConnectionBody {
    /// Always `strava`.
    #[schema(example = "strava")]
    pub provider: &'static str,
    pub connected: bool,
    /// The provider's id of the connected athlete, if known.
    pub athlete_id: Option<u64>,
    /// Granted scopes, e.g. `["read", "activity:read_all"]`.
    pub scopes: Vec<String>,
    /// When the current access token expires (RFC 3339); pacer renews it automatically.
    pub expires_at: Option<String>,
    /// When the tokens were last stored or renewed (RFC 3339).
    pub updated_at: Option<String>,
}

/// The result of disconnecting.
#[derive(Serialize, ToSchema)]
pub struct DisconnectedBody {
    /// Always `strava`.
    #[schema(example = "strava")]
    pub provider: &'static str,
    /// Whether a connection existed (its tokens are now deleted and access revoked).
    pub was_connected: bool,
}

fn rfc3339(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The logged-in user's Strava connection.
#[utoipa::path(
    tag = "oauth",
    params(TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Connection status", body = ConnectionBody),
        super::responses::SessionAuth,
    )
)]
#[get("/api/connection")]
pub async fn connection(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let info = state.tokens.connection(PROVIDER, &p.tenant_id, &p.user_id).await.map_err(ApiError::from)?;
    let body = match info {
        None => ConnectionBody {
            provider: PROVIDER.as_str(),
            connected: false,
            athlete_id: None,
            scopes: Vec::new(),
            expires_at: None,
            updated_at: None,
        },
        Some(c) => ConnectionBody {
            provider: PROVIDER.as_str(),
            connected: true,
            athlete_id: c.athlete_id,
            scopes: c.scopes.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            expires_at: rfc3339(c.expires_at),
            updated_at: Some(c.updated_at),
        },
    };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body))
}

/// Disconnects Strava for the logged-in user: revokes access at Strava (best effort) and deletes
/// the stored tokens.
#[utoipa::path(
    tag = "oauth",
    params(TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Disconnected (or was not connected)", body = DisconnectedBody),
        super::responses::SessionAuth,
    )
)]
#[delete("/api/connection")]
pub async fn disconnect(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let was_connected = state.tokens.disconnect(PROVIDER, &p.tenant_id, &p.user_id).await.map_err(ApiError::from)?;
    tracing::info!(tenant = %p.tenant_id, user = %p.user_id, was_connected, "provider disconnected from the web page");
    Ok(HttpResponse::Ok().json(DisconnectedBody { provider: PROVIDER.as_str(), was_connected }))
}

/// Ends the browser session: expires the `pacer_session` cookie. (JWTs stay valid until they
/// expire; this only removes the cookie.)
#[utoipa::path(tag = "auth",
    responses((status = 204, description = "Cookie removed")))]
#[post("/api/auth/logout")]
pub async fn logout(state: web::Data<AppState>) -> HttpResponse {
    let mut cookie = session_cookie(&state, "");
    cookie.make_removal();
    let mut res = HttpResponse::NoContent().cookie(cookie).finish();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(index)
        .service(stylesheet)
        .service(script)
        .service(favicon)
        .service(connection)
        .service(disconnect)
        .service(logout);
}

#[cfg(test)]
mod tests {
    use super::super::html::render;

    #[test]
    fn templates_only_use_known_placeholders() {
        for (name, t) in [("login", super::LOGIN_HTML), ("app", super::APP_HTML)] {
            let out = render(t, &[("email", "e"), ("base_url", "b"), ("ws_url", "w")]);
            assert!(!out.contains("{{"), "{name} has an unfilled placeholder");
        }
    }
}
