//! The confirmation step of connect links that were not started by this browser (see
//! [`crate::oauth::confirm`]): the page — or, for API clients, the JSON — naming the pacer
//! account a link belongs to, and `POST /oauth/{provider}/confirm`, which connects only with the
//! one-time token in the form and the same token in the `pacer_oauth_confirm` cookie.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::extract::Authenticated;
use super::html::{escape, html_response};
use super::oauth_answer::{connected_response, failure_page, provider, wants_html};
use crate::oauth::{self, CONFIRM_COOKIE, ConfirmationRequest, confirm::CONFIRM_TTL_SECS};
use crate::state::AppState;
use crate::store::users;

/// The callback's JSON answer when the pacer account must be confirmed first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConfirmationBody {
    /// Always `true`.
    pub confirmation_required: bool,
    /// The pacer account (email) the link belongs to: the one that would be connected.
    pub account: String,
    /// That account's tenant.
    pub tenant_id: String,
    /// Where to POST the decision (form fields `token`, `decision`).
    pub confirm_url: String,
    /// The one-time token (also set as the `pacer_oauth_confirm` cookie); valid 10 minutes.
    pub confirm_token: String,
}

/// The confirmation form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConfirmForm {
    /// The one-time token from the confirmation page.
    pub token: String,
    /// `accept` (default) connects; `cancel` drops the pending connection.
    pub decision: Option<String>,
}

fn confirm_path(provider: pacer_shared::ProviderId) -> String {
    format!("/oauth/{provider}/confirm")
}

fn confirm_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    Cookie::build(CONFIRM_COOKIE, token.to_string())
        .http_only(true)
        .secure(state.public_url.starts_with("https://"))
        .same_site(SameSite::Strict)
        .path("/oauth")
        .max_age(actix_web::cookie::time::Duration::seconds(CONFIRM_TTL_SECS))
        .finish()
}

/// Asks the person to confirm the pacer account of `request`: an HTML page with the form, or a
/// 202 JSON body for API clients. Both set the confirmation cookie.
pub async fn ask(state: &AppState, request: &ConfirmationRequest, html: bool) -> Result<HttpResponse, ApiError> {
    let (tenant, user) = (request.tenant_id.clone(), request.user_id.clone());
    let found = state.store.call(move |c| users::get(c, &tenant, &user)).await?;
    let account = found.map(|u| u.info.email).unwrap_or_else(|| request.user_id.to_string());
    let token = request.token.expose();
    let action = confirm_path(request.provider);
    let name = request.provider.display_name();
    let mut res = if html {
        html_response(
            StatusCode::OK,
            format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>Confirm the pacer account</title>\
                 <link rel=\"stylesheet\" href=\"/static/pacer.css\"></head><body><main>\
                 <h1>Connect {name} to <code>{account}</code>?</h1>\
                 <p>This link was created for the pacer account <strong>{account}</strong> (tenant {tenant}). \
                 Connecting gives that account access to the {name} activities you just approved.</p>\
                 <p>Only continue if <strong>{account}</strong> is your own pacer account. Otherwise cancel: \
                 nothing has been stored.</p>\
                 <form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"token\" value=\"{token}\">\
                 <button type=\"submit\" name=\"decision\" value=\"accept\">Connect to {account}</button> \
                 <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>\
                 </main></body></html>",
                name = escape(name),
                account = escape(&account),
                tenant = escape(request.tenant_id.as_str()),
                action = escape(&action),
                token = escape(token),
            ),
        )
    } else {
        HttpResponse::Accepted().insert_header(super::auth::NO_STORE).json(ConfirmationBody {
            confirmation_required: true,
            account,
            tenant_id: request.tenant_id.to_string(),
            confirm_url: format!("{}{action}", state.public_url),
            confirm_token: token.to_string(),
        })
    };
    res.add_cookie(&confirm_cookie(state, token)).map_err(|e| ApiError::internal_logged("confirmation cookie", e))?;
    Ok(res)
}

/// Confirms (or cancels) a connect link opened without its owner's session.
#[utoipa::path(tag = "oauth",
    params(("provider" = String, Path, description = "The provider, e.g. `strava`")),
    request_body(content = ConfirmForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Connected (ConnectedOnly; browsers get a page), or cancelled", body = super::oauth_answer::ConnectedOnly),
        (status = 400, description = "Malformed form", body = ErrorBody),
        (status = 403, description = "Unknown, used or expired token, the `pacer_oauth_confirm` cookie does not match the form (code `invalid_state`), or this browser's session belongs to another pacer user", body = ErrorBody),
        (status = 404, body = ErrorBody),
        super::responses::WrongContentType,
        super::responses::RateLimited,
        (status = 502, body = ErrorBody)))]
#[post("/oauth/{provider}/confirm", wrap = "super::ratelimit::PerIpLimit::new(\"oauth\")")]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
    session: Option<Authenticated>,
) -> Result<HttpResponse, ApiError> {
    let html = wants_html(&req);
    let provider = provider(&path)?;
    let ConfirmForm { token, decision } = form.into_inner();
    // Double submit: the page's cookie must carry the form's token (a cross-site form cannot
    // know the token, and the Strict cookie is never sent with a cross-site POST).
    let cookie = req.cookie(CONFIRM_COOKIE);
    let matches = cookie.as_ref().is_some_and(|c| {
        bool::from(subtle::ConstantTimeEq::ct_eq(c.value().as_bytes(), token.as_bytes())) && !token.is_empty()
    });
    let mut removal = confirm_cookie(&state, "");
    removal.make_removal();
    let result = if !matches {
        Err(oauth::OAuthError::UnknownConfirmation)
    } else if decision.as_deref() == Some("cancel") {
        if let Err(e) = oauth::cancel(&state, &token).await {
            return if html { Ok(failure_page(e)) } else { Err(ApiError::from(e)) };
        }
        let mut res = if html {
            super::html::message_page(StatusCode::OK, "Not connected", "Nothing was connected or stored.")
        } else {
            HttpResponse::Ok().json(serde_json::json!({"connected": false}))
        };
        let _ = res.add_cookie(&removal);
        return Ok(res);
    } else {
        let session = session.map(|Authenticated(p)| p);
        oauth::confirm(&state, provider, &token, session.as_ref()).await
    };
    let mut res = match result {
        Ok(connected) => connected_response(&state, connected, html)?,
        Err(e) if html => failure_page(e),
        Err(e) => return Err(ApiError::from(e)),
    };
    let _ = res.add_cookie(&removal);
    Ok(res)
}
