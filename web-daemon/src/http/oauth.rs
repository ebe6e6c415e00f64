//! `GET /oauth/{provider}/authorize` and `GET /oauth/{provider}/callback` (`provider`: a
//! [`ProviderId`] name, e.g. `strava`): the connect flow over HTTP.
//! The logic lives in [`crate::oauth`]; this file only speaks HTTP (JSON for API clients, a small
//! HTML page for browsers).

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::Authenticated;
use super::oauth_answer::{TokenResponse, connected_response, failure_page, provider, wants_html};
use crate::oauth;
use crate::state::AppState;

/// `{authorize_url}` for clients that asked for JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthorizeUrl {
    /// Open this URL to grant pacer access at the provider.
    pub authorize_url: String,
}

/// Query of the provider's redirect.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Authorization code (absent when access was denied).
    pub code: Option<String>,
    /// The one-time state pacer issued (always sent back by the provider).
    #[param(required = true, value_type = String, min_length = 1)]
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

/// Starts connecting a provider: redirects to its consent page (or returns the URL as JSON).
#[utoipa::path(tag = "oauth",
    params(("provider" = String, Path, description = "The provider, e.g. `strava`")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 302, description = "Redirect to the provider"), (status = 200, body = AuthorizeUrl),
        super::responses::SessionUnauthorized, (status = 404, body = super::error::ErrorBody),
        super::responses::RateLimited))]
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
#[utoipa::path(tag = "oauth",
    params(("provider" = String, Path, description = "The provider, e.g. `strava`"), CallbackQuery),
    security((), ("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Connected. A pacer session (TokenResponse) only when this browser started the flow; otherwise ConnectedOnly. Browsers get an HTML page (for an unconfirmed link: the confirmation page)", body = TokenResponse),
        (status = 202, description = "An unbound link opened without its owner's session: confirm the named pacer account with `POST /oauth/{provider}/confirm`", body = super::oauth_confirm::ConfirmationBody),
        (status = 400, description = "A parameter is missing, or access was denied at the provider", body = super::error::ErrorBody),
        (status = 403, description = "Unknown, used or expired `state` (code `invalid_state`), or this browser's session belongs to another pacer user than the link's", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 502, body = super::error::ErrorBody),
        super::responses::RateLimited))]
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

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(authorize).service(callback).service(super::oauth_confirm::confirm);
}
