//! `get_activities` for a 30-day window (`after`/`before`) through a real `pacerd demo` (release
//! build) over `POST /mcp`: answered from the local store (the window cached by the first call)
//! versus answered through the provider API (the built-in Strava sandbox with its latency switch
//! at 150 ms, on a second daemon with `PACER_CACHE_RETENTION_DAYS=0` so nothing is cached).
//! Same query, same sandbox data, same answer size; side by side in one run.
//!
//! Run: `cargo bench -p pacerd --bench activity_store` (or `bench/run`).

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const STORE_CALLS: usize = 200;
const API_CALLS: usize = 30;
const LATENCY_MS: u64 = 150;
const WINDOW_S: i64 = 30 * 86_400;

struct Mcp {
    client: reqwest::Client,
    url: String,
    key: String,
    /// The mounted sandbox's admin token (`run/sandbox-admin.token`, beside the socket).
    admin: String,
    id: u64,
}

impl Mcp {
    fn new(client: &reqwest::Client, facts: &Value) -> Self {
        let s = |k: &str| facts[k].as_str().unwrap_or_else(|| panic!("demo.json lacks {k}")).to_string();
        let socket = std::path::PathBuf::from(s("socket"));
        let token = socket.with_file_name("sandbox-admin.token");
        let admin = std::fs::read_to_string(&token).expect("sandbox admin token").trim().to_owned();
        Mcp { client: client.clone(), url: s("http_url"), key: s("api_key"), admin, id: 0 }
    }

    /// One stateless JSON-RPC request over `POST /mcp`; its `result`.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.id += 1;
        common::mcp_post(&self.client, &self.url, &self.key, self.id, method, params).await.0
    }

    /// `tools/call get_activities` for `[after, before]`; the number of activities answered.
    async fn get_activities(&mut self, after: i64, before: i64) -> usize {
        let args = json!({"after": after, "before": before, "limit": 200});
        let result = self.request("tools/call", json!({"name": "get_activities", "arguments": args})).await;
        result["structuredContent"]["activities"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| panic!("no activities in {result}"))
    }

    /// Times `calls` runs of `f` after 20 untimed ones.
    async fn time<F: AsyncFnMut(&mut Self)>(&mut self, calls: usize, mut f: F) -> Vec<Duration> {
        let mut lat = Vec::with_capacity(calls);
        for i in 0..calls + 20 {
            let t = Instant::now();
            f(self).await;
            if i >= 20 {
                lat.push(t.elapsed());
            }
        }
        lat
    }

    /// `POST /sandbox/strava/_sandbox/faults`; the sandbox's state document.
    async fn faults(&self, faults: Value) -> Value {
        let res = self
            .client
            .post(format!("{}/sandbox/strava/_sandbox/faults", self.url))
            .header("X-Sandbox-Admin", &self.admin)
            .json(&faults)
            .send()
            .await
            .expect("sandbox faults");
        assert!(res.status().is_success(), "sandbox faults answered {}", res.status());
        res.json().await.expect("sandbox state JSON")
    }

    async fn api_calls(&self) -> u64 {
        let state: Value = self
            .client
            .get(format!("{}/sandbox/strava/_sandbox/state", self.url))
            .header("X-Sandbox-Admin", &self.admin)
            .send()
            .await
            .expect("sandbox state")
            .json()
            .await
            .expect("sandbox state JSON");
        state["api_calls"].as_u64().unwrap_or_else(|| panic!("no api_calls in {state}"))
    }
}

fn pct(v: &mut [Duration], p: usize) -> f64 {
    v.sort();
    v[(v.len() - 1) * p / 100].as_secs_f64() * 1e3
}

fn main() {
    let (cached_daemon, cached_facts) = common::demo(&[("PACER_DEMO_ACTIVITIES", "0")]);
    let (live_daemon, live_facts) =
        common::demo(&[("PACER_DEMO_ACTIVITIES", "0"), ("PACER_CACHE_RETENTION_DAYS", "0")]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        let mut store = Mcp::new(&client, &cached_facts);
        let mut live = Mcp::new(&client, &live_facts);
        let huge = json!({"limit_15min": 100_000_000, "limit_daily": 100_000_000,
            "read_limit_15min": 100_000_000, "read_limit_daily": 100_000_000});
        store.faults(huge.clone()).await;
        live.faults(huge).await;

        let before = chrono::Utc::now().timestamp();
        let after = before - WINDOW_S;

        // (a) From the store: the first call copies the window from the API; the rest read it.
        // Two floors on the same transport: MCP `ping` (key check, limiter, rmcp; no tool) and
        // `get_athlete_settings` (the tool gate with its usage row, plus one small store read).
        let first = Instant::now();
        let n_store = store.get_activities(after, before).await;
        let first = first.elapsed();
        let api_before = store.api_calls().await;
        let mut pings = store
            .time(STORE_CALLS, async |m| {
                m.request("ping", json!({})).await;
            })
            .await;
        let mut settings = store
            .time(STORE_CALLS, async |m| {
                m.request("tools/call", json!({"name": "get_athlete_settings", "arguments": {}})).await;
            })
            .await;
        let mut from_store = store
            .time(STORE_CALLS, async |m| assert_eq!(m.get_activities(after, before).await, n_store))
            .await;
        assert_eq!(store.api_calls().await, api_before, "store calls reached the API");

        // (b) Through the API, 150 ms per sandbox call, nothing cached.
        live.faults(json!({"latency_ms": LATENCY_MS})).await;
        let n_live = live.get_activities(after, before).await;
        let api_before = live.api_calls().await;
        let mut from_api = Vec::with_capacity(API_CALLS);
        for _ in 0..API_CALLS {
            let t = Instant::now();
            assert_eq!(live.get_activities(after, before).await, n_live);
            from_api.push(t.elapsed());
        }
        let api_used = live.api_calls().await - api_before;
        assert!(api_used >= API_CALLS as u64, "live calls did not reach the API ({api_used} calls)");

        let (s50, s99) = (pct(&mut from_store, 50), pct(&mut from_store, 99));
        let (a50, a99) = (pct(&mut from_api, 50), pct(&mut from_api, 99));
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!(
            "get_activities, 30-day window, POST /mcp, 2 cores shared by client and daemons (load average {}); {n_store} activities (store), {n_live} (API)",
            load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
        println!("first call (copies the window from the sandbox API, no added latency): {:.2} ms", first.as_secs_f64() * 1e3);
        let (p50, p99) = (pct(&mut pings, 50), pct(&mut pings, 99));
        let (g50, g99) = (pct(&mut settings, 50), pct(&mut settings, 99));
        println!("floor: MCP ping x{STORE_CALLS}: p50 {p50:.3} ms  p99 {p99:.3} ms");
        println!("floor: tools/call get_athlete_settings x{STORE_CALLS}: p50 {g50:.3} ms  p99 {g99:.3} ms");
        println!("from the store (cached window) x{STORE_CALLS}: p50 {s50:.3} ms  p99 {s99:.3} ms  (goal p50 < 1 ms); {:.3} ms above get_athlete_settings", s50 - g50);
        println!(
            "through the API ({LATENCY_MS} ms sandbox latency, cache off) x{API_CALLS}: p50 {a50:.1} ms  p99 {a99:.1} ms  ({api_used} API calls)"
        );
        println!("ratio API/store p50: {:.0}x  (goal ≥ 100x)", a50 / s50);
    });
    drop(live_daemon);
    drop(cached_daemon);
}
