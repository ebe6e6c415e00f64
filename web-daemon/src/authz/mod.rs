//! MCP authorization: pacerd as the OAuth 2.1 authorization server of its own MCP endpoint
//! (the MCP specification's authorization profile). pacer's users and passwords are the identity.
//!
//! - `scope.rs`: the two scopes and the one list of tools that need `activities:write`.
//! - `tokens.rs`: codes and tokens (random, stored hashed), PKCE S256, the authorization-code and
//!   refresh grants (rotation; reuse of a rotated refresh token revokes the family), revocation,
//!   and access-token validation into a [`Principal`](crate::auth::Principal).
//! - `clients.rs`: Dynamic Client Registration (RFC 7591) and client lookup, including Client ID
//!   Metadata Documents fetched by `cimd.rs` under SSRF guards.
//! - `pending.rs`: authorization requests between the authorize page and the consent decision.
//!
//! Routes live in `http/authz_*.rs`. This module never touches the outbound Strava OAuth
//! client (`oauth/`).

pub mod cimd;
pub mod clients;
pub mod pending;
pub mod scope;
pub mod tokens;

pub use scope::{Scope, Scopes};

/// The OAuth grant behind an MCP access token, carried in the caller's `Principal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRef {
    /// The grant (refresh family) id.
    pub id: String,
    /// The client the grant was given to.
    pub client_id: String,
    /// What the person allowed.
    pub scopes: Scopes,
}

/// Lifetime of an authorization code (seconds).
pub const CODE_TTL_SECS: i64 = 60;

/// The protected resource: pacer's MCP endpoint, `<public_url>/mcp`. Tokens are bound to it.
pub fn resource_url(public_url: &str) -> String {
    format!("{}/mcp", public_url.trim_end_matches('/'))
}

/// The issuer identifier: `public_url` itself.
pub fn issuer(public_url: &str) -> String {
    public_url.trim_end_matches('/').to_owned()
}

/// Where the protected resource metadata of the MCP endpoint is served (RFC 9728 §3.1).
pub fn resource_metadata_url(public_url: &str) -> String {
    format!("{}/.well-known/oauth-protected-resource/mcp", issuer(public_url))
}

/// Whether `presented` names the resource `expected` (exact, ignoring one trailing slash).
pub fn same_resource(presented: &str, expected: &str) -> bool {
    presented.trim_end_matches('/') == expected.trim_end_matches('/')
}

/// An OAuth error answer of the token, registration and revocation endpoints
/// (`{"error": "...", "error_description": "..."}`, RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthFailure {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`,
    /// `invalid_scope`, `invalid_target`, `invalid_redirect_uri`, `invalid_client_metadata`,
    /// `server_error`.
    pub error: &'static str,
    pub description: String,
}

impl OAuthFailure {
    /// A failure with `error` and a human description.
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self { error, description: description.into() }
    }
    /// `invalid_request`.
    pub fn request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }
    /// `invalid_grant`.
    pub fn grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }
    /// `invalid_client`.
    pub fn client(description: impl Into<String>) -> Self {
        Self::new("invalid_client", description)
    }
    /// `server_error`; the detail goes to the log only.
    pub fn server(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "authorization server failure");
        Self::new("server_error", "internal error")
    }
}

impl From<crate::store::StoreError> for OAuthFailure {
    fn from(e: crate::store::StoreError) -> Self {
        Self::server(e)
    }
}
