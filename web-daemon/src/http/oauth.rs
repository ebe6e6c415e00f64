//! `GET /oauth/{provider}/authorize` and `GET /oauth/{provider}/callback` (`provider`: a
//! [`ProviderId`] name, e.g. `strava`): the connect flow over HTTP.
//! The logic lives in [`crate::oauth`]; this file only speaks HTTP (JSON for API clients, a small
//! HTML page for browsers).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use pacer_shared::ProviderId;
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

/// Query of the provider's redirect.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Authorization code (absent when access was denied).
    pub code: Option<String>,
    /// The one-time state pacer issued (always sent back by the provider).
    #[param(required = true, value_type = String)]
    pub state: Option<String>,
    /// Scopes the athlete granted.
    pub scope: Option<String>,
    /// `access_denied` when the athlete declined.
    pub error: Option<String>,
}

/// The `{provider}` path segment; an unknown provider is a JSON 404.
pub(crate) fn provider(segment: &str) -> Result<ProviderId, ApiError> {
    segment.parse().map_err(|e: String| ApiError::not_found(e))
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

pub(crate) fn wants_html(req: &HttpRequest) -> bool {
    req.headers().get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Starts connecting a provider: redirects to its consent page (or returns the URL as JSON).
#[utoipa::path(get, path = "/oauth/{provider}/authorize", tag = "oauth",
    params(("provider" = String, Path, description = "The provider, e.g. `strava`")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 302, description = "Redirect to the provider"), (status = 200, body = AuthorizeUrl),
        (status = 401, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
        super::error::RateLimited))]
#[get("/oauth/{provider}/authorize", wrap = "super::ratelimit::PerIpLimit::new(\"oauth\")")]
async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let provider = provider(&path)?;
    if wants_json(&req) {
        // An API client that will hand the URL to a person: the callback connects the provider
        // but opens no session (the browser completing it is not this client).
        let url = oauth::begin_connect(&state, &auth.0, provider).await.map_err(ApiError::from)?;
        return Ok(HttpResponse::Ok().json(AuthorizeUrl { authorize_url: url }));
    }
    // A browser: bind the flow to it, so only its own callback gets a session.
    let (url, nonce) = oauth::begin_browser_connect(&state, &auth.0, provider).await.map_err(ApiError::from)?;
    let binding = actix_web::cookie::Cookie::build(oauth::BINDING_COOKIE, nonce)
        .http_only(true)
        .secure(state.public_url.starts_with("https://"))
        .same_site(actix_web::cookie::SameSite::Lax)
        .path("/oauth")
        .max_age(actix_web::cookie::time::Duration::seconds(oauth::STATE_TTL_SECS))
        .finish();
    Ok(HttpResponse::Found().insert_header(("Location", url)).cookie(binding).finish())
}

/// The provider redirects here: validates the state, exchanges the code, stores the tokens.
/// A link not started by this browser (an API client's, the MCP `connect_provider` tool's)
/// connects at once only when the request carries a session of the link's own pacer user;
/// a session of another user is refused (403); without a session the answer asks the person to
/// confirm the named pacer account first (`POST /oauth/{provider}/confirm`).
#[utoipa::path(get, path = "/oauth/{provider}/callback", tag = "oauth",
    params(("provider" = String, Path, description = "The provider, e.g. `strava`"), CallbackQuery),
    security((), ("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Connected. A pacer session (TokenResponse) only when this browser started the flow; otherwise ConnectedOnly. Browsers get an HTML page (for an unconfirmed link: the confirmation page)", body = TokenResponse),
        (status = 202, description = "An unbound link opened without its owner's session: confirm the named pacer account with `POST /oauth/{provider}/confirm`", body = super::oauth_confirm::ConfirmationBody),
        (status = 400, description = "A parameter is missing, or access was denied at the provider", body = super::error::ErrorBody),
        (status = 403, description = "Unknown, used or expired `state` (code `invalid_state`), or this browser's session belongs to another pacer user than the link's", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody),
        super::error::RateLimited))]
#[get("/oauth/{provider}/callback", wrap = "super::ratelimit::PerIpLimit::new(\"oauth\")")]
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<CallbackQuery>,
    session: Option<Authenticated>,
) -> Result<HttpResponse, ApiError> {
    let html = wants_html(&req);
    let expected = provider(&path)?;
    let cookie = req.cookie(oauth::BINDING_COOKIE);
    let cb = oauth::Callback {
        code: q.code.as_deref(),
        state: q.state.as_deref(),
        error: q.error.as_deref(),
        scope: q.scope.as_deref(),
        binding_cookie: cookie.as_ref().map(|c| c.value()),
    };
    let session = session.map(|Authenticated(p)| p);
    let result = oauth::complete(&state, expected, cb, session.as_ref()).await;
    let connected = match result {
        Ok(oauth::CallbackOutcome::Connected(c)) => *c,
        Ok(oauth::CallbackOutcome::NeedsConfirmation(request)) => {
            return super::oauth_confirm::ask(&state, &request, html).await;
        }
        Err(e) if html => return Ok(failure_page(e)),
        Err(e) => return Err(ApiError::from(e)),
    };
    connected_response(&state, connected, html)
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

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(authorize).service(callback).service(super::oauth_confirm::confirm);
}
