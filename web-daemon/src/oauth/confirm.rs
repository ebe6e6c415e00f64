//! Confirmation of unbound connect links.
//!
//! A link from the MCP `connect_provider` tool, from `GET /oauth/{provider}/authorize` with
//! `Accept: application/json` or from `pacerd demo` is not bound to a browser: anyone may open
//! it. Its callback therefore connects at once only when the request carries a pacer session of
//! the link's own user (cookie or Bearer JWT); a session of another user is refused; without a
//! session the provider's code is held under a one-time confirmation token and the person is
//! shown which pacer account the link belongs to. Only a `POST /oauth/{provider}/confirm` carrying
//! that token — in the form and, for browsers, in the `pacer_oauth_confirm` cookie set with the
//! page (double submit, `SameSite=Strict`) — exchanges the code and stores the tokens.
//!
//! Pending confirmations live in the store (`pending_confirmations`,
//! [`crate::store::pending_flows`]), keyed by the SHA-256 of their token, with the provider's code
//! sealed by the [`TokenVault`] (AAD [`TokenAad::confirmation_code`]: the link's tenant, user and
//! provider), never in plaintext. So the confirmation may reach any replica behind the load
//! balancer, and a restart keeps it. Each lives at most [`CONFIRM_TTL_SECS`]; at most
//! [`MAX_PENDING`] are held (expired ones are dropped first, then the oldest); a token works once,
//! even when replicas race.

use pacer_shared::{ProviderId, Secret, TenantId, UserId};

use sha2::{Digest, Sha256};

use crate::store::pending_flows::{self, ConfirmationRow};
use crate::store::{Store, StoreError};
use crate::vault::{Sealed, TokenAad, TokenVault};

/// How long a person has to accept a connection after the provider's consent.
pub const CONFIRM_TTL_SECS: i64 = 600;
/// Most connections awaiting confirmation at once (over all replicas).
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

/// Seals `pending`'s code and holds it under `token`, making room when full.
pub async fn hold(
    store: &Store,
    vault: &TokenVault,
    token: &str,
    pending: PendingConfirmation,
    now: i64,
) -> Result<(), StoreError> {
    let PendingConfirmation { tenant_id, user_id, provider, code, scope, expires_at } = pending;
    let aad = TokenAad::confirmation_code(tenant_id.clone(), &user_id, provider);
    let Sealed { nonce, ciphertext } =
        vault.seal(&aad, code.expose().as_bytes()).map_err(|e| StoreError::Seal(format!("a provider code: {e}")))?;
    let row = ConfirmationRow {
        tenant_id,
        user_id,
        provider,
        code_nonce: nonce,
        code_ciphertext: ciphertext,
        scope,
        expires_at,
    };
    let hash = token_hash(token);
    store.call(move |c| pending_flows::hold_confirmation(c, &hash, &row, MAX_PENDING, now)).await
}

/// Removes and returns the live confirmation for `token` with its code opened (a token works
/// once). A row whose code does not open (another master key, or its tenant, user or provider
/// changed) counts as unknown.
pub async fn take(
    store: &Store,
    vault: &TokenVault,
    token: &str,
    now: i64,
) -> Result<Option<PendingConfirmation>, StoreError> {
    let hash = token_hash(token);
    let Some(row) = store.call(move |c| pending_flows::take_confirmation(c, &hash, now)).await? else {
        return Ok(None);
    };
    let ConfirmationRow { tenant_id, user_id, provider, code_nonce, code_ciphertext, scope, expires_at } = row;
    let aad = TokenAad::confirmation_code(tenant_id.clone(), &user_id, provider);
    let opened = vault
        .open(&aad, &Sealed { nonce: code_nonce, ciphertext: code_ciphertext })
        .ok()
        .and_then(|plain| String::from_utf8(plain).ok());
    let Some(code) = opened else {
        tracing::warn!(tenant = %tenant_id, user = %user_id, %provider, "a held provider code does not open; confirmation refused");
        return Ok(None);
    };
    Ok(Some(PendingConfirmation { tenant_id, user_id, provider, code: Secret::new(code), scope, expires_at }))
}

/// SHA-256 of a one-time value (states, binding nonces, confirmation tokens): only hashes are kept.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{params, tenants, users};

    struct Book {
        _dir: tempfile::TempDir,
        store: Store,
        vault: TokenVault,
        tenant: TenantId,
        user: UserId,
    }

    /// A store with the tenant and user the confirmations belong to.
    fn book() -> Book {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("pacer.db")).expect("open");
        store.migrate().expect("migrate");
        let conn = store.conn().expect("conn");
        let tenant = tenants::get_or_create(&conn, "acme").expect("tenant").id;
        let user = users::create(&conn, &tenant, "ada@example.com", None).expect("user").info.id;
        Book { _dir: dir, store, vault: TokenVault::from_key([7; 32]), tenant, user }
    }

    impl Book {
        fn pending(&self, expires_at: i64) -> PendingConfirmation {
            PendingConfirmation {
                tenant_id: self.tenant.clone(),
                user_id: self.user.clone(),
                provider: ProviderId::Strava,
                code: Secret::new("the-provider-code".into()),
                scope: Some("read".into()),
                expires_at,
            }
        }

        fn held(&self) -> i64 {
            let conn = self.store.conn().expect("conn");
            conn.query_row("SELECT COUNT(*) FROM pending_confirmations", params![], |r| r.get(0)).expect("count")
        }
    }

    #[tokio::test]
    async fn a_token_works_once_and_not_after_expiry() {
        let b = book();
        hold(&b.store, &b.vault, "a", b.pending(100), 0).await.expect("hold");
        assert!(take(&b.store, &b.vault, "b", 0).await.expect("take").is_none());
        let taken = take(&b.store, &b.vault, "a", 0).await.expect("take").expect("held");
        assert_eq!((taken.code.expose(), taken.scope.as_deref()), ("the-provider-code", Some("read")));
        assert_eq!((&taken.tenant_id, &taken.user_id), (&b.tenant, &b.user));
        assert!(take(&b.store, &b.vault, "a", 0).await.expect("take").is_none(), "spent");
        hold(&b.store, &b.vault, "c", b.pending(100), 0).await.expect("hold");
        assert!(take(&b.store, &b.vault, "c", 100).await.expect("take").is_none(), "expired");
    }

    #[tokio::test]
    async fn the_code_is_stored_sealed_for_its_owner_only() {
        let b = book();
        hold(&b.store, &b.vault, "a", b.pending(100), 0).await.expect("hold");
        let hash = token_hash("a");
        let row =
            b.store.call(move |c| pending_flows::take_confirmation(c, &hash, 0)).await.expect("take").expect("row");
        let stored = [row.code_nonce.as_slice(), row.code_ciphertext.as_slice()].concat();
        assert!(!stored.windows(17).any(|w| w == b"the-provider-code"), "never in plaintext");
        let sealed = Sealed { nonce: row.code_nonce, ciphertext: row.code_ciphertext };
        let own = TokenAad::confirmation_code(b.tenant.clone(), &b.user, ProviderId::Strava);
        assert_eq!(b.vault.open(&own, &sealed).expect("opens for its owner"), b"the-provider-code");
        let token_row = TokenAad::new(b.tenant.clone(), b.user.clone(), ProviderId::Strava);
        assert!(b.vault.open(&token_row, &sealed).is_err(), "not as a provider token row");
        let other_user =
            TokenAad::confirmation_code(b.tenant.clone(), &UserId::new("someone-else"), ProviderId::Strava);
        assert!(b.vault.open(&other_user, &sealed).is_err(), "not for another user");
    }

    #[tokio::test]
    async fn a_code_sealed_under_another_key_is_refused_and_spent() {
        let b = book();
        hold(&b.store, &TokenVault::from_key([8; 32]), "a", b.pending(100), 0).await.expect("hold");
        assert!(take(&b.store, &b.vault, "a", 0).await.expect("take").is_none());
        assert_eq!(b.held(), 0);
    }

    #[tokio::test]
    async fn stays_bounded() {
        let b = book();
        for i in 0..(MAX_PENDING as i64 + 10) {
            hold(&b.store, &b.vault, &format!("t{i}"), b.pending(1000 + i), 0).await.expect("hold");
        }
        assert_eq!(b.held(), MAX_PENDING as i64);
        assert!(take(&b.store, &b.vault, "t0", 0).await.expect("take").is_none(), "the oldest made room");
        assert!(take(&b.store, &b.vault, &format!("t{}", MAX_PENDING + 9), 0).await.expect("take").is_some());
    }
}
