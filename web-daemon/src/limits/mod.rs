//! Request rate limits for pacer's own API: a token bucket per API key (quota by tier) and per
//! client IP (login and OAuth routes).
//!
//! Callers depend only on the [`RateLimiter`] trait: `state.limiter.check(&key)` answers with a
//! [`Decision`] that carries everything the `X-RateLimit-*` / `Retry-After` headers need. The
//! in-memory [`InMemoryLimiter`] (governor, GCRA) serves a single daemon; when several daemons
//! share load behind a balancer, [`RedisLimiter`] (the same GCRA in one Lua script on
//! `pacer:rl:{…}` keys, `redis_url` in the configuration) replaces it without touching any
//! route, because nothing outside this module knows how buckets are stored. [`from_config`]
//! picks one.
//!
//! Semantics every backend must keep:
//! - a bucket holds `limit` requests and refills continuously at `limit` per minute;
//! - `remaining` is what is left *after* this request (0 when denied);
//! - `reset_epoch` is when the bucket is full again, in UNIX seconds, always in the future;
//! - `retry_after_s` is 0 when allowed, otherwise the whole seconds (≥ 1) until a request fits.

mod memory;
mod redis;

use std::net::IpAddr;
use std::sync::Arc;

pub use self::redis::RedisLimiter;
use futures_util::future::BoxFuture;
pub use memory::InMemoryLimiter;
use pacer_shared::Tier;

use crate::config::Config;

/// What is being limited.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// One API key; the quota comes from its tier.
    ApiKey { key_id: String, tier: Tier },
    /// One client IP within a scope (`"login"`, `"oauth"`, …); scopes have separate buckets.
    Ip { ip: IpAddr, scope: &'static str },
}

/// The outcome of one [`RateLimiter::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (a token was taken).
    pub allowed: bool,
    /// Requests per minute for this key (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left in the bucket after this one (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// UNIX seconds when the bucket is full again (`X-RateLimit-Reset`); always in the future.
    pub reset_epoch: i64,
    /// Seconds until a request can succeed (`Retry-After`); 0 when allowed.
    pub retry_after_s: u64,
    /// The limiter's shared store could not be asked and this scope fails closed: the request
    /// is refused with 503 (not 429) and `Retry-After`. Always false for [`InMemoryLimiter`].
    pub unavailable: bool,
}

/// A rate limiter shared by every front door (HTTP routes, MCP tool calls, A2A).
///
/// Implementations must be cheap and bounded in time: `check` runs on the async runtime for
/// every limited request. The in-memory one is [`InMemoryLimiter`]; [`RedisLimiter`] shares
/// buckets between daemons. Object-safe (`Arc<dyn RateLimiter>`): `check` returns a boxed future.
pub trait RateLimiter: Send + Sync {
    /// Takes one token from `key`'s bucket if there is one, and reports the bucket's state.
    fn check<'a>(&'a self, key: &'a LimitKey) -> BoxFuture<'a, Decision>;
}

/// The limiter the configuration asks for: [`RedisLimiter`] when `redis_url` is set, otherwise
/// [`InMemoryLimiter`]. Fails only on a malformed URL (Redis itself is reached lazily).
pub fn from_config(config: &Config) -> anyhow::Result<Arc<dyn RateLimiter>> {
    Ok(match &config.redis_url {
        Some(url) => {
            let limiter = RedisLimiter::new(url, &config.limits)?;
            tracing::info!(redis = %redis::without_password(url), "rate limits shared in Redis");
            Arc::new(limiter)
        }
        None => Arc::new(InMemoryLimiter::new(&config.limits)),
    })
}
