//! OAuth clients: Dynamic Client Registration (RFC 7591) and Client ID Metadata Documents.
//!
//! A client id that is an `https://` URL names a metadata document ([`super::cimd`] fetches it,
//! the row is cached for [`CACHE_SECS`](super::cimd::CACHE_SECS)); any other client id must have
//! been registered. Registered clients are public (`none`, the default here since MCP clients
//! are apps without a secret) or confidential (`client_secret_post` / `client_secret_basic`: a
//! secret is issued once and stored as SHA-256). Metadata-document clients are always public.
//!
//! Redirect URIs: absolute, no fragment; `https`, `http` on a loopback host (native apps), or a
//! private-use scheme with a dot (`com.example.app:/cb`, RFC 8252 §7.1). Matching is exact.

use pacer_shared::Secret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::OAuthFailure;
use super::cimd::{self, CACHE_SECS, CimdError};
use crate::auth::api_key::random_base62;
use crate::store::authz::{self, ClientKind, ClientRow};
use crate::store::{Store, StoreError, now_epoch};

/// Most redirect URIs per client.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect URI and client URI.
pub const MAX_URI_LEN: usize = 2000;
/// Longest client name (longer names are cut).
pub const MAX_NAME_CHARS: usize = 120;
/// Prefix of the client ids pacer issues.
pub const CLIENT_ID_PREFIX: &str = "pacer_client_";

/// A registration request (RFC 7591 §2; other members are ignored).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RegistrationRequest {
    /// Exact redirect URIs (1–10: [`MAX_REDIRECT_URIS`]).
    #[schema(min_items = 1, max_items = 10)]
    pub redirect_uris: Vec<String>,
    /// `none` (default), `client_secret_post` or `client_secret_basic`.
    pub token_endpoint_auth_method: Option<String>,
    /// Subset of `authorization_code`, `refresh_token`.
    pub grant_types: Option<Vec<String>>,
    /// Only `code`.
    pub response_types: Option<Vec<String>>,
    /// Shown on the consent page (marked as not verified).
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    /// Space-separated scopes the client intends to ask for.
    pub scope: Option<String>,
}

/// The registration answer (RFC 7591 §3.2.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationResponse {
    pub client_id: String,
    /// Only for `client_secret_post` / `client_secret_basic`; shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    /// 0: the secret does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub client_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

fn metadata_err(description: impl Into<String>) -> OAuthFailure {
    OAuthFailure::new("invalid_client_metadata", description)
}

/// Checks one redirect URI.
pub fn check_redirect_uri(raw: &str) -> Result<(), OAuthFailure> {
    let bad = |why: &str| OAuthFailure::new("invalid_redirect_uri", format!("redirect URI not allowed: {why}"));
    if raw.len() > MAX_URI_LEN {
        return Err(bad("too long"));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("not an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(bad("it has a fragment"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback { Ok(()) } else { Err(bad("http is allowed only on a loopback host")) }
        }
        s if s.contains('.') => Ok(()),
        _ => Err(bad("use https, http on a loopback host, or a private-use scheme such as com.example.app")),
    }
}

fn clean_name(name: Option<&str>, fallback: &str) -> String {
    let name: String = name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let name = name.trim();
    if name.is_empty() { fallback.to_owned() } else { name.to_owned() }
}

fn check_client_uri(uri: Option<&str>) -> Result<Option<String>, OAuthFailure> {
    let Some(uri) = uri.filter(|u| !u.is_empty()) else { return Ok(None) };
    let ok = uri.len() <= MAX_URI_LEN && url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
    if ok { Ok(Some(uri.to_owned())) } else { Err(metadata_err("client_uri must be an http(s) URL")) }
}

/// Registers a client (RFC 7591).
pub async fn register(store: &Store, req: RegistrationRequest) -> Result<RegistrationResponse, OAuthFailure> {
    if req.redirect_uris.is_empty() || req.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthFailure::new("invalid_redirect_uri", format!("give 1 to {MAX_REDIRECT_URIS} redirect_uris")));
    }
    for uri in &req.redirect_uris {
        check_redirect_uri(uri)?;
    }
    let method = req.token_endpoint_auth_method.as_deref().unwrap_or("none").to_owned();
    if !matches!(method.as_str(), "none" | "client_secret_post" | "client_secret_basic") {
        return Err(metadata_err("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic"));
    }
    let grant_types = req.grant_types.unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]);
    if grant_types.iter().any(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token")) {
        return Err(metadata_err("grant_types may contain only authorization_code and refresh_token"));
    }
    let response_types = req.response_types.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(metadata_err("response_types may contain only code"));
    }
    if let Some(scope) = &req.scope {
        super::Scopes::parse(scope).map_err(metadata_err)?;
    }
    let client_uri = check_client_uri(req.client_uri.as_deref())?;
    let id = format!("{CLIENT_ID_PREFIX}{}", random_base62(24));
    let secret = (method != "none").then(|| Secret::new(random_base62(43)));
    let row = ClientRow {
        id: id.clone(),
        kind: ClientKind::Registered,
        client_name: clean_name(req.client_name.as_deref(), "Unnamed application"),
        client_uri: client_uri.clone(),
        redirect_uris: req.redirect_uris.clone(),
        auth_method: method.clone(),
        secret_hash: secret.as_ref().map(|s| Sha256::digest(s.expose().as_bytes()).to_vec()),
        fetched_at: None,
    };
    let name = row.client_name.clone();
    store.call(move |c| authz::upsert_client(c, &row)).await?;
    tracing::info!(client = %id, "OAuth client registered");
    Ok(RegistrationResponse {
        client_id: id,
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        client_secret: secret.map(|s| s.expose().to_owned()),
        client_id_issued_at: now_epoch(),
        redirect_uris: req.redirect_uris,
        token_endpoint_auth_method: method,
        grant_types,
        response_types,
        client_name: name,
        client_uri,
        scope: req.scope,
    })
}

/// Whether a client id names a metadata document.
pub fn is_metadata_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Why a client could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("unknown client_id")]
    Unknown,
    #[error("{0}")]
    Document(#[from] CimdError),
    #[error("the client metadata document is not valid: {0}")]
    BadDocument(String),
    #[error("internal error")]
    Store,
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "client lookup failed");
        Self::Store
    }
}

/// The client named by `client_id`: a registered one, or a metadata document (cached, else
/// fetched under the SSRF guards).
pub async fn resolve(store: &Store, client_id: &str, allow_loopback: bool) -> Result<ClientRow, ClientError> {
    let id = client_id.to_owned();
    let cached = store.call(move |c| authz::client(c, &id)).await?;
    if !is_metadata_url(client_id) {
        return cached.filter(|c| c.kind == ClientKind::Registered).ok_or(ClientError::Unknown);
    }
    if let Some(row) = cached.filter(|c| c.fetched_at.is_some_and(|at| at + CACHE_SECS > now_epoch())) {
        return Ok(row);
    }
    let bytes = cimd::fetch(client_id, allow_loopback).await?;
    let row = parse_document(client_id, &bytes)?;
    let stored = row.clone();
    store.call(move |c| authz::upsert_client(c, &stored)).await?;
    Ok(row)
}

#[derive(Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    token_endpoint_auth_method: Option<String>,
}

/// Validates a fetched metadata document for `client_id`.
fn parse_document(client_id: &str, bytes: &[u8]) -> Result<ClientRow, ClientError> {
    let bad = |m: &str| ClientError::BadDocument(m.to_owned());
    let doc: Document =
        serde_json::from_slice(bytes).map_err(|e| ClientError::BadDocument(format!("not JSON: {e}")))?;
    if doc.client_id != client_id {
        return Err(bad("its client_id is not the URL it was fetched from"));
    }
    if doc.redirect_uris.is_empty() || doc.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(bad("it needs 1 to 10 redirect_uris"));
    }
    for uri in &doc.redirect_uris {
        check_redirect_uri(uri).map_err(|e| ClientError::BadDocument(e.description))?;
    }
    if doc.token_endpoint_auth_method.as_deref().is_some_and(|m| m != "none") {
        return Err(bad("only token_endpoint_auth_method none is supported for metadata-document clients"));
    }
    let host = url::Url::parse(client_id).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    Ok(ClientRow {
        id: client_id.to_owned(),
        kind: ClientKind::MetadataDocument,
        client_name: clean_name(doc.client_name.as_deref(), &host),
        client_uri: check_client_uri(doc.client_uri.as_deref()).map_err(|e| ClientError::BadDocument(e.description))?,
        redirect_uris: doc.redirect_uris,
        auth_method: "none".into(),
        secret_hash: None,
        fetched_at: Some(now_epoch()),
    })
}

/// Client credentials presented at the token or revocation endpoint.
#[derive(Debug, Default)]
pub struct Presented {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// True when they came in `Authorization: Basic`.
    pub basic: bool,
}

/// Authenticates the client of a token or revocation request; returns its id.
pub async fn authenticate(store: &Store, p: Presented, allow_loopback: bool) -> Result<String, OAuthFailure> {
    let id = p.client_id.clone().ok_or_else(|| OAuthFailure::client("client_id is required"))?;
    let row = match resolve(store, &id, allow_loopback).await {
        Ok(row) => row,
        Err(ClientError::Store) => return Err(OAuthFailure::server("client lookup")),
        Err(e) => return Err(OAuthFailure::client(e.to_string())),
    };
    match (row.auth_method.as_str(), &row.secret_hash, &p.client_secret) {
        ("none", _, None) => Ok(row.id),
        ("none", _, Some(_)) => Err(OAuthFailure::client("this client is public: send no client_secret")),
        (method, Some(stored), Some(secret)) if (method == "client_secret_basic") == p.basic => {
            let presented: [u8; 32] = Sha256::digest(secret.expose().as_bytes()).into();
            if bool::from(presented.as_slice().ct_eq(stored)) {
                Ok(row.id)
            } else {
                Err(OAuthFailure::client("client authentication failed"))
            }
        }
        _ => Err(OAuthFailure::client(format!("client authentication failed (this client uses {})", row.auth_method))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:5555/cb",
            "http://localhost/cb",
            "com.example.app:/cb",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in
            ["http://example.com/cb", "https://x/cb#frag", "javascript:alert(1)", "/relative", "data:text/html,x"]
        {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_must_name_themselves() {
        let url = "https://app.example/client.json";
        let doc = br#"{"client_id":"https://app.example/client.json","redirect_uris":["https://app.example/cb"],"client_name":"App"}"#;
        let row = parse_document(url, doc).unwrap();
        assert_eq!(row.client_name, "App");
        assert!(parse_document("https://other.example/c.json", doc).is_err());
        assert!(parse_document(url, br#"{"client_id":"https://app.example/client.json","redirect_uris":[]}"#).is_err());
    }
}
