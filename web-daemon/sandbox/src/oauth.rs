//! Strava's OAuth endpoints: the consent page, the code redirect, the token grants
//! (authorization_code, rotating refresh_token) and deauthorization.

use std::collections::HashMap;

use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use url::Url;

use super::Shared;
use super::error::Fault;
use super::request::{basic_credentials, bearer, query, read_params};
use super::tokens::{Grant, IssuedTokens};

/// Scopes Strava knows; "read" is always granted.
const KNOWN_SCOPES: [&str; 7] =
    ["read", "read_all", "profile:read_all", "profile:write", "activity:read", "activity:read_all", "activity:write"];

pub(crate) fn scope(path: &str, data: web::Data<Shared>) -> actix_web::Scope {
    token_scope(path, data).service(
        web::resource("/authorize").route(web::get().to(authorize_page)).route(web::post().to(authorize_decision)),
    )
}

/// The token and deauthorize routes alone: Strava also documents them under `/api/v3/oauth`.
pub(crate) fn token_scope(path: &str, data: web::Data<Shared>) -> actix_web::Scope {
    web::scope(path)
        .app_data(data)
        .route("/token", web::post().to(token))
        .route("/deauthorize", web::post().to(deauthorize))
}

/// A validated authorization request.
struct AuthorizeRequest {
    redirect_uri: Url,
    scopes: Vec<String>,
    state: String,
}

/// True when `uri` is one of `registered`, compared without query and fragment.
fn registered(uri: &Url, registered: &[String]) -> bool {
    let bare = |u: &Url| {
        let mut u = u.clone();
        u.set_query(None);
        u.set_fragment(None);
        u
    };
    let uri = bare(uri);
    registered.iter().filter_map(|r| Url::parse(r).ok()).any(|r| bare(&r) == uri)
}

fn validate(params: &HashMap<String, String>, shared: &Shared) -> Result<AuthorizeRequest, Fault> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != shared.config.client_id {
        return Err(Fault::bad_request("Application", "client_id", "invalid"));
    }
    let redirect_uri = Url::parse(get("redirect_uri"))
        .ok()
        .filter(|u| registered(u, &shared.state().redirect_uris))
        .ok_or_else(|| Fault::bad_request("Application", "redirect_uri", "invalid"))?;
    if get("response_type") != "code" {
        return Err(Fault::bad_request("Application", "response_type", "invalid"));
    }
    let mut scopes = vec!["read".to_owned()];
    for s in get("scope").split([',', ' ']).filter(|s| !s.is_empty()) {
        if !KNOWN_SCOPES.contains(&s) {
            return Err(Fault::bad_request("Application", "scope", "invalid"));
        }
        if !scopes.iter().any(|have| have == s) {
            scopes.push(s.to_owned());
        }
    }
    Ok(AuthorizeRequest { redirect_uri, scopes, state: get("state").to_owned() })
}

/// Escapes `s` for HTML text and double-quoted attribute values (the only places it is used).
fn escape_html(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// `GET /oauth/authorize`: the consent page.
async fn authorize_page(req: HttpRequest, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    let params = query(&req);
    let request = validate(&params, &shared)?;
    let athletes = shared.state().athletes.clone();
    let mut hidden = String::new();
    for key in ["client_id", "redirect_uri", "response_type", "scope", "state", "approval_prompt"] {
        if let Some(value) = params.get(key) {
            hidden.push_str(&format!("<input type=\"hidden\" name=\"{key}\" value=\"{}\">\n", escape_html(value)));
        }
    }
    let options: String = athletes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let selected = if i == 0 { " selected" } else { "" };
            let label = escape_html(&format!("{} {} ({})", a.firstname, a.lastname, a.id));
            format!("<option value=\"{}\"{selected}>{label}</option>\n", a.id)
        })
        .collect();
    let scopes: String = request.scopes.iter().map(|s| format!("<li>{}</li>", escape_html(s))).collect();
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Authorize application (Strava sandbox)</title></head>\n\
         <body><h1>Authorize {client}</h1>\n<p>Redirects to <code>{redirect}</code> with scopes:</p><ul>{scopes}</ul>\n\
         <form method=\"post\" action=\"authorize\">\n{hidden}<label>Athlete <select name=\"athlete_id\">\n{options}</select></label>\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Authorize</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n</form></body></html>\n",
        client = escape_html(&shared.config.client_id),
        redirect = escape_html(request.redirect_uri.as_str()),
    );
    Ok(HttpResponse::Ok().insert_header((CONTENT_TYPE, "text/html; charset=utf-8")).body(html))
}

/// `POST /oauth/authorize`: the consent decision; redirects with a code or `access_denied`.
async fn authorize_decision(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, Fault> {
    let params = read_params(&req, payload).await?;
    let request = validate(&params, &shared)?;
    let mut url = request.redirect_uri;
    if params.get("decision").map(String::as_str) != Some("approve") {
        tracing::debug!("sandbox oauth: consent denied");
        url.query_pairs_mut().append_pair("error", "access_denied").append_pair("state", &request.state);
        return Ok(HttpResponse::Found().insert_header((LOCATION, url.as_str())).finish());
    }
    let code = {
        let mut state = shared.state();
        let athlete_id = match params.get("athlete_id").filter(|s| !s.is_empty()) {
            Some(raw) => raw.parse::<u64>().ok().filter(|id| state.athlete(*id).is_some()),
            None => state.athletes.first().map(|a| a.id),
        }
        .ok_or_else(|| Fault::bad_request("Athlete", "athlete_id", "invalid"))?;
        tracing::debug!(athlete_id, "sandbox oauth: consent approved");
        let grant = Grant { athlete_id, client_id: shared.config.client_id.clone(), scopes: request.scopes.clone() };
        state.tokens.issue_code(grant, chrono::Utc::now().timestamp())
    };
    url.query_pairs_mut()
        .append_pair("state", &request.state)
        .append_pair("code", &code)
        .append_pair("scope", &request.scopes.join(","));
    Ok(HttpResponse::Found().insert_header((LOCATION, url.as_str())).finish())
}

fn token_json(issued: &IssuedTokens, now: i64) -> serde_json::Value {
    json!({
        "token_type": "Bearer",
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expires_at": issued.expires_at,
        "expires_in": issued.expires_at - now,
    })
}

/// `POST /oauth/token`: authorization_code and refresh_token grants.
async fn token(req: HttpRequest, payload: web::Payload, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    let mut params = read_params(&req, payload).await?;
    if let Some((id, secret)) = basic_credentials(&req) {
        params.entry("client_id".into()).or_insert(id);
        params.entry("client_secret".into()).or_insert(secret);
    }
    let latency = shared.state().faults.latency_ms;
    if latency > 0 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let config = &shared.config;
    let now = chrono::Utc::now().timestamp();
    let mut state = shared.state();
    state.counters.token_requests += 1;
    if get("client_id") != config.client_id {
        return Err(Fault::invalid_client("client_id"));
    }
    if get("client_secret") != config.client_secret {
        return Err(Fault::invalid_client("client_secret"));
    }
    match get("grant_type") {
        "authorization_code" => {
            let grant = state
                .tokens
                .redeem_code(get("code"), &config.client_id, now)
                .ok_or_else(|| Fault::bad_request("AuthorizationCode", "code", "invalid"))?;
            let athlete = state.athlete(grant.athlete_id).map(|a| a.summary_json());
            let issued = state.tokens.issue(grant, now, config.access_token_ttl_s);
            tracing::debug!("sandbox oauth: authorization code exchanged");
            let mut body = token_json(&issued, now);
            body["athlete"] = athlete.unwrap_or_default();
            Ok(HttpResponse::Ok().json(body))
        }
        "refresh_token" => {
            let invalid = || Fault::bad_request("RefreshToken", "refresh_token", "invalid");
            if state.faults.fail_refresh {
                tracing::debug!("sandbox oauth: refresh failed by fault switch");
                return Err(invalid());
            }
            let issued = state
                .tokens
                .refresh(get("refresh_token"), &config.client_id, now, config.access_token_ttl_s)
                .ok_or_else(invalid)?;
            state.counters.refresh_count += 1;
            tracing::debug!("sandbox oauth: refresh token rotated");
            Ok(HttpResponse::Ok().json(token_json(&issued, now)))
        }
        _ => Err(Fault::bad_request("Application", "grant_type", "invalid")),
    }
}

/// `POST /oauth/deauthorize`: revokes every token of the token's athlete.
async fn deauthorize(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, Fault> {
    let params = read_params(&req, payload).await?;
    let token = params
        .get("access_token")
        .cloned()
        .filter(|t| !t.is_empty())
        .or_else(|| bearer(&req))
        .ok_or_else(Fault::invalid_token)?;
    let mut state = shared.state();
    let grant =
        state.tokens.check_access(&token, chrono::Utc::now().timestamp()).cloned().ok_or_else(Fault::invalid_token)?;
    state.tokens.revoke(grant.athlete_id, &grant.client_id);
    tracing::debug!(athlete_id = grant.athlete_id, "sandbox oauth: deauthorized");
    Ok(HttpResponse::Ok().json(json!({ "access_token": token })))
}
