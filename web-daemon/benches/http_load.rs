//! The authenticated HTTP hot path under load, side by side with a bare actix route:
//!
//! - **baseline**: a bare actix-web server in this process (2 workers, like pacerd) whose one
//!   route checks `Authorization: Bearer <token>` in constant time and answers a small JSON;
//! - `GET /health` of a real `pacerd demo` (release build; no auth);
//! - `GET /api/me` with `X-API-Key` (key check + rate limiter);
//! - `GET /api/keys/list` with a session JWT (JWT check + a store read).
//!
//! Load by `wrk` (64 connections, 2 threads, 5 s per route) when it is installed (`apt-get
//! install wrk`; `bench/run` does), else by a built-in reqwest generator with the same
//! concurrency. Goal (issue "Proof" §5): both authenticated routes ≥ 70 % of the baseline's
//! req/s, p99 < 5 ms. Also the rate limiter's decision cost per call, in-process.
//!
//! Run: `cargo bench -p pacerd --bench http_load` (or `bench/run`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pacer_shared::Tier;
use pacerd::config::LimitSettings;
use pacerd::limits::{InMemoryLimiter, LimitKey};

const CONNECTIONS: usize = 64;
const THREADS: usize = 2;
const SECONDS: u64 = 5;
/// Requests per route with the built-in generator.
const REQUESTS: usize = 20_000;
const BARE_TOKEN: &str = "bench-bearer-token-0123456789abcdef";

/// One route's result: requests per second, p50, p99 (ms).
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// The bare actix server on an ephemeral loopback port, on its own thread; its base URL.
fn bare_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            use actix_web::{HttpRequest, HttpResponse, web};
            async fn bare(req: HttpRequest) -> HttpResponse {
                use subtle::ConstantTimeEq;
                let presented = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .unwrap_or_default();
                if bool::from(presented.as_bytes().ct_eq(BARE_TOKEN.as_bytes())) {
                    HttpResponse::Ok().json(serde_json::json!({"ok": true}))
                } else {
                    HttpResponse::Unauthorized().json(serde_json::json!({"error": "unauthorized"}))
                }
            }
            let server = actix_web::HttpServer::new(|| actix_web::App::new().route("/bare", web::get().to(bare)))
                .workers(THREADS)
                .bind(("127.0.0.1", 0))
                .expect("bind the bare server");
            let addr = server.addrs()[0];
            tx.send(format!("http://{addr}")).expect("report the address");
            server.run().await.expect("bare server");
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("bare server started")
}

/// `wrk -t2 -c64 -d5s --latency` against `url` with `header` (the driver in `common`); stops the
/// bench when anything failed under load.
fn wrk(url: &str, header: Option<(&str, &str)>) -> Load {
    let headers: Vec<(&str, &str)> = header.into_iter().collect();
    let r = common::wrk(url, THREADS, CONNECTIONS, SECONDS, &common::WrkRequest::get(&headers))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.errors(), 0, "{url} answered errors under load: {r:?}");
    Load { rps: r.rps, p50_ms: r.p50_ms, p99_ms: r.p99_ms }
}

/// The built-in generator: `CONNECTIONS` tasks sharing [`REQUESTS`].
async fn builtin(client: &reqwest::Client, url: &str, header: Option<(&str, &str)>) -> Load {
    let url = Arc::new(url.to_string());
    let header = Arc::new(header.map(|(k, v)| (k.to_owned(), v.to_owned())));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, header) = (client.clone(), url.clone(), header.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(REQUESTS / CONNECTIONS);
            for _ in 0..REQUESTS / CONNECTIONS {
                let t = Instant::now();
                let mut req = client.get(url.as_str());
                if let Some((k, v)) = header.as_ref() {
                    req = req.header(k, v);
                }
                let res = req.send().await.expect("request");
                assert!(res.status().is_success(), "{} answered {}", url, res.status());
                let _ = res.bytes().await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let total = start.elapsed();
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Load {
        rps: all.len() as f64 / total.as_secs_f64(),
        p50_ms: ms(all[all.len() / 2]),
        p99_ms: ms(all[all.len() * 99 / 100]),
    }
}

fn main() {
    let bare = bare_server();
    let (daemon, facts) = common::demo(&[("PACER_DEMO_ACTIVITIES", "0")]);
    let url = facts["http_url"].as_str().expect("http_url").to_string();
    let key = facts["api_key"].as_str().expect("api_key").to_string();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().expect("client");
    let jwt = rt.block_on(async {
        let login = client
            .post(format!("{url}/api/auth/login"))
            .json(&serde_json::json!({"email": facts["email"], "password": facts["password"]}))
            .send()
            .await
            .expect("login")
            .json::<serde_json::Value>()
            .await
            .expect("login json");
        login["access_token"].as_str().expect("access_token").to_string()
    });
    let use_wrk = common::wrk_available();
    let load = |url: &str, header: Option<(&str, &str)>| {
        if use_wrk { wrk(url, header) } else { rt.block_on(builtin(&client, url, header)) }
    };
    let generator = if use_wrk {
        format!("wrk, {CONNECTIONS} connections, {THREADS} threads, {SECONDS} s per route")
    } else {
        format!("built-in generator (wrk not installed), {CONNECTIONS} concurrent, {REQUESTS} requests per route")
    };
    let (l1, l5, l15) = common::load_average();
    println!("{generator}; 2 cores shared by client and servers (load average {l1} {l5} {l15})");
    let bearer = format!("Bearer {BARE_TOKEN}");
    let base = load(&format!("{bare}/bare"), Some(("Authorization", &bearer)));
    println!(
        "bare actix route + bearer check (baseline) {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        base.rps, base.p50_ms, base.p99_ms
    );
    let jwt_header = format!("Bearer {jwt}");
    for (name, path, header) in [
        ("GET /health (pacerd, no auth)            ", "/health", None),
        ("GET /api/me (API key)                    ", "/api/me", Some(("X-API-Key", key.as_str()))),
        ("GET /api/keys/list (JWT + store read)    ", "/api/keys/list", Some(("Authorization", jwt_header.as_str()))),
    ] {
        let r = load(&format!("{url}{path}"), header);
        let goal = if header.is_some() { "  (goal ≥ 0.70, p99 < 5 ms)" } else { "" };
        println!(
            "{name} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ratio to baseline {:.2}{goal}",
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.rps / base.rps
        );
    }
    drop(daemon);
    limiter_cost();
}

/// Limiter decision cost, in-process, next to a keyed `HashMap` lookup.
fn limiter_cost() {
    let limiter = InMemoryLimiter::new(&LimitSettings { free_per_minute: u32::MAX / 2, ..Default::default() });
    let keys: Vec<LimitKey> =
        (0..1000).map(|i| LimitKey::ApiKey { key_id: format!("key-{i}"), tier: Tier::Free }).collect();
    let n = 1_000_000;
    let start = Instant::now();
    let mut allowed = 0u64;
    for i in 0..n {
        allowed += u64::from(limiter.decide(&keys[i % keys.len()]).allowed);
    }
    let per = start.elapsed().as_nanos() as f64 / n as f64;
    let names: Vec<String> = (0..1000).map(|i| format!("key-{i}")).collect();
    let map: std::collections::HashMap<String, u64> = names.iter().map(|k| (k.clone(), 0)).collect();
    let start = Instant::now();
    let mut sum = 0u64;
    for i in 0..n {
        sum += map.get(&names[i % names.len()]).copied().unwrap_or(1) + 1;
    }
    let base = start.elapsed().as_nanos() as f64 / n as f64;
    assert!(allowed > 0 && sum > 0);
    println!(
        "limiter decision: {per:.0} ns/call; baseline keyed HashMap lookup {base:.0} ns/call; ratio {:.2}",
        per / base
    );
}
