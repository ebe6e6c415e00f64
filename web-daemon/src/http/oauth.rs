//! `GET /oauth/strava/authorize` and `GET /oauth/strava/callback`: the connect flow over HTTP.
//! The logic lives in [`crate::oauth`]; this file only speaks HTTP (JSON for API clients, a small
//! HTML page for browsers).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::Authenticated;
use crate::auth::jwt::TTL_SECS;
use crate::oauth;
use crate::state::AppState;

/// `{authorize_url}` for clients that asked for JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthorizeUrl {
    /// Open this URL to grant pacer access at the provider.
    pub authorize_url: String,
}

/// The pacer session token returned after a successful connection.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// A pacer JWT (not the provider's token).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the JWT expires.
    pub expires_in: i64,
}

/// Query of the provider's redirect.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CallbackQuery {
    /// Authorization code (absent when access was denied).
    pub code: Option<String>,
    /// The one-time state pacer issued.
    pub state: Option<String>,
    /// Scopes the athlete granted.
    pub scope: Option<String>,
    /// `access_denied` when the athlete declined.
    pub error: Option<String>,
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers().get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Starts connecting Strava: redirects to the provider's consent page (or returns the URL as JSON).
#[utoipa::path(get, path = "/oauth/strava/authorize", tag = "oauth",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 302, description = "Redirect to the provider"), (status = 200, body = AuthorizeUrl),
        (status = 401, body = super::error::ErrorBody)))]
#[get("/oauth/strava/authorize", wrap = "super::ratelimit::PerIpLimit::new(\"oauth\")")]
async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let url = oauth::begin_connect(&state, &auth.0, "strava").await.map_err(ApiError::from)?;
    if wants_json(&req) {
        Ok(HttpResponse::Ok().json(AuthorizeUrl { authorize_url: url }))
    } else {
        Ok(HttpResponse::Found().insert_header(("Location", url)).finish())
    }
}

/// The provider redirects here: validates the state, exchanges the code, stores the tokens.
#[utoipa::path(get, path = "/oauth/strava/callback", tag = "oauth", params(CallbackQuery),
    responses((status = 200, body = TokenResponse), (status = 400, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody)))]
#[get("/oauth/strava/callback", wrap = "super::ratelimit::PerIpLimit::new(\"oauth\")")]
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let html = wants_html(&req);
    let result =
        oauth::complete(&state, q.code.as_deref(), q.state.as_deref(), q.error.as_deref(), q.scope.as_deref()).await;
    let connected = match result {
        Ok(c) => c,
        Err(e) if html => {
            let api = ApiError::from(e);
            return Ok(super::page::message_page(api.status, "Connection failed", &api.message));
        }
        Err(e) => return Err(ApiError::from(e)),
    };
    let jwt = state.jwt.issue(&connected.tenant_id, &connected.user_id)?;
    if html {
        let who = connected
            .athlete
            .as_ref()
            .map(|a| {
                format!(" as {} {}", a.firstname.as_deref().unwrap_or(""), a.lastname.as_deref().unwrap_or(""))
                    .trim_end()
                    .to_string()
            })
            .unwrap_or_default();
        let mut page = super::page::message_page(
            StatusCode::OK,
            "Connected to Strava",
            &format!("Successfully connected to Strava{who}. You can close this tab."),
        );
        let _ = page.add_cookie(&super::session::session_cookie(jwt.expose()));
        return Ok(page);
    }
    Ok(HttpResponse::Ok().cookie(super::session::session_cookie(jwt.expose())).json(TokenResponse {
        access_token: jwt.expose().to_string(),
        token_type: "Bearer",
        expires_in: TTL_SECS,
    }))
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(authorize).service(callback);
}
