//! Rate-limiter decision cost: the in-memory limiter (governor) vs the Redis one (one `EVALSHA`
//! of the GCRA script per decision), both through the `RateLimiter` trait as the routes call it.
//!
//! Prints µs per decision one at a time (latency: Redis's is a loopback round trip) and
//! decisions per second with 64 in flight (the multiplexed connection pipelines them), side by
//! side with the ratio Redis / in-memory. Uses `PACER_TEST_REDIS_URL`, or starts a private
//! `redis-server` with `scripts/redis-instance` and stops it afterwards.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use futures_util::StreamExt;
use pacer_shared::{Secret, Tier};
use pacerd::config::LimitSettings;
use pacerd::limits::{InMemoryLimiter, LimitKey, RateLimiter, RedisLimiter};

const KEYS: usize = 1000;
const IN_FLIGHT: usize = 64;

/// A Redis to measure against, and the directory of the one this bench started (if any).
fn redis_url() -> (String, Option<tempfile::TempDir>) {
    if let Ok(url) = std::env::var("PACER_TEST_REDIS_URL")
        && !url.trim().is_empty()
    {
        return (url, None);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(script()).arg("start").arg(dir.path()).output().expect("scripts/redis-instance");
    assert!(out.status.success(), "redis-instance start: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).trim().to_string(), Some(dir))
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/redis-instance")
}

/// µs per decision one after another, and decisions per second with [`IN_FLIGHT`] concurrent.
async fn measure(limiter: &dyn RateLimiter, keys: &[LimitKey], n: usize) -> (f64, f64) {
    let mut allowed = 0usize;
    for key in keys.iter().take(100) {
        allowed += usize::from(limiter.check(key).await.allowed);
    }
    let start = Instant::now();
    for i in 0..n {
        allowed += usize::from(limiter.check(&keys[i % keys.len()]).await.allowed);
    }
    let sequential_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    let start = Instant::now();
    let concurrent = futures_util::stream::iter(0..n)
        .map(|i| limiter.check(&keys[i % keys.len()]))
        .buffer_unordered(IN_FLIGHT)
        .filter(|d| std::future::ready(d.allowed))
        .count()
        .await;
    let per_s = n as f64 / start.elapsed().as_secs_f64();
    assert_eq!(allowed + concurrent, 2 * n + 100, "every decision allowed (limits set high)");
    (sequential_us, per_s)
}

fn main() {
    let settings = LimitSettings { free_per_minute: u32::MAX / 2, ..Default::default() };
    let keys: Vec<LimitKey> =
        (0..KEYS).map(|i| LimitKey::ApiKey { key_id: format!("bench-{i}"), tier: Tier::Free }).collect();
    let (url, own) = redis_url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (memory, redis) = rt.block_on(async {
        let memory = InMemoryLimiter::new(&settings);
        let mem = measure(&memory, &keys, 200_000).await;
        let prefix = format!("pacer:bench:{}:", uuid::Uuid::new_v4());
        let limiter = RedisLimiter::with_prefix(&Secret::new(url.clone()), &settings, &prefix).expect("redis limiter");
        let red = measure(&limiter, &keys, 20_000).await;
        (mem, red)
    });
    if let Some(dir) = own {
        let _ = Command::new(script()).arg("stop").arg(dir.path()).output();
    }
    println!("limiter decision          in-memory        Redis     ratio");
    println!("one at a time (µs)      {:>10.2} {:>12.1} {:>9.0}x", memory.0, redis.0, redis.0 / memory.0);
    println!("{IN_FLIGHT} in flight (per s)  {:>10.0} {:>12.0} {:>9.1}x", memory.1, redis.1, memory.1 / redis.1);
    println!("(Redis: one EVALSHA round trip per decision on loopback; ratio = how many times costlier)");
}
