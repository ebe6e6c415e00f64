//! MCP authorization discovery: protected resource metadata (RFC 9728), authorization server
//! metadata (RFC 8414), and the `WWW-Authenticate` challenges the MCP routes send.
//!
//! Every URL is derived from `public_url`: the resource is `<public_url>/mcp`, the issuer is
//! `<public_url>`. Both documents are public and carry `Access-Control-Allow-Origin: *` so
//! browser-based clients can read them.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::authz::{Scope, issuer, resource_metadata_url, resource_url};
use crate::state::AppState;

/// RFC 9728 protected resource metadata.
#[derive(Serialize, ToSchema)]
pub struct ResourceMetadata {
    /// `<public_url>/mcp`: the audience every access token is bound to.
    pub resource: String,
    /// `[<public_url>]`: pacerd is its own authorization server.
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<&'static str>,
    /// Only `header` (`Authorization: Bearer …`).
    pub bearer_methods_supported: Vec<&'static str>,
    pub resource_name: &'static str,
}

/// RFC 8414 authorization server metadata.
#[derive(Serialize, ToSchema)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// Dynamic Client Registration (RFC 7591).
    pub registration_endpoint: String,
    /// RFC 7009.
    pub revocation_endpoint: String,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Only `S256`.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// Client ids may be https URLs of Client ID Metadata Documents.
    pub client_id_metadata_document_supported: bool,
    /// The authorization response carries `iss` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
}

const AUTH_METHODS: [&str; 3] = ["none", "client_secret_post", "client_secret_basic"];

fn scopes() -> Vec<&'static str> {
    Scope::ALL.iter().map(|s| s.as_str()).collect()
}

fn public_json<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "max-age=300"))
        .json(body)
}

fn resource_metadata(state: &AppState) -> ResourceMetadata {
    ResourceMetadata {
        resource: resource_url(&state.public_url),
        authorization_servers: vec![issuer(&state.public_url)],
        scopes_supported: scopes(),
        bearer_methods_supported: vec!["header"],
        resource_name: "pacer",
    }
}

/// Protected resource metadata of `/mcp` (RFC 9728, path-inserted form).
#[utoipa::path(tag = "mcp-auth",
    responses((status = 200, description = "Which authorization server issues tokens for /mcp, and its scopes", body = ResourceMetadata)))]
#[get("/.well-known/oauth-protected-resource/mcp")]
pub async fn protected_resource_mcp(state: web::Data<AppState>) -> HttpResponse {
    public_json(&resource_metadata(&state))
}

/// Protected resource metadata at the root (the same document: `/mcp` is pacer's only
/// OAuth-protected resource).
#[utoipa::path(tag = "mcp-auth",
    responses((status = 200, description = "Same as /.well-known/oauth-protected-resource/mcp", body = ResourceMetadata)))]
#[get("/.well-known/oauth-protected-resource")]
pub async fn protected_resource(state: web::Data<AppState>) -> HttpResponse {
    public_json(&resource_metadata(&state))
}

/// Authorization server metadata (RFC 8414).
#[utoipa::path(tag = "mcp-auth",
    responses((status = 200, description = "Endpoints and capabilities of pacer's authorization server", body = ServerMetadata)))]
#[get("/.well-known/oauth-authorization-server")]
pub async fn authorization_server(state: web::Data<AppState>) -> HttpResponse {
    let base = issuer(&state.public_url);
    public_json(&ServerMetadata {
        authorization_endpoint: format!("{base}/oauth/authorize"),
        token_endpoint: format!("{base}/oauth/token"),
        registration_endpoint: format!("{base}/oauth/register"),
        revocation_endpoint: format!("{base}/oauth/revoke"),
        issuer: base,
        scopes_supported: scopes(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        grant_types_supported: vec!["authorization_code", "refresh_token"],
        token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        code_challenge_methods_supported: vec!["S256"],
        client_id_metadata_document_supported: true,
        authorization_response_iss_parameter_supported: true,
    })
}

/// A Bearer challenge for the MCP routes: always `resource_metadata`; `error` (RFC 6750 §3.1:
/// `invalid_token`, `insufficient_scope`) and `scope` when given. Quotes and backslashes in the
/// description are dropped so the header stays well-formed.
pub fn challenge(public_url: &str, error: Option<(&str, &str)>, scope: Option<&str>) -> String {
    let mut out = format!("Bearer resource_metadata=\"{}\"", resource_metadata_url(public_url));
    if let Some((code, description)) = error {
        let description: String =
            description.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).take(200).collect();
        out.push_str(&format!(", error=\"{code}\", error_description=\"{description}\""));
    }
    if let Some(scope) = scope {
        out.push_str(&format!(", scope=\"{scope}\""));
    }
    out
}

/// Registers the discovery routes.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(protected_resource_mcp).service(protected_resource).service(authorization_server);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_well_formed() {
        assert_eq!(
            challenge("https://p.example", None, None),
            "Bearer resource_metadata=\"https://p.example/.well-known/oauth-protected-resource/mcp\""
        );
        let c =
            challenge("https://p.example", Some(("insufficient_scope", "needs \"write\"")), Some("activities:write"));
        assert!(
            c.ends_with(
                ", error=\"insufficient_scope\", error_description=\"needs write\", scope=\"activities:write\""
            ),
            "{c}"
        );
    }
}
