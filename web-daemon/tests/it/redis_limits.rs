//! Rate limits in Redis (`redis_url`) against real `pacerd` daemons and a real `redis-server`:
//! a bucket shared by two daemons, the same headers as the in-memory limiter, and the stated
//! failure policy when Redis goes away (per-IP login closed, API keys open) and comes back.
//!
//! Needs `PACER_TEST_REDIS_URL` (`export PACER_TEST_REDIS_URL=$(scripts/redis-instance start
//! DIR)`); without it these tests fail and say so. Each test works in its own Redis database
//! (`/N` in the URL, flushed first), so they run in parallel on one Redis; the outage test
//! starts and stops a private `redis-server` of its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::fixture::{Options, Reply, TestDaemon, Web};

const IP_LIMIT: u32 = 4;

/// The test Redis, database `db` of it, flushed. Fails the test when no Redis is configured.
fn redis_db(db: u8) -> String {
    let base = match std::env::var("PACER_TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "PACER_TEST_REDIS_URL is not set: run `export PACER_TEST_REDIS_URL=$(scripts/redis-instance start \
             /tmp/pacer-redis)` first"
        ),
    };
    let mut url = url::Url::parse(base.trim()).expect("PACER_TEST_REDIS_URL is a URL");
    url.set_path(&format!("/{db}"));
    flush(url.as_str());
    url.to_string()
}

fn flush(url: &str) {
    let client = redis::Client::open(url).expect("redis client");
    let mut conn = client.get_connection_with_timeout(Duration::from_secs(5)).expect("connect to the test Redis");
    redis::cmd("FLUSHDB").exec(&mut conn).expect("FLUSHDB");
}

fn limits_toml(free: u32, ip: u32) -> String {
    format!(
        "[limits]\nfree_per_minute = {free}\npremium_per_minute = 1000\nenterprise_per_minute = 1000\n\
         ip_per_minute = {ip}\n"
    )
}

fn daemon(redis_url: Option<&str>, config_toml: &str) -> TestDaemon {
    let env = redis_url.map(|u| vec![("PACER_REDIS_URL".to_string(), u.to_string())]).unwrap_or_default();
    TestDaemon::start_with(Options { config_toml: config_toml.into(), env, ..Default::default() })
}

/// A failed login (unknown email): 401 while the per-IP bucket allows it.
fn login(web: &Web) -> Reply {
    web.send(web.post("/api/auth/login").json(&json!({"email": "nobody@example.com", "password": "wrong"})))
}

fn me(web: &Web, key: &str) -> Reply {
    web.send(web.get("/api/me").header("X-API-Key", key))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sorted_keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

/// The rate-limit headers a response carries, by name (sorted), without values.
fn header_names(r: &Reply) -> Vec<String> {
    let mut names: Vec<String> = r
        .headers
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| k.starts_with("x-ratelimit-") || k == "retry-after")
        .collect();
    names.sort();
    names
}

#[test]
fn two_daemons_share_one_per_ip_bucket() {
    let url = redis_db(1);
    let limits = limits_toml(100, IP_LIMIT);
    let (a, b) = (daemon(Some(&url), &limits), daemon(Some(&url), &limits));
    let (wa, wb) = (Web::new(&a), Web::new(&b));
    assert!(a.log_text().contains("rate limits shared in Redis"), "the limiter in use is logged");
    let mut remaining = Vec::new();
    for i in 0..IP_LIMIT {
        let r = if i % 2 == 0 { login(&wa) } else { login(&wb) };
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "request {i} is within the limit: {}", r.text);
        remaining.push(r.num("x-ratelimit-remaining"));
    }
    assert_eq!(remaining, [3, 2, 1, 0], "one bucket counted down across both daemons");
    for (name, web) in [("a", &wa), ("b", &wb)] {
        let r = login(web);
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "daemon {name}: limit+1 refused: {}", r.text);
        assert_eq!(r.error_code(), "rate_limited");
        assert!(r.num("retry-after") >= 1);
    }
}

#[test]
fn headers_have_the_in_memory_limiters_shape_and_counts() {
    let url = redis_db(2);
    let limits = limits_toml(3, IP_LIMIT);
    let (shared, local) = (daemon(Some(&url), &limits), daemon(None, &limits));
    let (_, shared_key) = shared.user_with_key("ada@example.com", None, "free");
    let (_, local_key) = local.user_with_key("ada@example.com", None, "free");
    let (ws, wl) = (Web::new(&shared), Web::new(&local));
    let started = now();
    for (what, pairs) in [
        ("GET /api/me", (0..4).map(|_| (me(&ws, &shared_key), me(&wl, &local_key))).collect::<Vec<_>>()),
        ("POST /api/auth/login", (0..5).map(|_| (login(&ws), login(&wl))).collect()),
    ] {
        for (i, (r, m)) in pairs.iter().enumerate() {
            let at = format!("{what} #{i}");
            assert_eq!(r.status, m.status, "{at}: {} vs {}", r.text, m.text);
            assert_eq!(header_names(r), header_names(m), "{at}");
            assert!(header_names(r).len() >= 3, "{at}: {:?}", header_names(r));
            for h in ["x-ratelimit-limit", "x-ratelimit-remaining"] {
                assert_eq!(r.num(h), m.num(h), "{at}: {h}");
            }
            // Times depend on when each bucket started: both within one refill period ahead.
            for x in [r, m] {
                let reset = x.num("x-ratelimit-reset");
                assert!(reset > started && reset <= now() + 61, "{at}: reset {reset} ahead, within a minute");
            }
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                let period = 60 / i64::from(if what.contains("login") { IP_LIMIT } else { 3 });
                for x in [r, m] {
                    assert!((1..=period).contains(&x.num("retry-after")), "{at}: Retry-After within one refill");
                }
                assert_eq!(r.error_code(), m.error_code(), "{at}");
                assert_eq!(sorted_keys(&r.json()["error"]), sorted_keys(&m.json()["error"]), "{at}: error body");
            }
        }
        assert_eq!(pairs.last().map(|(r, _)| r.status), Some(StatusCode::TOO_MANY_REQUESTS), "{what}: limit+1");
    }
}

/// A private `redis-server` in a temp dir (the outage test stops and restarts it).
struct OwnRedis {
    dir: tempfile::TempDir,
}

impl OwnRedis {
    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/redis-instance")
    }

    fn run(&self, action: &str) -> String {
        let out = Command::new(Self::script()).arg(action).arg(self.dir.path()).output().expect("redis-instance");
        assert!(out.status.success(), "redis-instance {action}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn start() -> (Self, String) {
        let me = Self { dir: tempfile::tempdir().expect("tempdir") };
        let url = me.run("start");
        (me, url)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = Command::new(Self::script()).arg("stop").arg(self.dir.path()).output();
    }
}

#[test]
fn redis_outage_closes_login_opens_api_keys_and_recovers() {
    // Needs the shared test Redis only to fail like its siblings when none is configured.
    let _ = redis_db(3);
    let (redis, url) = OwnRedis::start();
    let d = daemon(Some(&url), &limits_toml(3, 50));
    let (_, key) = d.user_with_key("ada@example.com", None, "free");
    let web = Web::new(&d);
    assert_eq!(login(&web).status, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&web, &key).status, StatusCode::OK);

    redis.run("stop");
    for _ in 0..10 {
        let r = login(&web);
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "login fails closed: {}", r.text);
        assert_eq!(r.error_code(), "rate_limiter_unavailable");
        assert!(r.num("retry-after") >= 1);
        assert_eq!(r.num("x-ratelimit-remaining"), 0);
    }
    for i in 0..10 {
        // Beyond the free tier's 3 per minute: not limited while Redis is away.
        let r = me(&web, &key);
        assert_eq!(r.status, StatusCode::OK, "API key #{i} fails open: {}", r.text);
        assert_eq!(r.num("x-ratelimit-limit"), 3);
    }
    let warnings = d.log_text().matches("Redis rate limiter unreachable").count();
    assert!((1..10).contains(&warnings), "warned {warnings} times for 20 failed decisions, not once per request");

    assert_eq!(redis.run("start"), url, "restarted on the same port");
    // Bounded wait for the reconnection (not a timing assertion: only how long we are willing to wait).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = login(&web).status;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "limits did not come back within 20 s of Redis; log:\n{}", d.log_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The restarted Redis is empty: a fresh bucket of 3, then the limit holds again.
    let statuses: Vec<StatusCode> = (0..4).map(|_| me(&web, &key).status).collect();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
    assert!(d.log_text().contains("Redis rate limiter reachable again"), "recovery is logged");
}
