//! The in-memory [`RateLimiter`]: governor's GCRA keyed limiters, one per tier and one for IPs.
//!
//! Each bucket holds `N` requests and refills one every `60 s / N` (governor's
//! `Quota::per_minute(N)`: burst `N`). State lives in this process only; see the module docs of
//! [`crate::limits`] for the Redis replacement when several daemons share load.
//!
//! Its decisions never wait: [`InMemoryLimiter::decide`] is synchronous and the trait's
//! `check` is a ready future around it.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use pacer_shared::Tier;

use super::{Decision, LimitKey, RateLimiter};
use crate::config::LimitSettings;

/// Forget idle buckets (full again, so indistinguishable from new ones) every this many checks.
const HOUSEKEEPING_EVERY: u64 = 4096;

type Keyed<K, C> = governor::RateLimiter<K, DashMapStateStore<K>, C, StateInformationMiddleware>;

/// One keyed limiter and the quota it enforces.
struct Bucket<K: std::hash::Hash + Eq + Clone, C: Clock + Clone> {
    limit: u32,
    refill_one: Duration,
    limiter: Keyed<K, C>,
}

impl<K: std::hash::Hash + Eq + Clone, C: Clock + Clone> Bucket<K, C> {
    fn new(per_minute: u32, clock: &C) -> Self {
        let limit = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(limit);
        let limiter = governor::RateLimiter::dashmap_with_clock(quota, clock.clone())
            .with_middleware::<StateInformationMiddleware>();
        Self { limit: limit.get(), refill_one: quota.replenish_interval(), limiter }
    }

    fn check(&self, key: &K, clock: &C) -> Decision {
        match self.limiter.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(self.limit);
                // GCRA: the bucket is full again once every taken token has been refilled.
                let until_full = self.refill_one * (self.limit - remaining);
                Decision {
                    allowed: true,
                    limit: self.limit,
                    remaining,
                    reset_epoch: epoch_after(until_full),
                    retry_after_s: 0,
                    unavailable: false,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(clock.now());
                let until_full = wait + self.refill_one * (self.limit - 1);
                Decision {
                    allowed: false,
                    limit: self.limit,
                    remaining: 0,
                    reset_epoch: epoch_after(until_full),
                    retry_after_s: ceil_secs(wait).max(1),
                    unavailable: false,
                }
            }
        }
    }

    fn retain_recent(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Token buckets in this process's memory (governor).
pub struct InMemoryLimiter<C: Clock + Clone = DefaultClock> {
    free: Bucket<String, C>,
    premium: Bucket<String, C>,
    enterprise: Bucket<String, C>,
    ip: Bucket<(IpAddr, &'static str), C>,
    clock: C,
    checks: AtomicU64,
}

impl InMemoryLimiter {
    /// Limits from configuration, on the real clock. A quota of 0 is treated as 1.
    pub fn new(settings: &LimitSettings) -> Self {
        Self::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock + Clone> InMemoryLimiter<C> {
    /// Limits on a given clock (tests pass governor's `FakeRelativeClock`).
    pub fn with_clock(settings: &LimitSettings, clock: C) -> Self {
        Self {
            free: Bucket::new(settings.free_per_minute, &clock),
            premium: Bucket::new(settings.premium_per_minute, &clock),
            enterprise: Bucket::new(settings.enterprise_per_minute, &clock),
            ip: Bucket::new(settings.ip_per_minute, &clock),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one token from `key`'s bucket if there is one (the trait's `check`, without the
    /// future).
    pub fn decide(&self, key: &LimitKey) -> Decision {
        if self.checks.fetch_add(1, Ordering::Relaxed) % HOUSEKEEPING_EVERY == HOUSEKEEPING_EVERY - 1 {
            self.retain_recent();
        }
        match key {
            LimitKey::ApiKey { key_id, tier } => {
                let bucket = match tier {
                    Tier::Free => &self.free,
                    Tier::Premium => &self.premium,
                    Tier::Enterprise => &self.enterprise,
                };
                bucket.check(key_id, &self.clock)
            }
            LimitKey::Ip { ip, scope } => self.ip.check(&(*ip, *scope), &self.clock),
        }
    }

    /// Drops buckets that are full again (they would behave exactly like new ones).
    pub fn retain_recent(&self) {
        self.free.retain_recent();
        self.premium.retain_recent();
        self.enterprise.retain_recent();
        self.ip.retain_recent();
    }
}

impl<C: Clock + Clone + Send + Sync> RateLimiter for InMemoryLimiter<C> {
    fn check<'a>(&'a self, key: &'a LimitKey) -> BoxFuture<'a, Decision> {
        Box::pin(std::future::ready(self.decide(key)))
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// UNIX seconds `d` from now, rounded up and at least one second ahead.
fn epoch_after(d: Duration) -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = ceil_secs(now + d).max(now.as_secs() + 1);
    i64::try_from(at).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn settings(free: u32) -> LimitSettings {
        LimitSettings { free_per_minute: free, premium_per_minute: 10, enterprise_per_minute: 20, ip_per_minute: 3 }
    }

    fn key(id: &str, tier: Tier) -> LimitKey {
        LimitKey::ApiKey { key_id: id.into(), tier }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn n_allowed_then_denied_with_remaining_counting_down() {
        let limiter = InMemoryLimiter::with_clock(&settings(5), FakeRelativeClock::default());
        let k = key("k1", Tier::Free);
        for expected in (0..5).rev() {
            let d = limiter.decide(&k);
            assert!(d.allowed);
            assert_eq!((d.limit, d.remaining, d.retry_after_s), (5, expected, 0));
            assert!(d.reset_epoch > now());
        }
        let d = limiter.decide(&k);
        assert!(!d.allowed);
        assert_eq!((d.limit, d.remaining), (5, 0));
        // One token refills every 12 s.
        assert_eq!(d.retry_after_s, 12);
        assert!(d.reset_epoch > now() + 55 && d.reset_epoch <= now() + 61, "{d:?}");
    }

    #[test]
    fn refills_over_time() {
        let clock = FakeRelativeClock::default();
        let limiter = InMemoryLimiter::with_clock(&settings(2), clock.clone());
        let k = key("k", Tier::Free);
        assert!(limiter.decide(&k).allowed);
        assert!(limiter.decide(&k).allowed);
        let denied = limiter.decide(&k);
        assert!(!denied.allowed);
        assert_eq!(denied.retry_after_s, 30);
        clock.advance(Duration::from_secs(10));
        assert_eq!(limiter.decide(&k).retry_after_s, 20);
        clock.advance(Duration::from_secs(20));
        let d = limiter.decide(&k);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        clock.advance(Duration::from_secs(120));
        assert_eq!(limiter.decide(&k).remaining, 1, "a long-idle bucket is full again");
    }

    #[test]
    fn separate_keys_tiers_and_ip_scopes_have_separate_buckets() {
        let limiter = InMemoryLimiter::with_clock(&settings(1), FakeRelativeClock::default());
        assert!(limiter.decide(&key("a", Tier::Free)).allowed);
        assert!(!limiter.decide(&key("a", Tier::Free)).allowed);
        assert!(limiter.decide(&key("b", Tier::Free)).allowed);
        let premium = limiter.decide(&key("a", Tier::Premium));
        assert!(premium.allowed);
        assert_eq!((premium.limit, premium.remaining), (10, 9));
        assert_eq!(limiter.decide(&key("a", Tier::Enterprise)).limit, 20);

        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let login = LimitKey::Ip { ip, scope: "login" };
        for _ in 0..3 {
            assert!(limiter.decide(&login).allowed);
        }
        assert!(!limiter.decide(&login).allowed);
        assert!(limiter.decide(&LimitKey::Ip { ip, scope: "oauth" }).allowed);
        assert!(limiter.decide(&LimitKey::Ip { ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), scope: "login" }).allowed);
    }

    #[test]
    fn reset_is_in_the_future_and_zero_quota_means_one() {
        let limiter = InMemoryLimiter::with_clock(&settings(0), FakeRelativeClock::default());
        let d = limiter.decide(&key("z", Tier::Free));
        assert!(d.allowed && d.limit == 1 && d.remaining == 0);
        assert!(d.reset_epoch > now());
        let d = limiter.decide(&key("z", Tier::Free));
        assert!(!d.allowed && d.retry_after_s == 60 && d.reset_epoch > now());
    }

    #[test]
    fn housekeeping_forgets_full_buckets_only() {
        let clock = FakeRelativeClock::default();
        let limiter = InMemoryLimiter::with_clock(&settings(2), clock.clone());
        limiter.decide(&key("busy", Tier::Free));
        limiter.decide(&key("busy", Tier::Free));
        clock.advance(Duration::from_secs(31));
        limiter.decide(&key("other", Tier::Free));
        clock.advance(Duration::from_secs(90));
        limiter.retain_recent();
        assert_eq!(limiter.free.limiter.len(), 0);
        limiter.decide(&key("busy", Tier::Free));
        limiter.retain_recent();
        assert_eq!(limiter.free.limiter.len(), 1);
    }

    #[test]
    fn usable_as_a_shared_trait_object() {
        let shared: std::sync::Arc<dyn RateLimiter> =
            std::sync::Arc::new(InMemoryLimiter::new(&LimitSettings::default()));
        let k = key("k", Tier::Free);
        let d = futures_util::FutureExt::now_or_never(shared.check(&k)).expect("ready at once");
        assert_eq!((d.limit, d.remaining), (100, 99));
    }
}
