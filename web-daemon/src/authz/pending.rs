//! Authorization requests awaiting the person's sign-in and consent, in the store.
//!
//! `GET /oauth/authorize` validates the request, holds it under a random request token and sets
//! the same token in the `pacer_authz` cookie (`HttpOnly`, `SameSite=Strict`, path
//! `/oauth/authorize`). The sign-in and consent forms carry the token in a hidden field; a POST is
//! accepted only when field and cookie agree (double submit: another site can neither read the
//! cookie nor make the browser send it). The requests live in `pending_authorizations`
//! ([`crate::store::pending_flows`], keyed by the token's SHA-256), so the sign-in and the consent
//! may reach any replica behind the load balancer, and a restart keeps them. At most
//! [`MAX_PENDING`] requests are held (expired ones are dropped first, then the oldest), each for
//! [`PENDING_TTL_SECS`]; the decision takes the request once, even when replicas race.

use super::Scopes;
use crate::oauth::token_hash as key;
use crate::store::pending_flows::{self, AuthorizationRow};
use crate::store::{SqlError, Store, StoreError};

/// How long a person has to sign in and decide.
pub const PENDING_TTL_SECS: i64 = 600;
/// Most authorization requests held at once (over all replicas).
pub const MAX_PENDING: usize = 1024;
/// The double-submit cookie.
pub const AUTHZ_COOKIE: &str = "pacer_authz";

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub scopes: Scopes,
    pub resource: String,
    pub expires_at: i64,
}

impl PendingAuthorization {
    fn into_row(self) -> AuthorizationRow {
        AuthorizationRow {
            client_id: self.client_id,
            client_name: self.client_name,
            redirect_uri: self.redirect_uri,
            state: self.state,
            code_challenge: self.code_challenge,
            scopes: self.scopes.to_string(),
            resource: self.resource,
            expires_at: self.expires_at,
        }
    }

    fn from_row(row: AuthorizationRow) -> Result<Self, StoreError> {
        let scopes = Scopes::parse(&row.scopes)
            .map_err(|e| StoreError::Sql(SqlError::conversion(5, format!("held scopes: {e}"))))?;
        Ok(Self {
            client_id: row.client_id,
            client_name: row.client_name,
            redirect_uri: row.redirect_uri,
            state: row.state,
            code_challenge: row.code_challenge,
            scopes,
            resource: row.resource,
            expires_at: row.expires_at,
        })
    }
}

/// Holds `p` under `token`, making room when full (expired first, then the oldest).
pub async fn hold(store: &Store, token: &str, p: PendingAuthorization, now: i64) -> Result<(), StoreError> {
    let (hash, row) = (key(token), p.into_row());
    store.call(move |c| pending_flows::hold_authorization(c, &hash, &row, MAX_PENDING, now)).await
}

/// The live request for `token`, left in place (sign-in keeps it for the consent step).
pub async fn get(store: &Store, token: &str, now: i64) -> Result<Option<PendingAuthorization>, StoreError> {
    let hash = key(token);
    let row = store.call(move |c| pending_flows::get_authorization(c, &hash, now)).await?;
    row.map(PendingAuthorization::from_row).transpose()
}

/// Removes and returns the live request for `token` (a decision is taken once).
pub async fn take(store: &Store, token: &str, now: i64) -> Result<Option<PendingAuthorization>, StoreError> {
    let hash = key(token);
    let row = store.call(move |c| pending_flows::take_authorization(c, &hash, now)).await?;
    row.map(PendingAuthorization::from_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(expires_at: i64) -> PendingAuthorization {
        PendingAuthorization {
            client_id: "c".into(),
            client_name: "C".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            state: None,
            code_challenge: String::new(),
            scopes: Scopes::ALL,
            resource: "http://x/mcp".into(),
            expires_at,
        }
    }

    #[tokio::test]
    async fn taken_once_bounded_and_expiring() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("pacer.db")).expect("open");
        store.migrate().expect("migrate");
        hold(&store, "a", pending(100), 0).await.expect("hold");
        assert_eq!(get(&store, "a", 0).await.expect("get"), Some(pending(100)), "read back whole");
        assert!(take(&store, "a", 0).await.expect("take").is_some());
        assert!(take(&store, "a", 0).await.expect("take").is_none());
        hold(&store, "b", pending(100), 0).await.expect("hold");
        assert!(get(&store, "b", 100).await.expect("get").is_none(), "expired");
        for i in 0..(MAX_PENDING as i64 + 5) {
            hold(&store, &format!("t{i}"), pending(1000 + i), 0).await.expect("hold");
        }
        assert!(get(&store, "t0", 0).await.expect("get").is_none(), "the oldest made room");
        assert!(get(&store, &format!("t{}", MAX_PENDING + 4), 0).await.expect("get").is_some());
    }
}
