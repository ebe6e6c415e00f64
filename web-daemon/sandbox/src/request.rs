//! Reading request inputs with size caps: parameters from the query string plus a urlencoded,
//! JSON or multipart body; multipart fields; bearer tokens and HTTP Basic client credentials;
//! the bearer-token extractor [`Auth`] and path ids shared by the API routes.

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_multipart::{Field, Multipart};
use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine as _;
use futures_util::StreamExt as _;
use serde_json::Value;

use super::Shared;
use super::error::Fault;
use super::tokens::Grant;

/// Cap of a parameter body (token requests, consent form) and of a text multipart field.
pub(crate) const PARAMS_CAP: usize = 64 * 1024;

fn query_params(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Query parameters only.
pub(crate) fn query(req: &HttpRequest) -> HashMap<String, String> {
    query_params(req.query_string())
}

/// Reads a multipart field into memory; `Err(None)` if it exceeds `cap`, `Err(Some)` if the
/// stream breaks.
pub(crate) async fn read_field(field: &mut Field, cap: usize) -> Result<Vec<u8>, Option<Fault>> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| Some(Fault::bad_request("Upload", "body", "invalid")))?;
        if out.len() + chunk.len() > cap {
            return Err(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn read_body(payload: &mut web::Payload, cap: usize) -> Result<Vec<u8>, Fault> {
    let mut out = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Fault::bad_request("Application", "body", "invalid"))?;
        if out.len() + chunk.len() > cap {
            return Err(Fault::too_large("Application", "body"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Query parameters overlaid with the body's (urlencoded, JSON object or multipart form).
pub(crate) async fn read_params(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<HashMap<String, String>, Fault> {
    let mut params = query(req);
    let content_type =
        req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::new(req.headers(), payload);
        while let Some(field) = form.next().await {
            let mut field = field.map_err(|_| Fault::bad_request("Application", "body", "invalid"))?;
            let name = field.name().unwrap_or_default().to_owned();
            let value = read_field(&mut field, PARAMS_CAP)
                .await
                .map_err(|e| e.unwrap_or_else(|| Fault::too_large("Application", &name)))?;
            params.insert(name, String::from_utf8_lossy(&value).into_owned());
        }
        return Ok(params);
    }
    let body = read_body(&mut payload, PARAMS_CAP).await?;
    if content_type.starts_with("application/json") {
        let object: serde_json::Map<String, Value> =
            serde_json::from_slice(&body).map_err(|_| Fault::bad_request("Application", "body", "invalid"))?;
        for (key, value) in object {
            let text = match value {
                Value::String(s) => s,
                Value::Null => continue,
                other => other.to_string(),
            };
            params.insert(key, text);
        }
    } else {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    Ok(params)
}

/// The access token from `Authorization: Bearer …` or the `access_token` query parameter.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some(value) = header {
        let (scheme, token) = value.trim().split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned());
    }
    query(req).remove("access_token").filter(|t| !t.is_empty())
}

/// Client credentials from `Authorization: Basic …` (RFC 6749 §2.3.1: form-encoded id and secret).
pub(crate) fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| query_params(&format!("v={s}")).remove("v").unwrap_or_default();
    Some((unescape(id), unescape(secret)))
}

/// The grant behind a valid bearer token; extracting it answers 401 otherwise.
pub(crate) struct Auth(pub(crate) Grant);

impl FromRequest for Auth {
    type Error = Fault;
    type Future = Ready<Result<Self, Fault>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let now = chrono::Utc::now().timestamp();
        let grant = req
            .app_data::<web::Data<Shared>>()
            .zip(bearer(req))
            .and_then(|(shared, token)| shared.state().tokens.check_access(&token, now).cloned());
        ready(grant.map(Auth).ok_or_else(Fault::invalid_token))
    }
}

impl Auth {
    pub(crate) fn athlete_id(&self) -> u64 {
        self.0.athlete_id
    }

    /// Strava answers 401 `{"field": "<scope>_permission", "code": "missing"}` without the scope.
    pub(crate) fn require(&self, any_of: &[&str], field: &str) -> Result<(), Fault> {
        if self.0.has_scope(any_of) { Ok(()) } else { Err(Fault::missing_scope(field)) }
    }

    pub(crate) fn require_activity_read(&self) -> Result<(), Fault> {
        self.require(&["activity:read", "activity:read_all"], "activity:read_permission")
    }
}

/// A path id; non-numeric ids are "not found", as on Strava.
pub(crate) fn path_id(req: &HttpRequest, resource: &'static str) -> Result<u64, Fault> {
    req.match_info().get("id").and_then(|s| s.parse().ok()).ok_or_else(|| Fault::not_found(resource))
}
