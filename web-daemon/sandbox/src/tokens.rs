//! Authorization codes, access tokens and rotating refresh tokens. Times are unix seconds passed
//! in by the caller, so expiry is testable without waiting.

use std::collections::HashMap;

use rand::RngCore as _;

/// Codes are single-use and expire after 10 minutes.
pub(crate) const CODE_TTL_S: i64 = 600;

/// 40 lowercase hex characters from the OS-seeded thread RNG (Strava's token format).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Who a token or code was granted to, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) athlete_id: u64,
    pub(crate) client_id: String,
    /// Granted scopes, e.g. ["read", "activity:read_all"].
    pub(crate) scopes: Vec<String>,
}

impl Grant {
    pub(crate) fn has_scope(&self, any_of: &[&str]) -> bool {
        self.scopes.iter().any(|s| any_of.contains(&s.as_str()))
    }
}

#[derive(Debug, Clone)]
struct Expiring {
    grant: Grant,
    expires_at: i64,
}

/// A newly issued access/refresh token pair.
#[derive(Debug, Clone)]
pub(crate) struct IssuedTokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_at: i64,
}

#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    codes: HashMap<String, Expiring>,
    access: HashMap<String, Expiring>,
    refresh: HashMap<String, Grant>,
}

impl TokenStore {
    pub(crate) fn issue_code(&mut self, grant: Grant, now: i64) -> String {
        self.codes.retain(|_, c| c.expires_at > now);
        let code = random_token();
        self.codes.insert(code.clone(), Expiring { grant, expires_at: now + CODE_TTL_S });
        code
    }

    /// Consumes `code` (whatever the outcome: codes are single-use).
    pub(crate) fn redeem_code(&mut self, code: &str, client_id: &str, now: i64) -> Option<Grant> {
        let entry = self.codes.remove(code)?;
        (entry.expires_at > now && entry.grant.client_id == client_id).then_some(entry.grant)
    }

    pub(crate) fn issue(&mut self, grant: Grant, now: i64, ttl_s: i64) -> IssuedTokens {
        let issued =
            IssuedTokens { access_token: random_token(), refresh_token: random_token(), expires_at: now + ttl_s };
        self.access
            .insert(issued.access_token.clone(), Expiring { grant: grant.clone(), expires_at: issued.expires_at });
        self.refresh.insert(issued.refresh_token.clone(), grant);
        issued
    }

    /// Rotates `refresh_token`: it stops working and a new pair is issued. Earlier access tokens
    /// stay valid until they expire, as on Strava.
    pub(crate) fn refresh(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        now: i64,
        ttl_s: i64,
    ) -> Option<IssuedTokens> {
        if self.refresh.get(refresh_token)?.client_id != client_id {
            return None;
        }
        let grant = self.refresh.remove(refresh_token)?;
        Some(self.issue(grant, now, ttl_s))
    }

    /// The grant behind a valid (known, unexpired) access token.
    pub(crate) fn check_access(&self, token: &str, now: i64) -> Option<&Grant> {
        self.access.get(token).filter(|t| t.expires_at > now).map(|t| &t.grant)
    }

    /// The client an access token was issued to, expired or not (for rate-limit accounting).
    pub(crate) fn client_of(&self, token: &str) -> Option<&str> {
        self.access.get(token).map(|t| t.grant.client_id.as_str())
    }

    /// Makes the access tokens of `athlete_id` (or everyone's) expired; returns how many.
    pub(crate) fn expire_access(&mut self, athlete_id: Option<u64>, now: i64) -> usize {
        let mut count = 0;
        for token in self.access.values_mut() {
            if athlete_id.is_none_or(|id| token.grant.athlete_id == id) && token.expires_at > now {
                token.expires_at = now - 1;
                count += 1;
            }
        }
        count
    }

    /// Revokes every token of the athlete for the client (`/oauth/deauthorize`).
    pub(crate) fn revoke(&mut self, athlete_id: u64, client_id: &str) {
        let keep = |g: &Grant| g.athlete_id != athlete_id || g.client_id != client_id;
        self.access.retain(|_, t| keep(&t.grant));
        self.refresh.retain(|_, g| keep(g));
        self.codes.retain(|_, c| keep(&c.grant));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(athlete_id: u64) -> Grant {
        Grant { athlete_id, client_id: "c".into(), scopes: vec!["read".into()] }
    }

    #[test]
    fn codes_are_single_use_and_expire() {
        let mut store = TokenStore::default();
        let code = store.issue_code(grant(1), 1000);
        assert_eq!(code.len(), 40);
        assert_eq!(store.redeem_code(&code, "c", 1001), Some(grant(1)));
        assert_eq!(store.redeem_code(&code, "c", 1002), None);
        let late = store.issue_code(grant(1), 1000);
        assert_eq!(store.redeem_code(&late, "c", 1000 + CODE_TTL_S), None);
        let other_client = store.issue_code(grant(1), 1000);
        assert_eq!(store.redeem_code(&other_client, "x", 1001), None);
    }

    #[test]
    fn refresh_rotates_and_old_access_survives() {
        let mut store = TokenStore::default();
        let first = store.issue(grant(7), 0, 100);
        let second = store.refresh(&first.refresh_token, "c", 10, 100).expect("rotates");
        assert_ne!(first.refresh_token, second.refresh_token);
        assert!(store.refresh(&first.refresh_token, "c", 11, 100).is_none());
        assert!(store.check_access(&first.access_token, 50).is_some());
        assert!(store.check_access(&first.access_token, 100).is_none());
        assert_eq!(store.check_access(&second.access_token, 100).map(|g| g.athlete_id), Some(7));
        assert_eq!(store.expire_access(Some(7), 20), 2);
        assert!(store.check_access(&second.access_token, 20).is_none());
        store.revoke(7, "c");
        assert!(store.refresh(&second.refresh_token, "c", 21, 100).is_none());
    }
}
