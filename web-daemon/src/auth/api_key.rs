//! API keys: `pk_live_` + 40 random base62 characters.
//!
//! Stored as (`key_prefix` = `pk_live_` + the first 6 random characters, SHA-256 of the whole
//! key). Validation looks candidates up by prefix and compares hashes in constant time.

use crate::store::Conn;
use pacer_shared::Secret;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AuthError, Principal};
use crate::store::{Store, StoreError, api_keys};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "pk_live_";
/// Random characters after the prefix.
pub const RANDOM_LEN: usize = 40;
/// Random characters kept in `key_prefix`.
pub const PREFIX_RANDOM_CHARS: usize = 6;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly generated key: the secret (shown once) and what gets stored.
pub struct GeneratedKey {
    pub secret: Secret,
    pub prefix: String,
    pub hash: [u8; 32],
}

/// `len` random base62 characters from the OS CSPRNG (keys, OAuth codes and tokens).
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect()
}

/// Generates a new key from the OS CSPRNG.
pub fn generate() -> GeneratedKey {
    let random = random_base62(RANDOM_LEN);
    let full = format!("{KEY_PREFIX}{random}");
    let prefix = format!("{KEY_PREFIX}{}", &random[..PREFIX_RANDOM_CHARS]);
    let hash = hash_key(&full);
    GeneratedKey { secret: Secret::new(full), prefix, hash }
}

/// SHA-256 of the whole key.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The lookup prefix of a well-formed key, or `None` when it cannot be a pacer key.
pub fn prefix_of(key: &str) -> Option<&str> {
    let random = key.strip_prefix(KEY_PREFIX)?;
    let well_formed = random.len() >= 32 && random.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then(|| &key[..KEY_PREFIX.len() + PREFIX_RANDOM_CHARS])
}

/// Validates `key` against the stored rows (synchronous; run it off the async runtime).
///
/// Unknown or malformed → `Unauthorized`; known but deactivated → `Forbidden`.
pub fn validate_with(conn: &Conn, key: &str) -> Result<Principal, AuthError> {
    let unauthorized = || AuthError::Unauthorized("invalid API key".into());
    let prefix = prefix_of(key).ok_or_else(unauthorized)?;
    let presented = hash_key(key);
    let mut matched = None;
    for candidate in api_keys::find_by_prefix(conn, prefix)? {
        // Compare every candidate so timing does not reveal which one matched.
        if bool::from(candidate.key_hash.as_slice().ct_eq(presented.as_slice())) {
            matched = Some(candidate);
        }
    }
    let key = matched.ok_or_else(unauthorized)?;
    if !key.is_active {
        return Err(AuthError::Forbidden("API key is deactivated".into()));
    }
    Ok(Principal { tenant_id: key.tenant_id, user_id: key.user_id, key_id: Some(key.id), tier: key.tier, grant: None })
}

/// Async [`validate_with`] through the store's pool, answered from the store's
/// [`KeyCache`](super::key_cache::KeyCache) when the key was validated moments ago.
pub async fn validate(store: &Store, key: &Secret) -> Result<Principal, AuthError> {
    let hash = hash_key(key.expose());
    if let Some(principal) = store.keys().get(&hash) {
        return Ok(principal);
    }
    let generation = store.keys().generation();
    let key = key.clone();
    let principal = store
        .call(move |c| Ok(validate_with(c, key.expose())))
        .await
        .map_err(|e: StoreError| AuthError::Internal(e.to_string()))??;
    store.keys().insert(hash, principal.clone(), generation);
    Ok(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_unique() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret.expose(), b.secret.expose());
        assert!(a.secret.expose().starts_with(KEY_PREFIX));
        assert_eq!(a.secret.expose().len(), KEY_PREFIX.len() + RANDOM_LEN);
        assert_eq!(prefix_of(a.secret.expose()), Some(a.prefix.as_str()));
        assert_eq!(a.prefix.len(), KEY_PREFIX.len() + PREFIX_RANDOM_CHARS);
        assert_eq!(hash_key(a.secret.expose()), a.hash);
    }

    #[test]
    fn malformed_keys_have_no_prefix() {
        assert_eq!(prefix_of("pk_live_short"), None);
        assert_eq!(prefix_of("sk_live_0123456789012345678901234567890123"), None);
        assert_eq!(prefix_of("pk_live_0123456789012345678901234567890!!"), None);
        assert_eq!(prefix_of(""), None);
    }
}
