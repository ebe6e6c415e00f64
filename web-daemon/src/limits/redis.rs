//! The Redis [`RateLimiter`]: the same GCRA as [`super::InMemoryLimiter`], computed atomically
//! by one Lua script in Redis, so every daemon naming the same Redis shares every bucket.
//!
//! - **One round trip per decision**: `EVALSHA` of [`GCRA_LUA`] (the `redis` crate's [`Script`]
//!   loads it once on `NOSCRIPT`). The script reads Redis's own `TIME`, so daemons with skewed
//!   clocks agree on every bucket, and `reset_epoch` is on Redis's clock too.
//! - **Keys** `pacer:rl:{k:<tier>:<key id>}` and `pacer:rl:{ip:<scope>:<ip>}` hold the bucket's
//!   theoretical arrival time (µs); each expires when its bucket is full again, so idle buckets
//!   cost nothing. The braces are a Redis Cluster hash tag.
//! - **Bounded wait**: a decision that Redis has not answered within [`DECISION_TIMEOUT`]
//!   (connection, reconnection or reply) is taken without it, by scope:
//!   per-IP scopes (login, OAuth) **fail closed** (`unavailable`, 503 + `Retry-After`), API keys
//!   and OAuth grants (HTTP API, MCP) **fail open** with a warning logged at most every
//!   [`WARN_EVERY`]. After a failure, Redis is asked again after [`OUTAGE_BACKOFF`] (decisions
//!   in between answer by the policy at once); the connection manager reconnects, so limits
//!   apply again as soon as Redis answers.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use pacer_shared::{Secret, Tier};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};

use super::{Decision, LimitKey, RateLimiter};
use crate::config::LimitSettings;

/// Longest a decision waits for Redis before the scope's failure policy answers instead.
pub const DECISION_TIMEOUT: Duration = Duration::from_millis(250);

/// `Retry-After` of a fail-closed refusal while Redis is unreachable.
pub const FAIL_CLOSED_RETRY_S: u64 = 5;

/// At most one "Redis unreachable" warning per this long (with the count of failed decisions).
pub const WARN_EVERY: Duration = Duration::from_secs(30);

/// After a failed decision, decisions skip Redis (and answer by the failure policy at once) for
/// this long; then one asks again. Bounds the cost of an outage to one slow decision a second.
pub const OUTAGE_BACKOFF: Duration = Duration::from_secs(1);

/// The key prefix of every bucket.
pub const KEY_PREFIX: &str = "pacer:rl:";

/// GCRA on one key. `KEYS[1]` the bucket; `ARGV[1]` the limit (burst), `ARGV[2]` the emission
/// interval in µs (60 s / limit). Stores the theoretical arrival time (TAT, µs on Redis's clock)
/// with a TTL until the bucket is full again. Returns `{allowed, remaining, until_full_us,
/// retry_us, now_us}`. Same arithmetic as governor's GCRA, so both limiters answer alike.
pub const GCRA_LUA: &str = r"
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local tau = interval * limit
local new_tat = tat + interval
local allow_at = new_tat - tau
if now < allow_at then
  return {0, 0, tat - now, allow_at - now, now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.floor((new_tat - now) / 1000) + 1)
local remaining = math.floor((tau - (new_tat - now)) / interval)
return {1, remaining, new_tat - now, 0, now}
";

/// Rate-limit buckets in Redis, shared by every daemon that uses the same Redis (and database).
pub struct RedisLimiter {
    conn: ConnectionManager,
    script: Script,
    settings: LimitSettings,
    prefix: String,
    outage: Outage,
}

impl RedisLimiter {
    /// A limiter on the Redis at `url` (connects lazily, reconnects by itself). Must be called
    /// inside a Tokio runtime. Fails only on a malformed URL; the error does not repeat it.
    pub fn new(url: &Secret, settings: &LimitSettings) -> anyhow::Result<Self> {
        Self::with_prefix(url, settings, KEY_PREFIX)
    }

    /// The same with another key prefix (tests sharing one Redis use one prefix each).
    pub fn with_prefix(url: &Secret, settings: &LimitSettings, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose().trim())
            .map_err(|e| anyhow::anyhow!("invalid redis_url ({:?})", e.kind()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DECISION_TIMEOUT))
            .set_response_timeout(Some(DECISION_TIMEOUT))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("cannot set up the Redis connection ({:?})", e.kind()))?;
        Ok(Self {
            conn,
            script: Script::new(GCRA_LUA),
            settings: settings.clone(),
            prefix: prefix.to_string(),
            outage: Outage::default(),
        })
    }

    /// The Redis key of `key`'s bucket.
    pub fn redis_key(&self, key: &LimitKey) -> String {
        match key {
            LimitKey::ApiKey { key_id, tier } => format!("{}{{k:{}:{key_id}}}", self.prefix, tier.as_str()),
            LimitKey::Ip { ip, scope } => format!("{}{{ip:{scope}:{ip}}}", self.prefix),
        }
    }

    fn limit_of(&self, key: &LimitKey) -> u32 {
        let per_minute = match key {
            LimitKey::ApiKey { tier: Tier::Free, .. } => self.settings.free_per_minute,
            LimitKey::ApiKey { tier: Tier::Premium, .. } => self.settings.premium_per_minute,
            LimitKey::ApiKey { tier: Tier::Enterprise, .. } => self.settings.enterprise_per_minute,
            LimitKey::Ip { .. } => self.settings.ip_per_minute,
        };
        per_minute.max(1)
    }

    /// One decision from Redis, or the failure policy's when Redis does not answer in time.
    async fn decide(&self, key: &LimitKey) -> Decision {
        let limit = self.limit_of(key);
        let interval_us = (60_000_000 / u64::from(limit)).max(1);
        if self.outage.backing_off() {
            return self.unreachable(key, limit, interval_us, "Redis failed moments ago");
        }
        let redis_key = self.redis_key(key);
        let mut conn = self.conn.clone();
        let mut call = self.script.key(&redis_key);
        call.arg(limit).arg(interval_us);
        let answer: Result<RedisResult<Reply>, _> =
            tokio::time::timeout(DECISION_TIMEOUT, call.invoke_async(&mut conn)).await;
        match answer {
            Ok(Ok(reply)) => {
                self.outage.recovered();
                from_reply(limit, reply)
            }
            Ok(Err(e)) => self.unreachable(key, limit, interval_us, &e.to_string()),
            Err(_) => self.unreachable(key, limit, interval_us, "no answer within 250 ms"),
        }
    }

    /// The decision while Redis is unreachable: closed for per-IP scopes, open for credentials.
    fn unreachable(&self, key: &LimitKey, limit: u32, interval_us: u64, why: &str) -> Decision {
        let fail_closed = matches!(key, LimitKey::Ip { .. });
        self.outage.failed(why);
        let now = chrono::Utc::now().timestamp();
        if fail_closed {
            Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset_epoch: now + FAIL_CLOSED_RETRY_S as i64,
                retry_after_s: FAIL_CLOSED_RETRY_S,
                unavailable: true,
            }
        } else {
            // As if the bucket were fresh: one token taken, full again one interval from now.
            Decision {
                allowed: true,
                limit,
                remaining: limit - 1,
                reset_epoch: now + i64::try_from(interval_us.div_ceil(1_000_000)).unwrap_or(60).max(1),
                retry_after_s: 0,
                unavailable: false,
            }
        }
    }
}

impl RateLimiter for RedisLimiter {
    fn check<'a>(&'a self, key: &'a LimitKey) -> BoxFuture<'a, Decision> {
        Box::pin(self.decide(key))
    }
}

/// `url` for logs: user name and password removed (`redis://***@host:port/db`).
pub fn without_password(url: &Secret) -> String {
    match url::Url::parse(url.expose().trim()) {
        Ok(mut u) => {
            let had_credentials = !u.username().is_empty() || u.password().is_some();
            let _ = u.set_password(None);
            let _ = u.set_username("");
            let text = u.to_string();
            match (had_credentials, text.split_once("://")) {
                (true, Some((scheme, rest))) => format!("{scheme}://***@{rest}"),
                _ => text,
            }
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

/// The script's `{allowed, remaining, until_full_us, retry_us, now_us}`.
type Reply = (i64, i64, i64, i64, i64);

/// A [`Decision`] from the script's [`Reply`].
fn from_reply(limit: u32, (allowed, remaining, until_full_us, retry_us, now_us): Reply) -> Decision {
    let ceil_s = |us: i64| (us.max(0) + 999_999) / 1_000_000;
    let now_s = now_us.div_euclid(1_000_000);
    Decision {
        allowed: allowed == 1,
        limit,
        remaining: u32::try_from(remaining.clamp(0, i64::from(limit))).unwrap_or(0),
        reset_epoch: ceil_s(now_us + until_full_us).max(now_s + 1),
        retry_after_s: if allowed == 1 { 0 } else { u64::try_from(ceil_s(retry_us)).unwrap_or(1).max(1) },
        unavailable: false,
    }
}

/// Counts decisions taken without Redis and logs about them at most every [`WARN_EVERY`].
#[derive(Default)]
struct Outage {
    failed: AtomicU64,
    last_warn: Mutex<Option<Instant>>,
    retry_at: Mutex<Option<Instant>>,
}

impl Outage {
    /// Whether Redis failed less than [`OUTAGE_BACKOFF`] ago.
    fn backing_off(&self) -> bool {
        let retry_at = self.retry_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        retry_at.is_some_and(|at| Instant::now() < at)
    }

    fn failed(&self, why: &str) {
        let count = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
        {
            let mut retry_at = self.retry_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if retry_at.is_none_or(|at| Instant::now() >= at) {
                *retry_at = Some(Instant::now() + OUTAGE_BACKOFF);
            }
        }
        let mut last = self.last_warn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            tracing::warn!(
                error = why,
                failed_decisions = count,
                "Redis rate limiter unreachable: per-IP login/OAuth limits fail closed (503), \
                 API keys and MCP fail open (not limited) until it answers again"
            );
        }
    }

    fn recovered(&self) {
        if self.failed.load(Ordering::Relaxed) == 0 {
            return;
        }
        let count = self.failed.swap(0, Ordering::Relaxed);
        *self.retry_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        if count > 0 {
            *self.last_warn.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            tracing::warn!(failed_decisions = count, "Redis rate limiter reachable again; limits shared again");
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a real Redis: `PACER_TEST_REDIS_URL` (from `scripts/redis-instance start DIR`).
    //! Each test has its own key prefix, so tests share one Redis in parallel.

    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    /// The test Redis; a test without one fails, saying how to start it.
    pub(crate) fn test_url() -> Secret {
        match std::env::var("PACER_TEST_REDIS_URL") {
            Ok(url) if !url.trim().is_empty() => Secret::new(url),
            _ => panic!(
                "PACER_TEST_REDIS_URL is not set: run `export PACER_TEST_REDIS_URL=$(scripts/redis-instance start \
                 /tmp/pacer-redis)` first"
            ),
        }
    }

    fn settings(free: u32) -> LimitSettings {
        LimitSettings { free_per_minute: free, premium_per_minute: 10, enterprise_per_minute: 20, ip_per_minute: 3 }
    }

    fn limiter(free: u32) -> RedisLimiter {
        let prefix = format!("pacer:test:{}:", uuid::Uuid::new_v4());
        RedisLimiter::with_prefix(&test_url(), &settings(free), &prefix).expect("limiter")
    }

    fn key(id: &str, tier: Tier) -> LimitKey {
        LimitKey::ApiKey { key_id: id.into(), tier }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    /// Moves `key`'s bucket `secs` into the past, as if that much time had gone by.
    async fn age(l: &RedisLimiter, key: &LimitKey, secs: i64) {
        let mut conn = l.conn.clone();
        let _: i64 = redis::cmd("DECRBY")
            .arg(l.redis_key(key))
            .arg(secs * 1_000_000)
            .query_async(&mut conn)
            .await
            .expect("DECRBY");
    }

    #[tokio::test]
    async fn burst_then_denied_with_remaining_counting_down() {
        let l = limiter(5);
        let k = key("k1", Tier::Free);
        for expected in (0..5).rev() {
            let d = l.check(&k).await;
            assert!(d.allowed && !d.unavailable, "{d:?}");
            assert_eq!((d.limit, d.remaining, d.retry_after_s), (5, expected, 0));
            assert!(d.reset_epoch > now() - 1, "{d:?}");
        }
        let d = l.check(&k).await;
        assert!(!d.allowed && !d.unavailable, "{d:?}");
        assert_eq!((d.limit, d.remaining), (5, 0));
        assert_eq!(d.retry_after_s, 12, "one token refills every 12 s");
        assert!(d.reset_epoch > now() + 55 && d.reset_epoch <= now() + 62, "{d:?}");
        let mut conn = l.conn.clone();
        let ttl: i64 = redis::cmd("PTTL").arg(l.redis_key(&k)).query_async(&mut conn).await.expect("PTTL");
        assert!(ttl > 0 && ttl <= 61_000, "the bucket expires once full again: {ttl} ms");
    }

    #[tokio::test]
    async fn refills_over_time_and_retry_after_shrinks() {
        let l = limiter(2);
        let k = key("k", Tier::Free);
        assert!(l.check(&k).await.allowed);
        assert!(l.check(&k).await.allowed);
        let denied = l.check(&k).await;
        assert!(!denied.allowed);
        assert_eq!(denied.retry_after_s, 30);
        age(&l, &k, 10).await;
        assert_eq!(l.check(&k).await.retry_after_s, 20);
        age(&l, &k, 20).await;
        let d = l.check(&k).await;
        assert!(d.allowed, "{d:?}");
        assert_eq!(d.remaining, 0);
        age(&l, &k, 120).await;
        assert_eq!(l.check(&k).await.remaining, 1, "a long-idle bucket is full again");
    }

    #[tokio::test]
    async fn separate_keys_tiers_and_ip_scopes_have_separate_buckets() {
        let l = limiter(1);
        assert!(l.check(&key("a", Tier::Free)).await.allowed);
        assert!(!l.check(&key("a", Tier::Free)).await.allowed);
        assert!(l.check(&key("b", Tier::Free)).await.allowed);
        let premium = l.check(&key("a", Tier::Premium)).await;
        assert!(premium.allowed);
        assert_eq!((premium.limit, premium.remaining), (10, 9));
        assert_eq!(l.check(&key("a", Tier::Enterprise)).await.limit, 20);

        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let login = LimitKey::Ip { ip, scope: "login" };
        for _ in 0..3 {
            assert!(l.check(&login).await.allowed);
        }
        assert!(!l.check(&login).await.allowed);
        assert!(l.check(&LimitKey::Ip { ip, scope: "oauth" }).await.allowed);
        assert!(l.check(&LimitKey::Ip { ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), scope: "login" }).await.allowed);
    }

    #[tokio::test]
    async fn two_limiters_on_one_redis_share_a_bucket() {
        let a = limiter(4);
        let b = RedisLimiter::with_prefix(&test_url(), &settings(4), &a.prefix).expect("limiter");
        let k = key("shared", Tier::Free);
        let mut remaining = Vec::new();
        for i in 0..4 {
            let d = if i % 2 == 0 { a.check(&k).await } else { b.check(&k).await };
            assert!(d.allowed);
            remaining.push(d.remaining);
        }
        assert_eq!(remaining, [3, 2, 1, 0], "one bucket, counted down across both");
        assert!(!b.check(&k).await.allowed && !a.check(&k).await.allowed);
    }

    #[tokio::test]
    async fn matches_the_in_memory_limiter_decision_for_decision() {
        let redis = limiter(3);
        let memory = super::super::InMemoryLimiter::new(&settings(3));
        let k = key("same", Tier::Free);
        for _ in 0..5 {
            let (r, m) = (redis.check(&k).await, memory.decide(&k));
            assert_eq!(
                (r.allowed, r.limit, r.remaining, r.retry_after_s),
                (m.allowed, m.limit, m.remaining, m.retry_after_s)
            );
            assert!((r.reset_epoch - m.reset_epoch).abs() <= 1, "{r:?} vs {m:?}");
        }
    }

    #[tokio::test]
    async fn unreachable_redis_fails_closed_per_ip_and_open_for_keys() {
        // Nothing listens on port 1.
        let l = RedisLimiter::new(&Secret::new("redis://127.0.0.1:1/0".into()), &settings(5)).expect("limiter");
        let login = LimitKey::Ip { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), scope: "login" };
        let d = l.check(&login).await;
        assert!(!d.allowed && d.unavailable, "{d:?}");
        assert_eq!((d.retry_after_s, d.remaining), (FAIL_CLOSED_RETRY_S, 0));
        assert!(d.reset_epoch > now() - 1);
        for _ in 0..10 {
            let d = l.check(&key("k", Tier::Free)).await;
            assert!(d.allowed && !d.unavailable, "API keys fail open: {d:?}");
            assert_eq!((d.limit, d.remaining, d.retry_after_s), (5, 4, 0));
        }
        assert!(l.outage.failed.load(Ordering::Relaxed) >= 11);
    }

    #[test]
    fn urls_are_logged_without_credentials() {
        let url = Secret::new("redis://admin:hunter2@10.0.0.5:6380/2".into());
        assert_eq!(without_password(&url), "redis://***@10.0.0.5:6380/2");
        assert_eq!(without_password(&Secret::new("redis://127.0.0.1:6379".into())), "redis://127.0.0.1:6379");
    }

    #[test]
    fn a_malformed_url_is_refused_without_repeating_it() {
        let err = RedisLimiter::new(&Secret::new("redis://:hunter2@[bad".into()), &settings(1))
            .err()
            .expect("malformed URL refused");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
