//! Refresh policy for [`TokenService`](super::TokenService): when a token needs refreshing,
//! what to do once the per-key lock is held, and the per-(tenant, user, provider) locks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use pacer_shared::{ProviderId, TenantId, UserId};

/// Tokens expiring within this many seconds are refreshed before use.
pub const REFRESH_MARGIN_S: i64 = 300;

/// What to do after taking the refresh lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshDecision {
    /// Use the tokens now stored (another task refreshed them, or they are still good).
    UseCurrent,
    /// Call the provider's refresh.
    Refresh,
}

/// True when a token expiring at `expires_at` should be refreshed at `now` (epoch seconds).
pub(crate) fn needs_refresh(expires_at: i64, now: i64) -> bool {
    expires_at.saturating_sub(now) < REFRESH_MARGIN_S
}

/// Decides under the lock. `changed`: the stored row differs from the one the caller saw
/// (someone refreshed or reconnected meanwhile). `forced`: the provider rejected the token.
pub(crate) fn refresh_decision(changed: bool, forced: bool, expires_at: i64, now: i64) -> RefreshDecision {
    let refresh = if changed { expires_at <= now } else { forced || needs_refresh(expires_at, now) };
    if refresh { RefreshDecision::Refresh } else { RefreshDecision::UseCurrent }
}

/// (tenant, user, provider).
pub(crate) type LockKey = (TenantId, UserId, ProviderId);

/// One async mutex per (tenant, user, provider); idle entries are pruned.
#[derive(Debug, Default)]
pub(crate) struct RefreshLocks {
    map: Mutex<HashMap<LockKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl RefreshLocks {
    /// The lock for `key`, shared by everyone asking for the same key while it is in use.
    pub(crate) fn get(&self, key: LockKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        // Entries only the map holds are idle: nobody holds or waits for them.
        map.retain(|_, lock| Arc::strong_count(lock) > 1);
        map.entry(key).or_default().clone()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        use RefreshDecision::{Refresh, UseCurrent};
        let now = 1_000_000;
        assert!(needs_refresh(now + 299, now));
        assert!(!needs_refresh(now + 300, now));
        assert_eq!(refresh_decision(false, false, now + 3600, now), UseCurrent);
        assert_eq!(refresh_decision(false, false, now + 60, now), Refresh);
        assert_eq!(refresh_decision(false, true, now + 3600, now), Refresh, "rejected token, nobody refreshed");
        assert_eq!(refresh_decision(true, true, now + 3600, now), UseCurrent, "another task refreshed");
        assert_eq!(refresh_decision(true, false, now + 60, now), UseCurrent, "fresh but short-lived");
        assert_eq!(refresh_decision(true, false, now, now), Refresh, "changed but already expired");
    }

    #[test]
    fn locks_are_shared_per_key_and_pruned() {
        let locks = RefreshLocks::default();
        let key = |u: &str| (TenantId::new("t"), UserId::new(u), ProviderId::Strava);
        let a = locks.get(key("a"));
        assert!(Arc::ptr_eq(&a, &locks.get(key("a"))));
        let b = locks.get(key("b"));
        assert!(!Arc::ptr_eq(&a, &b));
        drop((a, b));
        let _c = locks.get(key("c"));
        assert_eq!(locks.len(), 1, "idle entries are pruned");
    }
}
