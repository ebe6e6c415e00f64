//! How a provider connection answers: the JSON bodies, the HTML pages and the `{provider}` path
//! segment, shared by the connect flow (`oauth.rs`) and its confirmation (`oauth_confirm.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use pacer_shared::ProviderId;
use serde::Serialize;

use super::error::ApiError;
use crate::auth::jwt::TTL_SECS;
use crate::oauth;
use crate::state::AppState;

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

/// The callback's answer when the flow was not started by this browser (an API client or an MCP
/// tool started it): the provider is connected, but no pacer session is opened.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConnectedOnly {
    /// Always `true`.
    pub connected: bool,
    /// The provider, e.g. `strava`.
    pub provider: &'static str,
    /// The connected athlete, when the provider said.
    pub athlete_id: Option<u64>,
}

/// The `{provider}` path segment; an unknown provider is a JSON 404.
pub(crate) fn provider(segment: &str) -> Result<ProviderId, ApiError> {
    segment.parse().map_err(|e: String| ApiError::not_found(e))
}

pub(crate) fn wants_html(req: &HttpRequest) -> bool {
    req.headers().get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// The HTML page for a failed connection.
pub(crate) fn failure_page(e: oauth::OAuthError) -> HttpResponse {
    let api = ApiError::from(e);
    super::html::message_page(api.status, "Connection failed", &api.message)
}

/// The answer for a finished connection: a session only for the browser that started the flow.
pub(crate) fn connected_response(
    state: &AppState,
    connected: oauth::Connected,
    html: bool,
) -> Result<HttpResponse, ApiError> {
    let athlete_id = connected.athlete.as_ref().map(|a| a.id);
    // A session only for the browser that started the flow; everyone else just gets "connected".
    let jwt =
        if connected.same_browser { Some(state.jwt.issue(&connected.tenant_id, &connected.user_id)?) } else { None };
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
        let name = connected.provider.display_name();
        let mut page = super::html::message_page(
            StatusCode::OK,
            &format!("Connected to {name}"),
            &format!("Successfully connected to {name}{who}. You can close this tab."),
        );
        if let Some(jwt) = &jwt {
            let _ = page.add_cookie(&super::session::session_cookie(state, jwt.expose()));
        }
        return Ok(page);
    }
    match jwt {
        Some(jwt) => Ok(HttpResponse::Ok()
            .insert_header(super::auth::NO_STORE)
            .cookie(super::session::session_cookie(state, jwt.expose()))
            .json(TokenResponse {
                access_token: jwt.expose().to_string(),
                token_type: "Bearer",
                expires_in: TTL_SECS,
            })),
        None => Ok(HttpResponse::Ok().insert_header(super::auth::NO_STORE).json(ConnectedOnly {
            connected: true,
            provider: connected.provider.as_str(),
            athlete_id,
        })),
    }
}
