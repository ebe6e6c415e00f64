//! 1 000 concurrent MCP sessions over WebSocket (`GET /mcp/ws`) against a real `pacerd demo`
//! (release build), each making tool calls (`get_athlete_settings`, one store read plus the
//! gate), all sessions held open until every one has finished. Two loads:
//!
//! - **paced**: each session calls once per second (random phase), the way assistants call
//!   tools: 1 000 calls/s in all. Its p99 is the goal (< 50 ms, issue "Proof" §5).
//! - **burst**: every session calls at the same instant, back to back; its latency is the queue
//!   (Little's law: 1 000 in flight / throughput), so it shows throughput, not service time.
//!
//! Prints how many sessions were held, p50/p99 and, as the baseline in the same run, the same
//! calls from one session alone.
//!
//! Run: `cargo bench -p pacerd --bench ws_sessions` (or `bench/run`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const SESSIONS: usize = 1_000;
const CALLS: usize = 5;
const TOOL: &str = "get_athlete_settings";

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Ws, v: &Value) {
    ws.send(Message::text(v.to_string())).await.expect("websocket send");
}

/// The next JSON-RPC answer with `id` (notifications skipped).
async fn answer(ws: &mut Ws, id: u64) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("an answer within 60 s")
            .expect("websocket open")
            .expect("websocket frame");
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).expect("JSON answer");
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none() && v["result"]["isError"] != true, "call failed: {v}");
                return v;
            }
        }
    }
}

/// Connects and initializes one session.
async fn open(url: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket upgrade");
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "ws-bench", "version": "1"}}});
    send(&mut ws, &init).await;
    answer(&mut ws, 0).await;
    send(&mut ws, &json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    ws
}

/// `CALLS` tool calls on `ws`, each `gap` after the previous one started; their latencies.
async fn calls(ws: &mut Ws, gap: Duration) -> Vec<Duration> {
    let mut lat = Vec::with_capacity(CALLS);
    for id in 1..=CALLS as u64 {
        let next = tokio::time::Instant::now() + gap;
        let call =
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": TOOL, "arguments": {}}});
        let t = Instant::now();
        send(ws, &call).await;
        answer(ws, id).await;
        lat.push(t.elapsed());
        tokio::time::sleep_until(next).await;
    }
    lat
}

/// Opens [`SESSIONS`] sessions, then each makes its calls `gap` apart (starting at a random
/// phase within `gap`) and stays open until all are done; (sessions held, time to open them all,
/// sorted latencies).
async fn group(url: &str, gap: Duration) -> (usize, Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        sockets.push(open(url).await);
    }
    let opened = started.elapsed();
    let done = Arc::new(tokio::sync::Barrier::new(SESSIONS));
    let go = Arc::new(tokio::sync::Barrier::new(SESSIONS));
    let mut tasks = Vec::with_capacity(SESSIONS);
    for (i, mut ws) in sockets.into_iter().enumerate() {
        let (done, go) = (done.clone(), go.clone());
        // Spread the phases evenly over one gap.
        let phase = gap.mul_f64(i as f64 / SESSIONS as f64);
        tasks.push(tokio::spawn(async move {
            go.wait().await;
            tokio::time::sleep(phase).await;
            let lat = calls(&mut ws, gap).await;
            done.wait().await;
            // Still open after everyone finished: a ping answered proves it.
            send(&mut ws, &json!({"jsonrpc": "2.0", "id": 999, "method": "ping"})).await;
            answer(&mut ws, 999).await;
            lat
        }));
    }
    let mut all = Vec::new();
    let mut held = 0;
    for t in tasks {
        if let Ok(lat) = t.await {
            held += 1;
            all.extend(lat);
        }
    }
    all.sort();
    (held, opened, all)
}

fn pct(sorted: &[Duration], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

fn main() {
    raise_fd_limit();
    let (daemon, facts) = common::demo(&[("PACER_DEMO_ACTIVITIES", "0"), ("PACER_MAX_CONNECTIONS", "4096")]);
    let http = facts["http_url"].as_str().expect("http_url");
    let key = facts["api_key"].as_str().expect("api_key");
    let url = format!("{}/mcp/ws?api_key={key}", http.replacen("http://", "ws://", 1));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    rt.block_on(async {
        // Baseline: one session alone.
        let mut ws = open(&url).await;
        let mut alone = Vec::new();
        for _ in 0..40 {
            alone.extend(calls(&mut ws, Duration::ZERO).await);
        }
        drop(ws);
        alone.sort();

        println!(
            "{SESSIONS} WebSocket MCP sessions, {CALLS} `{TOOL}` calls each; 2 cores shared by client and daemon"
        );
        println!(
            "one session alone (baseline) x{}: p50 {:.2} ms  p99 {:.2} ms",
            alone.len(),
            pct(&alone, 50),
            pct(&alone, 99)
        );
        for (name, gap) in [("paced, 1 call/s per session", Duration::from_secs(1)), ("burst, all at once", Duration::ZERO)] {
            let (held, opened, all) = group(&url, gap).await;
            println!(
                "{name}: sessions opened in {:.2} s, held to the end {held}/{SESSIONS}; x{}: p50 {:.2} ms  p99 {:.2} ms{}",
                opened.as_secs_f64(),
                all.len(),
                pct(&all, 50),
                pct(&all, 99),
                if gap.is_zero() { "" } else { " (goal p99 < 50 ms)" }
            );
        }
    });
    drop(daemon);
}

/// The client holds a thousand sockets: lift its soft descriptor limit to the hard one.
fn raise_fd_limit() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
