//! Two real `pacerd serve` replicas on one PostgreSQL database, one Redis and one Strava sandbox
//! (served from this process): what one replica does, the other sees.
//!
//! Needs `PACER_TEST_POSTGRES_URL` and `PACER_TEST_REDIS_URL` (`scripts/test` starts both); without
//! them these tests fail and say how to start them.

use pacer_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::crash::{connect, sandbox_with_ttl};
use crate::fixture::postgres::PgDatabase;
use crate::fixture::{Options, TestDaemon};

pub(crate) const PASSWORD: &str = "correct horse battery";

/// One deployment: a database, two replicas sharing it, Redis and the secrets.
pub(crate) struct Deployment {
    pub(crate) a: TestDaemon,
    pub(crate) b: TestDaemon,
    _db: PgDatabase,
}

fn redis_url() -> String {
    std::env::var("PACER_TEST_REDIS_URL").ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| {
        panic!(
            "PACER_TEST_REDIS_URL is not set: run `export PACER_TEST_REDIS_URL=$(scripts/redis-instance start \
             /tmp/pacer-redis)` first"
        )
    })
}

/// Both replicas: the same `database_url`, `redis_url`, master key and JWT secret; Strava at
/// `sandbox` when given. Tier quotas come from the shared `tier_limits` table.
pub(crate) fn deployment(sandbox: Option<&str>) -> Deployment {
    let db = PgDatabase::create();
    let mut env = vec![
        ("PACER_DATABASE_URL".to_owned(), db.url().to_owned()),
        ("PACER_REDIS_URL".to_owned(), redis_url()),
        ("PACER_MASTER_KEY".to_owned(), "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned()),
        ("PACER_JWT_SECRET".to_owned(), "replicas-share-this-jwt-secret-of-48-bytes-at-least".to_owned()),
    ];
    if let Some(url) = sandbox {
        env.extend([
            ("PACER_STRAVA_CLIENT_ID".to_owned(), SandboxConfig::default().client_id),
            ("PACER_STRAVA_CLIENT_SECRET".to_owned(), SandboxConfig::default().client_secret),
            ("PACER_STRAVA_API_BASE".to_owned(), format!("{url}/api/v3")),
            ("PACER_STRAVA_OAUTH_BASE".to_owned(), url.to_owned()),
        ]);
    }
    let opts = Options { env, ..Options::default() };
    let a = TestDaemon::start_with(opts.clone());
    let b = TestDaemon::start_with(opts);
    Deployment { a, b, _db: db }
}

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

async fn me(d: &TestDaemon, key: &str) -> StatusCode {
    let res = crate::fixture::http()
        .get(format!("{}/api/me", d.http_url))
        .header("X-API-Key", key)
        .send()
        .await
        .expect("GET /api/me");
    res.status()
}

pub(crate) async fn mcp_call(d: &TestDaemon, key: &str, tool: &str) -> Value {
    crate::fixture::http()
        .post(format!("{}/mcp", d.http_url))
        .header("X-API-Key", key)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}}))
        .send()
        .await
        .expect("POST /mcp")
        .json()
        .await
        .expect("JSON-RPC answer")
}

/// A key revoked through replica A (its admin CLI) is refused by replica B as soon as B's
/// listener hears the commit's notification, although B had just validated (and cached) it: the
/// revocation crosses replicas by `LISTEN/NOTIFY`. And `pacerd users/keys` work on PostgreSQL through the replica beside them.
#[test]
fn a_key_revoked_on_one_replica_is_refused_by_the_other() {
    let dep = deployment(None);
    let (_, key) = dep.a.user_with_key("ada@example.com", None, "premium");
    let listed = dep.b.cli_json(&["keys", "list", "--user", "ada@example.com"]);
    let id = listed["keys"][0]["id"].as_str().expect("key id, listed through B").to_owned();
    rt().block_on(async {
        assert_eq!(me(&dep.b, &key).await, StatusCode::OK, "B serves a key created through A");
        assert_eq!(me(&dep.b, &key).await, StatusCode::OK, "and again (from its cache)");
        assert_eq!(me(&dep.a, &key).await, StatusCode::OK);
    });
    let revoked = dep.a.cli_json(&["keys", "revoke", &id]);
    assert_eq!((revoked["id"].as_str(), revoked["is_active"].as_bool()), (Some(id.as_str()), Some(false)), "{revoked}");
    rt().block_on(async {
        // A answers once the revocation is committed; B hears of it by NOTIFY moments later
        // (delivery itself: the store-level test below). Poll B until then, never past 10 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match me(&dep.b, &key).await {
                StatusCode::FORBIDDEN => break,
                StatusCode::OK if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                other => panic!("B still answers {other} for a key revoked through A"),
            }
        }
        assert_eq!(me(&dep.a, &key).await, StatusCode::FORBIDDEN);
    });
}

/// The notification itself, with no HTTP and no cache lifetime in play: a key deactivated
/// through one store (replica A) is forgotten by the key cache of another store on the same
/// database (replica B), which had marked it active. A cache entry only leaves early by a
/// `forget`, which moves the cache's generation; that is what the test waits for (its deadline
/// only stops a broken build from hanging).
#[test]
fn a_deactivation_through_one_store_clears_the_other_stores_key_cache() {
    use pacerd::config::DatabaseUrl;
    use pacerd::store::{PgTarget, Store, api_keys, tenants, users};
    let db = PgDatabase::create();
    let parsed = DatabaseUrl::parse(Some(db.url()), std::path::Path::new("/"), None).expect("PostgreSQL URL");
    let DatabaseUrl::Postgres(url) = parsed else { panic!("a postgres:// URL") };
    let config = url.target().clone();
    rt().block_on(async {
        let open = |config: PgTarget| async move {
            tokio::task::spawn_blocking(move || Store::open_postgres(&config)).await.expect("join").expect("open")
        };
        let a = open(config.clone()).await;
        let a2 = a.clone();
        tokio::task::spawn_blocking(move || a2.migrate()).await.expect("join").expect("migrate");
        let b = open(config.clone()).await;
        let before = b.keys().generation();
        b.listen_for_invalidations(&config);
        // B's listener forgets everything once it listens: from then on it hears A.
        wait_for(|| b.keys().generation() != before, "B's listener to start").await;
        let heard = b.keys().generation();
        let (tenant, user, key_id) = a
            .call(|c| {
                let tenant = tenants::get_or_create(c, "club")?.id;
                let user = users::create(c, &tenant, "ada@example.com", None)?.info.id;
                let key = api_keys::NewKey {
                    tenant: &tenant,
                    user: &user,
                    name: "k",
                    description: None,
                    tier: pacer_shared::Tier::Free,
                    key_prefix: "pk_live_abcdef",
                    key_hash: &[9; 32],
                };
                let id = api_keys::insert(c, &key)?.id;
                Ok((tenant, user, id))
            })
            .await
            .expect("key");
        // The insert notifies the user's key list (one forget on B).
        wait_for(|| b.keys().generation() != heard, "B to hear of the new key").await;
        let generation = b.keys().generation();
        b.keys().mark_active(&key_id, generation);
        assert!(b.keys().recently_active(&key_id), "B holds the key as active");
        let id = key_id.clone();
        a.call(move |c| api_keys::deactivate(c, &tenant, &user, &id)).await.expect("deactivate");
        // Two notifications, the key and its user's list: two forgets, nothing else moves it.
        wait_for(|| b.keys().generation().wrapping_sub(generation) >= 2, "B to hear of the deactivation").await;
        assert!(!b.keys().recently_active(&key_id), "B no longer holds the deactivated key as active");
    });
}

/// Polls `done` every 10 ms until it holds; panics naming `what` after 10 s.
async fn wait_for(done: impl Fn() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The free tier's quota (100 a minute) is one bucket in Redis: requests alternating between the
/// replicas are refused once that one bucket is empty (100, plus what refilled while they ran),
/// not after 100 on each; then both replicas refuse.
#[test]
fn the_free_tier_limit_is_shared_by_the_replicas() {
    let dep = deployment(None);
    let (_, key) = dep.a.user_with_key("bob@example.com", None, "free");
    rt().block_on(async {
        let started = std::time::Instant::now();
        let mut allowed = 0u32;
        let mut refused_on = None;
        for i in 0..300u32 {
            let d = if i % 2 == 0 { &dep.a } else { &dep.b };
            match me(d, &key).await {
                StatusCode::OK => allowed += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    refused_on = Some(i % 2);
                    break;
                }
                other => panic!("request {}: {other}", i + 1),
            }
        }
        let refilled = (started.elapsed().as_secs_f64() * 100.0 / 60.0).ceil() as u32;
        assert!(refused_on.is_some(), "never refused after {allowed} requests over both replicas");
        assert!((100..=100 + refilled + 1).contains(&allowed), "{allowed} allowed; one bucket holds 100 (+{refilled})");
        let other = if refused_on == Some(0) { &dep.b } else { &dep.a };
        assert_eq!(me(other, &key).await, StatusCode::TOO_MANY_REQUESTS, "the other replica refuses too");
    });
}

/// An A2A task made on A is read back on B (tasks live in the store).
#[test]
fn an_a2a_task_made_on_one_replica_is_read_on_the_other() {
    let dep = deployment(None);
    let (_, key) = dep.a.user_with_key("eve@example.com", None, "premium");
    let send = |d: &TestDaemon, method: &str, params: Value| {
        let (url, key, method) = (format!("{}/a2a", d.http_url), key.clone(), method.to_owned());
        async move {
            crate::fixture::http()
                .post(url)
                .header("X-API-Key", key)
                .header("A2A-Version", "1.0")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
                .send()
                .await
                .expect("POST /a2a")
                .json::<Value>()
                .await
                .expect("A2A answer")
        }
    };
    rt().block_on(async {
        let message = json!({"message": {"messageId": "m-1", "role": "ROLE_USER",
            "parts": [{"data": {"skill": "get_athlete_settings", "arguments": {}}}]}});
        let sent = send(&dep.a, "SendMessage", message).await;
        let task = &sent["result"]["task"];
        let id = task["id"].as_str().unwrap_or_else(|| panic!("a task: {sent}"));
        let read = send(&dep.b, "GetTask", json!({"id": id})).await;
        assert_eq!(read["result"]["id"], id, "{read}");
        assert_eq!(read["result"]["status"], task["status"], "{read}");
    });
}

/// A login link issued through A's admin channel signs in on B, once.
#[test]
fn a_login_link_from_one_replica_signs_in_on_the_other() {
    let dep = deployment(None);
    dep.a.user_with_password("fay@example.com", None, PASSWORD);
    let link = dep.a.cli_json(&["users", "login-link", "--email", "fay@example.com"]);
    let url = link["url"].as_str().expect("url");
    let token = url.split("token=").nth(1).expect("token");
    let on_b = format!("{}/login?token={token}", dep.b.http_url);
    rt().block_on(async {
        let client = crate::fixture::http();
        let res = client.get(&on_b).send().await.expect("GET /login on B");
        assert_eq!(res.status(), StatusCode::FOUND, "the link signs in on B");
        let again = client.get(url).send().await.expect("GET /login on A");
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "and is spent for A too");
    });
}

/// A Strava connect flow started on A (authorize, its state stored) completes when the provider
/// sends the browser back to B (as a load balancer may): B finds the state, exchanges the code and
/// stores the tokens, and A then serves the account.
#[test]
fn a_connect_flow_started_on_one_replica_completes_on_the_other() {
    use crate::fixture::Web;
    use crate::flows::{ATHLETE_A, JSON, begin, callback, consent};
    let (strava, strava_url) = sandbox_with_ttl(6 * 3600);
    let dep = deployment(Some(&strava_url));
    let email = "hal@example.com";
    dep.a.user_with_password(email, None, PASSWORD);
    strava.register_redirect_uri(&format!("{}/oauth/strava/callback", dep.a.http_url));
    let (web_a, web_b) = (Web::new(&dep.a), Web::new(&dep.b));
    let jwt = web_a.login(email, PASSWORD);
    let authorize = begin(&web_a, &jwt);
    let back = consent(&web_a, &authorize, ATHLETE_A, "approve");
    // The browser comes back through the proxy to B, with the flow's binding cookie and session.
    let on_b = url::Url::parse(&back.as_str().replace(&dep.a.http_url, &dep.b.http_url)).expect("callback on B");
    *web_b.oauth_binding.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
        web_a.oauth_binding.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let r = callback(&web_b, &on_b, JSON);
    assert_eq!(r.status, StatusCode::OK, "B completes A's flow: {}", r.text);
    let key = dep.a.cli_json(&["keys", "create", "--user", email, "--name", "t", "--tier", "premium"]);
    let key = key["api_key"].as_str().expect("api_key").to_owned();
    rt().block_on(async {
        let answer = mcp_call(&dep.a, &key, "get_athlete").await;
        assert_eq!(answer["result"]["structuredContent"]["id"], ATHLETE_A, "A serves the account: {answer}");
    });
}

/// Token refreshes stay single-flight across replicas: 2 replicas × 20 concurrent tool calls
/// with an expiring token make exactly one refresh at the sandbox, and every call answers.
#[test]
fn token_refresh_is_single_flight_across_replicas() {
    let (strava, strava_url) = sandbox_with_ttl(6 * 3600);
    let dep = deployment(Some(&strava_url));
    let email = "gus@example.com";
    dep.a.user_with_password(email, None, PASSWORD);
    connect(&dep.a, &strava, email, PASSWORD, crate::flows::ATHLETE_A);
    let key = dep.b.cli_json(&["keys", "create", "--user", email, "--name", "t", "--tier", "enterprise"]);
    let key = key["api_key"].as_str().expect("api_key").to_owned();
    rt().block_on(async {
        let state = || async {
            crate::fixture::http()
                .get(format!("{strava_url}/_sandbox/state"))
                .send()
                .await
                .expect("sandbox state")
                .json::<Value>()
                .await
                .expect("state JSON")
        };
        // The provider now refuses the access token pacer holds: every call gets a 401 and wants
        // a refresh; the first replica to hold the lock refreshes, the others find new tokens.
        let faults = crate::fixture::http()
            .post(format!("{strava_url}/_sandbox/faults"))
            .json(&json!({"expire_access_tokens": crate::flows::ATHLETE_A}))
            .send()
            .await
            .expect("sandbox faults");
        assert!(faults.status().is_success(), "faults: {}", faults.status());
        let before = state().await["refresh_count"].as_u64().expect("refresh_count");
        let calls = (0..40).map(|i| {
            let (d, key) = (if i % 2 == 0 { &dep.a } else { &dep.b }, key.clone());
            async move { mcp_call(d, &key, "get_athlete").await }
        });
        let answers = futures_util::future::join_all(calls).await;
        for answer in &answers {
            assert!(answer["result"]["structuredContent"]["id"].is_u64(), "every call answers: {answer}");
        }
        let after = state().await["refresh_count"].as_u64().expect("refresh_count");
        assert_eq!(after - before, 1, "one refresh for 40 calls on two replicas");
    });
}
