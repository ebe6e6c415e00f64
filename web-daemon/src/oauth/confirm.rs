//! Confirmation of unbound connect links.
//!
//! A link from the MCP `connect_provider` tool, from `GET /oauth/{provider}/authorize` with
//! `Accept: application/json` or from `pacerd demo` is not bound to a browser: anyone may open
//! it. Its callback therefore connects at once only when the request carries a pacer session of
//! the link's own user (cookie or Bearer JWT); a session of another user is refused; without a
//! session the provider's code is held here, in memory, under a one-time confirmation token
//! (stored as its SHA-256) and the person is shown which pacer account the link belongs to. Only
//! a `POST /oauth/{provider}/confirm` carrying that token — in the form and, for browsers, in the
//! `pacer_oauth_confirm` cookie set with the page (double submit, `SameSite=Strict`) — exchanges
//! the code and stores the tokens.
//!
//! Pending confirmations live at most [`CONFIRM_TTL_SECS`]; at most [`MAX_PENDING`] are held
//! (expired ones are dropped first, then the oldest). A daemon restart forgets them: the person
//! starts the connection again.

use std::collections::HashMap;
use std::sync::Mutex;

use pacer_shared::{ProviderId, Secret, TenantId, UserId};

use sha2::{Digest, Sha256};

/// How long a person has to accept a connection after the provider's consent.
pub const CONFIRM_TTL_SECS: i64 = 600;
/// Most connections awaiting confirmation at once.
pub const MAX_PENDING: usize = 256;
/// Cookie carrying the confirmation token for the double-submit check (path `/oauth`).
pub const CONFIRM_COOKIE: &str = "pacer_oauth_confirm";

/// A connection whose provider consent is done and whose pacer account must still be confirmed.
#[derive(Debug, Clone)]
pub struct PendingConfirmation {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub provider: ProviderId,
    /// The provider's authorization code, exchanged only after the confirmation.
    pub code: Secret,
    /// Scopes the provider reported on the callback.
    pub scope: Option<String>,
    pub expires_at: i64,
}

/// The in-memory set of pending confirmations, keyed by the SHA-256 of their token.
#[derive(Debug, Default)]
pub struct Confirmations {
    pending: Mutex<HashMap<[u8; 32], PendingConfirmation>>,
}

impl Confirmations {
    /// Holds `pending` under `token`, making room when full.
    pub fn hold(&self, token: &str, pending: PendingConfirmation, now: i64) {
        let mut map = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_PENDING {
            map.retain(|_, p| p.expires_at > now);
        }
        while map.len() >= MAX_PENDING {
            let Some(oldest) = map.iter().min_by_key(|(_, p)| p.expires_at).map(|(k, _)| *k) else { break };
            map.remove(&oldest);
        }
        map.insert(token_hash(token), pending);
    }

    /// Removes and returns the live confirmation for `token` (a token works once).
    pub fn take(&self, token: &str, now: i64) -> Option<PendingConfirmation> {
        let mut map = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&token_hash(token)).filter(|p| p.expires_at > now)
    }

    /// How many are pending (tests, status).
    pub fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// True when none are pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// SHA-256 of a one-time value (states, binding nonces, confirmation tokens): only hashes are kept.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(expires_at: i64) -> PendingConfirmation {
        PendingConfirmation {
            tenant_id: TenantId::new("t"),
            user_id: UserId::new("u"),
            provider: ProviderId::Strava,
            code: Secret::new("code".into()),
            scope: None,
            expires_at,
        }
    }

    #[test]
    fn a_token_works_once_and_not_after_expiry() {
        let book = Confirmations::default();
        book.hold("a", pending(100), 0);
        assert!(book.take("b", 0).is_none());
        assert!(book.take("a", 0).is_some());
        assert!(book.take("a", 0).is_none(), "spent");
        book.hold("c", pending(100), 0);
        assert!(book.take("c", 100).is_none(), "expired");
    }

    #[test]
    fn stays_bounded() {
        let book = Confirmations::default();
        for i in 0..(MAX_PENDING as i64 + 10) {
            book.hold(&format!("t{i}"), pending(1000 + i), 0);
        }
        assert_eq!(book.len(), MAX_PENDING);
        assert!(book.take("t0", 0).is_none(), "the oldest made room");
        assert!(book.take(&format!("t{}", MAX_PENDING + 9), 0).is_some());
    }
}
