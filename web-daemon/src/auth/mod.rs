//! Authentication: API keys, passwords, and the authenticated principal every request carries.

pub mod api_key;
pub mod jwt;
pub mod key_cache;
pub mod login_guard;
pub mod password;

use pacer_shared::{TenantId, Tier, UserId};

/// Who is calling: produced by key or JWT validation and passed by value into every
/// repository call, so no handler can forget the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// The API key used, when the caller authenticated with one (absent for JWT sessions).
    pub key_id: Option<String>,
    pub tier: Tier,
    /// The OAuth grant, when the caller presented an MCP access token (see [`crate::authz`]).
    pub grant: Option<crate::authz::GrantRef>,
}

impl Principal {
    /// The rate-limit bucket of this caller's credential: its API key, or its OAuth grant
    /// (`oauth:<grant id>`, quota by the user's tier); `None` for session JWTs.
    pub fn limit_key(&self) -> Option<crate::limits::LimitKey> {
        let key_id = match (&self.key_id, &self.grant) {
            (Some(key), _) => key.clone(),
            (None, Some(grant)) => format!("oauth:{}", grant.id),
            (None, None) => return None,
        };
        Some(crate::limits::LimitKey::ApiKey { key_id, tier: self.tier })
    }
}

/// Authentication failures, mapped to 401/403 (HTTP) or `unauthorized`/`forbidden` (socket).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Missing, malformed or unknown credential.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credential that may not do this (deactivated key, wrong tenant).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed; not the caller's fault.
    #[error("authentication unavailable: {0}")]
    Internal(String),
}

impl From<crate::store::StoreError> for AuthError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}
