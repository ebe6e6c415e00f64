//! Validated API keys, held briefly so the authenticated hot path reads no database.
//!
//! - An entry is keyed by the SHA-256 of the presented key (the secret itself is never held)
//!   and lives [`TTL`]. Only successful validations are cached: an unknown or deactivated key
//!   is looked up every time.
//! - A revocation made through this daemon (the web page, the API, `pacerd keys revoke`) calls
//!   [`KeyCache::forget`], which drops the key at once, so the very next request is refused. A
//!   revocation written to the database by anyone else (another daemon sharing the database)
//!   is seen within [`TTL`]; see ARCHITECTURE.md, "The authenticated hot path".
//! - `last_used_at` is stamped at most once per [`TOUCH_EVERY`] per key ([`KeyCache::touch_due`]).
//! - A store read that raced a revocation cannot re-admit the key: answers are stored only
//!   when no [`KeyCache::forget`] happened since the read began ([`KeyCache::generation`]).
//! - A user's key list and key-tier allowance (`GET /api/keys/list`) is held [`TTL`] too
//!   ([`KeyCache::list`]). Every write that changes what the list shows (create, revoke by the
//!   user or an administrator, allowance change, `last_used_at` stamp) calls
//!   [`KeyCache::forget_user`], the one invalidation per user, after it commits; the same
//!   generation counter keeps a list read that raced such a write from being stored.
//! - Every map is bounded by [`MAX_ENTRIES`]; when full, expired entries go first, then all.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use pacer_shared::{KeyInfo, TenantId, Tier, UserId};

use super::Principal;

/// How long a validation (or an "is active" answer) is trusted without asking the store.
pub const TTL: Duration = Duration::from_secs(5);
/// `last_used_at` is stamped at most this often per key.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Most keys held in each map.
pub const MAX_ENTRIES: usize = 10_000;

/// A user's key-tier allowance and keys, newest first, as `GET /api/keys/list` shows them.
pub type KeyList = (Tier, Vec<KeyInfo>);

/// See the module docs. Cheap to share; every method takes a short lock.
#[derive(Default)]
pub struct KeyCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Bumped by every [`KeyCache::forget`] and [`KeyCache::forget_user`].
    generation: u64,
    /// SHA-256 of the key → who it authenticates, since when.
    by_hash: HashMap<[u8; 32], (Principal, Instant)>,
    /// Key id → when the store last said it was active.
    active: HashMap<String, Instant>,
    /// Key id → when `last_used_at` was last stamped.
    touched: HashMap<String, Instant>,
    /// (tenant, user) → their key list, since when.
    lists: HashMap<(String, String), (KeyList, Instant)>,
}

impl KeyCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The principal of a key validated less than [`TTL`] ago.
    pub fn get(&self, hash: &[u8; 32]) -> Option<Principal> {
        let now = Instant::now();
        self.lock().by_hash.get(hash).filter(|(_, at)| now.duration_since(*at) < TTL).map(|(p, _)| p.clone())
    }

    /// Take this before reading the store; pass it to [`Self::insert`] / [`Self::mark_active`] /
    /// [`Self::insert_list`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Remembers a successful validation read at `generation`.
    pub fn insert(&self, hash: [u8; 32], principal: Principal, generation: u64) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if let Some(id) = &principal.key_id {
            insert_bounded(&mut inner.active, id.clone(), now, TTL);
        }
        insert_bounded(&mut inner.by_hash, hash, (principal, now), TTL);
    }

    /// Whether the store said less than [`TTL`] ago that `key_id` is active.
    pub fn recently_active(&self, key_id: &str) -> bool {
        let now = Instant::now();
        self.lock().active.get(key_id).is_some_and(|at| now.duration_since(*at) < TTL)
    }

    /// Records that the store said `key_id` is active in a read begun at `generation`.
    pub fn mark_active(&self, key_id: &str, generation: u64) {
        let mut inner = self.lock();
        if inner.generation == generation {
            insert_bounded(&mut inner.active, key_id.to_owned(), Instant::now(), TTL);
        }
    }

    /// Whether `last_used_at` of `key_id` should be stamped now (at most once per
    /// [`TOUCH_EVERY`]); a `true` answer counts as the stamp.
    pub fn touch_due(&self, key_id: &str) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.touched.get(key_id).is_some_and(|at| now.duration_since(*at) < TOUCH_EVERY) {
            return false;
        }
        insert_bounded(&mut inner.touched, key_id.to_owned(), now, TOUCH_EVERY);
        true
    }

    /// Drops everything known about `key_id` (call after deactivating it).
    pub fn forget(&self, key_id: &str) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.by_hash.retain(|_, (p, _)| p.key_id.as_deref() != Some(key_id));
        inner.active.remove(key_id);
    }

    /// Drops every validated key (a replica that may have missed invalidations calls this).
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.by_hash.clear();
        inner.active.clear();
        inner.lists.clear();
    }

    /// The key list of (`tenant`, `user`) read less than [`TTL`] ago.
    pub fn list(&self, tenant: &TenantId, user: &UserId) -> Option<KeyList> {
        let now = Instant::now();
        let key = user_key(tenant, user);
        self.lock().lists.get(&key).filter(|(_, at)| now.duration_since(*at) < TTL).map(|(l, _)| l.clone())
    }

    /// Remembers the key list of (`tenant`, `user`) read at `generation`.
    pub fn insert_list(&self, tenant: &TenantId, user: &UserId, list: KeyList, generation: u64) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.generation == generation {
            insert_bounded(&mut inner.lists, user_key(tenant, user), (list, now), TTL);
        }
    }

    /// Drops the cached key list of (`tenant`, `user`): the one invalidation every write that
    /// changes what the list shows calls after it committed (and the one a shared-database
    /// deployment must broadcast to every replica).
    pub fn forget_user(&self, tenant: &TenantId, user: &UserId) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.lists.remove(&user_key(tenant, user));
    }
}

/// The key of a user's list: tenant and user together, so one tenant never reads another's.
fn user_key(tenant: &TenantId, user: &UserId) -> (String, String) {
    (tenant.as_str().to_owned(), user.as_str().to_owned())
}

/// Inserts into a map of at most [`MAX_ENTRIES`]: when full, entries older than `ttl` are
/// dropped first, and if none were, the whole map (a cache miss only costs a store read).
fn insert_bounded<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V, ttl: Duration)
where
    V: Stamped,
{
    if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
        let now = Instant::now();
        map.retain(|_, v| now.duration_since(v.stamp()) < ttl);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
    map.insert(key, value);
}

/// A value carrying the instant it was stored.
trait Stamped {
    fn stamp(&self) -> Instant;
}

impl Stamped for Instant {
    fn stamp(&self) -> Instant {
        *self
    }
}

impl<T> Stamped for (T, Instant) {
    fn stamp(&self) -> Instant {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use pacer_shared::{TenantId, Tier, UserId};

    use super::*;

    fn principal(key: &str) -> Principal {
        Principal {
            tenant_id: TenantId::new("t".to_owned()),
            user_id: UserId::new("u".to_owned()),
            key_id: Some(key.to_owned()),
            tier: Tier::Free,
            grant: None,
        }
    }

    #[test]
    fn a_validated_key_is_served_until_forgotten() {
        let cache = KeyCache::default();
        assert_eq!(cache.get(&[1; 32]), None);
        cache.insert([1; 32], principal("k1"), cache.generation());
        cache.insert([2; 32], principal("k2"), cache.generation());
        assert_eq!(cache.get(&[1; 32]), Some(principal("k1")));
        assert!(cache.recently_active("k1"));
        cache.forget("k1");
        assert_eq!(cache.get(&[1; 32]), None);
        assert!(!cache.recently_active("k1"));
        assert_eq!(cache.get(&[2; 32]), Some(principal("k2")), "other keys stay");
    }

    #[test]
    fn a_read_that_raced_a_revocation_is_not_kept() {
        let cache = KeyCache::default();
        let before = cache.generation();
        cache.forget("k1");
        cache.insert([1; 32], principal("k1"), before);
        cache.mark_active("k1", before);
        assert_eq!(cache.get(&[1; 32]), None);
        assert!(!cache.recently_active("k1"));
    }

    fn list(name: &str) -> KeyList {
        let key = KeyInfo {
            id: name.to_owned(),
            name: name.to_owned(),
            description: None,
            tier: Tier::Free,
            key_prefix: "pk_x".to_owned(),
            created_at: "2026-01-01T00:00:00Z".to_owned(),
            last_used_at: None,
            is_active: true,
        };
        (Tier::Free, vec![key])
    }

    #[test]
    fn a_key_list_is_served_until_its_user_is_forgotten() {
        let cache = KeyCache::default();
        let (t, u, v) = (TenantId::new("t".to_owned()), UserId::new("u".to_owned()), UserId::new("v".to_owned()));
        let other_tenant = TenantId::new("t2".to_owned());
        assert_eq!(cache.list(&t, &u), None);
        cache.insert_list(&t, &u, list("a"), cache.generation());
        cache.insert_list(&t, &v, list("b"), cache.generation());
        assert_eq!(cache.list(&t, &u), Some(list("a")));
        assert_eq!(cache.list(&other_tenant, &u), None, "the tenant is part of the key");
        cache.forget_user(&t, &u);
        assert_eq!(cache.list(&t, &u), None);
        assert_eq!(cache.list(&t, &v), Some(list("b")), "other users stay");
    }

    #[test]
    fn a_list_read_that_raced_a_write_is_not_kept() {
        let cache = KeyCache::default();
        let (t, u) = (TenantId::new("t".to_owned()), UserId::new("u".to_owned()));
        let before = cache.generation();
        cache.forget_user(&t, &u);
        cache.insert_list(&t, &u, list("stale"), before);
        assert_eq!(cache.list(&t, &u), None);
    }

    #[test]
    fn touch_is_due_once_per_period() {
        let cache = KeyCache::default();
        assert!(cache.touch_due("k"));
        assert!(!cache.touch_due("k"));
        assert!(cache.touch_due("other"));
    }

    #[test]
    fn maps_stay_bounded() {
        let cache = KeyCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            cache.mark_active(&i.to_string(), 0);
        }
        assert!(cache.lock().active.len() <= MAX_ENTRIES);
        assert!(cache.recently_active(&(MAX_ENTRIES + 9).to_string()), "the newest entry is kept");
    }
}
