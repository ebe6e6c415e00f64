//! Provider-client overhead per call against the sandbox over real HTTP on loopback:
//! `StravaClient::activities` (rate-limit bookkeeping, mapping to pacer types) versus a bare
//! reqwest GET of the same URL with the same token, side by side in one run.
//!
//! Run: `cargo bench -p pacerd --bench provider` (or `bench/run`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pacer_shared::Secret;
use pacerd::provider::{ActivityQuery, OAuthConnect, StravaClient, StravaClientConfig};

const CALLS: usize = 500;

struct Sandbox(Child);
impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

#[allow(clippy::zombie_processes)] // Sandbox's Drop kills and waits.
fn start() -> (Sandbox, String) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_pacerd"))
        .args(["sandbox", "--http", &format!("127.0.0.1:{port}")])
        .env("PACER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sandbox");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sandbox did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Sandbox(child), base)
}

fn pct(v: &mut [Duration], p: usize) -> f64 {
    v.sort();
    v[(v.len() - 1) * p / 100].as_secs_f64() * 1e3
}

fn main() {
    let (_sandbox, base) = start();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    rt.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let huge = serde_json::json!({"limit_15min": 100_000_000, "limit_daily": 100_000_000,
            "read_limit_15min": 100_000_000, "read_limit_daily": 100_000_000});
        http.post(format!("{base}/_sandbox/faults")).json(&huge).send().await.expect("faults");
        let consent = http
            .post(format!("{base}/oauth/authorize"))
            .form(&[
                ("client_id", "pacer-sandbox"),
                ("redirect_uri", "http://127.0.0.1/cb"),
                ("response_type", "code"),
                ("scope", "read,activity:read_all"),
                ("state", "bench"),
                ("decision", "approve"),
            ])
            .send()
            .await
            .expect("consent");
        let location = consent.headers().get("location").and_then(|v| v.to_str().ok()).expect("redirect").to_string();
        let code = url::Url::parse(&location)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code");
        let mut cfg = StravaClientConfig::new("pacer-sandbox", Secret::new("sandbox-secret".into()));
        cfg.api_base = format!("{base}/api/v3");
        cfg.oauth_base = base.clone();
        let client = StravaClient::new(cfg).expect("client");
        let tokens = client.exchange_code(&code).await.expect("exchange").tokens;
        let token = tokens.access_token;
        let url = format!("{base}/api/v3/athlete/activities?page=1&per_page=30");
        let query = ActivityQuery { page: 1, per_page: 30, ..Default::default() };

        // Warm both paths.
        for _ in 0..20 {
            http.get(&url).bearer_auth(token.expose()).send().await.expect("get").bytes().await.expect("body");
            client.activities(&token, &query).await.expect("activities");
        }
        let mut bare = Vec::with_capacity(CALLS);
        let mut ours = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let t = Instant::now();
            let body = http.get(&url).bearer_auth(token.expose()).send().await.expect("get").bytes().await.expect("body");
            let parsed: serde_json::Value = serde_json::from_slice(&body).expect("json");
            assert_eq!(parsed.as_array().map(Vec::len), Some(30));
            bare.push(t.elapsed());
            let t = Instant::now();
            let acts = client.activities(&token, &query).await.expect("activities");
            assert_eq!(acts.len(), 30);
            ours.push(t.elapsed());
        }
        let (b50, b99, o50, o99) = (pct(&mut bare, 50), pct(&mut bare, 99), pct(&mut ours, 50), pct(&mut ours, 99));
        println!("GET 30 activities x{CALLS}: bare reqwest+serde p50 {b50:.3} ms p99 {b99:.3} ms; StravaClient p50 {o50:.3} ms p99 {o99:.3} ms");
        println!("ratio StravaClient/bare p50: {:.3}  (added {:.3} ms per call)", o50 / b50, o50 - b50);
    });
}
