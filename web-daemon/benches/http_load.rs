//! HTTP under concurrent load on loopback, against a real `pacerd demo` (release build):
//! `GET /health` (no auth, the baseline), `GET /api/me` (X-API-Key + rate limiter) and
//! `GET /api/keys/list` (JWT + SQLite). Bounded: a fixed number of requests per route.
//! Also the rate limiter's decision cost per call, in-process.
//!
//! Run: `cargo bench -p pacerd --bench http_load`.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacer_shared::Tier;
use pacerd::config::LimitSettings;
use pacerd::limits::{InMemoryLimiter, LimitKey, RateLimiter};

const REQUESTS: usize = 4_000;
const CONCURRENCY: usize = 16;

struct Daemon(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[allow(clippy::zombie_processes)] // Daemon's Drop kills and waits.
fn start() -> (Daemon, serde_json::Value) {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    // Limiter on, but high enough that the load is measured, not denied.
    std::fs::write(home.path().join("config.toml"), "[limits]\nfree_per_minute = 10000000\npremium_per_minute = 10000000\nenterprise_per_minute = 10000000\nip_per_minute = 10000000\n").expect("config");
    let child = Command::new(env!("CARGO_BIN_EXE_pacerd"))
        .args(["demo", "--http", "127.0.0.1:0", "--home"])
        .arg(home.path())
        .env("PACER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pacerd");
    let facts_path = home.path().join("demo.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(b) = std::fs::read(&facts_path)
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b)
        {
            return (Daemon(child, home), v);
        }
        assert!(Instant::now() < deadline, "pacerd demo did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn load(client: &reqwest::Client, url: &str, headers: &[(&str, String)]) -> (f64, Duration, Duration) {
    let url = Arc::new(url.to_string());
    let headers: Arc<Vec<(String, String)>> =
        Arc::new(headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, url, headers) = (client.clone(), url.clone(), headers.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(REQUESTS / CONCURRENCY);
            for _ in 0..REQUESTS / CONCURRENCY {
                let t = Instant::now();
                let mut req = client.get(url.as_str());
                for (k, v) in headers.iter() {
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
    (all.len() as f64 / total.as_secs_f64(), all[all.len() / 2], all[all.len() * 99 / 100])
}

fn main() {
    let (daemon, facts) = start();
    let url = facts["http_url"].as_str().expect("http_url").to_string();
    let key = facts["api_key"].as_str().expect("api_key").to_string();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY).build().expect("client");
        let login = client
            .post(format!("{url}/api/auth/login"))
            .json(&serde_json::json!({"email": facts["email"], "password": facts["password"]}))
            .send()
            .await
            .expect("login")
            .json::<serde_json::Value>()
            .await
            .expect("login json");
        let jwt = login["access_token"].as_str().expect("access_token").to_string();
        println!("{REQUESTS} requests per route, {CONCURRENCY} concurrent, 2 cores shared by client and server");
        let (base, p50, p99) = load(&client, &format!("{url}/health"), &[]).await;
        println!("GET /health (baseline)   {base:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms", ms(p50), ms(p99));
        for (name, path, header) in [
            ("GET /api/me (API key)  ", "/api/me", ("x-api-key", key.clone())),
            ("GET /api/keys/list (JWT)", "/api/keys/list", ("authorization", format!("Bearer {jwt}"))),
        ] {
            let (rps, p50, p99) = load(&client, &format!("{url}{path}"), &[header]).await;
            println!(
                "{name} {rps:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ratio to baseline {:.3}",
                ms(p50),
                ms(p99),
                rps / base
            );
        }
    });
    drop(daemon);

    // Limiter decision cost, in-process.
    let limiter = InMemoryLimiter::new(&LimitSettings { free_per_minute: u32::MAX / 2, ..Default::default() });
    let keys: Vec<LimitKey> =
        (0..1000).map(|i| LimitKey::ApiKey { key_id: format!("key-{i}"), tier: Tier::Free }).collect();
    let n = 1_000_000;
    let start = Instant::now();
    let mut allowed = 0u64;
    for i in 0..n {
        allowed += u64::from(limiter.check(&keys[i % keys.len()]).allowed);
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
