//! Authorization requests awaiting the person's sign-in and consent, in memory.
//!
//! `GET /oauth/authorize` validates the request, holds it here under a random request token and
//! sets the same token in the `pacer_authz` cookie (`HttpOnly`, `SameSite=Strict`, path
//! `/oauth/authorize`). The sign-in and consent forms carry the token in a hidden field; a POST is
//! accepted only when field and cookie agree (double submit: another site can neither read the
//! cookie nor make the browser send it). At most [`MAX_PENDING`] requests are held, each for
//! [`PENDING_TTL_SECS`]; a restart forgets them (the client starts over).

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::Scopes;

/// How long a person has to sign in and decide.
pub const PENDING_TTL_SECS: i64 = 600;
/// Most authorization requests held at once.
pub const MAX_PENDING: usize = 1024;
/// The double-submit cookie.
pub const AUTHZ_COOKIE: &str = "pacer_authz";

/// A validated authorization request.
#[derive(Debug, Clone)]
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

/// The pending requests, keyed by the SHA-256 of their token.
#[derive(Debug, Default)]
pub struct PendingAuthorizations {
    map: Mutex<HashMap<[u8; 32], PendingAuthorization>>,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl PendingAuthorizations {
    /// Holds `p` under `token`, making room when full (expired first, then the oldest).
    pub fn hold(&self, token: &str, p: PendingAuthorization, now: i64) {
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_PENDING {
            map.retain(|_, p| p.expires_at > now);
        }
        while map.len() >= MAX_PENDING {
            let Some(oldest) = map.iter().min_by_key(|(_, p)| p.expires_at).map(|(k, _)| *k) else { break };
            map.remove(&oldest);
        }
        map.insert(key(token), p);
    }

    /// The live request for `token`, left in place (sign-in keeps it for the consent step).
    pub fn get(&self, token: &str, now: i64) -> Option<PendingAuthorization> {
        let map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&key(token)).filter(|p| p.expires_at > now).cloned()
    }

    /// Removes and returns the live request for `token` (a decision is taken once).
    pub fn take(&self, token: &str, now: i64) -> Option<PendingAuthorization> {
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&key(token)).filter(|p| p.expires_at > now)
    }
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

    #[test]
    fn taken_once_bounded_and_expiring() {
        let book = PendingAuthorizations::default();
        book.hold("a", pending(100), 0);
        assert!(book.get("a", 0).is_some());
        assert!(book.take("a", 0).is_some());
        assert!(book.take("a", 0).is_none());
        book.hold("b", pending(100), 0);
        assert!(book.get("b", 100).is_none(), "expired");
        for i in 0..(MAX_PENDING as i64 + 5) {
            book.hold(&format!("t{i}"), pending(1000 + i), 0);
        }
        assert!(book.get("t0", 0).is_none(), "the oldest made room");
        assert!(book.get(&format!("t{}", MAX_PENDING + 4), 0).is_some());
    }
}
