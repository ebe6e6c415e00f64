//! pacer-mcp: cold start to an answered `tools/list` (median of 20) with its peak RSS, and the
//! relay's added cost: tool-call round trip stdio → pacer-mcp → socket → pacerd versus the same
//! call made directly on the socket. Needs release binaries: run `bench/run` (it builds them).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use pacer_shared::Secret;
use pacer_shared::ipc::{Channel, Hello, HelloReply, PROTOCOL_VERSION, encode_frame};
use serde_json::{Value, json};

const COLD_RUNS: usize = 20;
const CALLS: usize = 500;

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pacer-mcp")).parent().expect("bin dir").to_path_buf()
}

struct Daemon(Child, tempfile::TempDir);
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[allow(clippy::zombie_processes)] // Daemon's Drop kills and waits.
fn start_daemon() -> (Daemon, String) {
    use std::os::unix::fs::PermissionsExt;
    let pacerd = bin_dir().join("pacerd");
    assert!(pacerd.exists(), "{} missing: run bench/run (builds release binaries)", pacerd.display());
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::write(home.path().join("config.toml"), "[limits]\npremium_per_minute = 10000000\n").expect("config");
    let child = Command::new(pacerd)
        .args(["demo", "--http", "127.0.0.1:0", "--home"])
        .arg(home.path())
        .env("PACER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pacerd");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(b) = std::fs::read(home.path().join("demo.json"))
            && let Ok(v) = serde_json::from_slice::<Value>(&b)
        {
            let key = v["api_key"].as_str().expect("key").to_string();
            return (Daemon(child, home), key);
        }
        assert!(Instant::now() < deadline, "pacerd demo did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn init_lines(id_base: u64) -> String {
    format!(
        "{}\n{}\n{}\n",
        json!({"jsonrpc":"2.0","id":id_base,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}),
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        json!({"jsonrpc":"2.0","id":id_base + 1,"method":"tools/list"})
    )
}

fn read_until_id<R: BufRead>(r: &mut R, id: u64) -> Value {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(r.read_line(&mut line).expect("read") > 0, "stream closed");
        let v: Value = serde_json::from_str(&line).expect("json line");
        if v["id"] == json!(id) {
            return v;
        }
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn direct_session(home: &Path, key: &str) -> (UnixStream, BufReader<UnixStream>) {
    let mut s = UnixStream::connect(pacer_shared::paths::socket_path(home)).expect("connect");
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        client: "bench/1".into(),
        channel: Channel::Mcp,
        api_key: Some(Secret::new(key.into())),
    };
    s.write_all(&encode_frame(&hello).expect("frame")).expect("hello");
    let mut len = [0u8; 4];
    s.read_exact(&mut len).expect("reply len");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).expect("reply");
    let reply: HelloReply = serde_json::from_slice(&body).expect("reply json");
    assert!(matches!(reply, HelloReply::Welcome { .. }), "{reply:?}");
    let reader = BufReader::new(s.try_clone().expect("clone"));
    (s, reader)
}

/// A `pacer-mcp` for `key` on `home`, with its stdin and buffered stdout.
fn spawn_relay(key: &str, home: &Path) -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacer-mcp"))
        .env("PACER_API_KEY", key)
        .env("PACER_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pacer-mcp");
    let stdin = child.stdin.take().expect("stdin");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdin, out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(v: &mut [Duration], p: usize) -> f64 {
    v.sort();
    v[(v.len() - 1) * p / 100].as_secs_f64() * 1e3
}

fn main() {
    let (daemon, key) = start_daemon();
    let home = daemon.1.path().to_path_buf();

    // Cold start through pacer-mcp.
    let mut cold = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..COLD_RUNS {
        let t = Instant::now();
        let (mut child, mut stdin, mut out) = spawn_relay(&key, &home);
        stdin.write_all(init_lines(1).as_bytes()).expect("write");
        let r = read_until_id(&mut out, 2);
        cold.push(t.elapsed());
        assert!(r["result"]["tools"].is_array(), "{r}");
        rss.push(peak_rss_kib(child.id()));
        drop(stdin);
        let _ = child.wait();
    }
    // The same handshake made directly on the socket.
    let mut direct = Vec::new();
    for _ in 0..COLD_RUNS {
        let t = Instant::now();
        let (mut w, mut r) = direct_session(&home, &key);
        w.write_all(init_lines(1).as_bytes()).expect("write");
        read_until_id(&mut r, 2);
        direct.push(t.elapsed());
    }
    let (c, d) = (median(cold), median(direct));
    println!(
        "cold start → tools/list: pacer-mcp {:.2} ms (median of {COLD_RUNS}), direct socket {:.2} ms, ratio {:.2}; pacer-mcp peak RSS {} KiB",
        c.as_secs_f64() * 1e3,
        d.as_secs_f64() * 1e3,
        c.as_secs_f64() / d.as_secs_f64(),
        rss.iter().max().copied().unwrap_or(0)
    );

    // Warm tool-call round trips.
    let call = |id: u64| {
        json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":"get_connection_status","arguments":{}}})
            .to_string()
            + "\n"
    };
    let (mut child, mut stdin, mut out) = spawn_relay(&key, &home);
    stdin.write_all(init_lines(1).as_bytes()).expect("write");
    read_until_id(&mut out, 2);
    let mut relayed = Vec::with_capacity(CALLS);
    for i in 0..CALLS as u64 {
        let t = Instant::now();
        stdin.write_all(call(10 + i).as_bytes()).expect("write");
        read_until_id(&mut out, 10 + i);
        relayed.push(t.elapsed());
    }
    drop(stdin);
    let _ = child.wait();
    let (mut w, mut r) = direct_session(&home, &key);
    w.write_all(init_lines(1).as_bytes()).expect("write");
    read_until_id(&mut r, 2);
    let mut direct = Vec::with_capacity(CALLS);
    for i in 0..CALLS as u64 {
        let t = Instant::now();
        w.write_all(call(10 + i).as_bytes()).expect("write");
        read_until_id(&mut r, 10 + i);
        direct.push(t.elapsed());
    }
    let (rp50, rp99, dp50, dp99) =
        (pct(&mut relayed, 50), pct(&mut relayed, 99), pct(&mut direct, 50), pct(&mut direct, 99));
    println!(
        "tool call round trip ({CALLS} calls): via pacer-mcp p50 {rp50:.3} ms p99 {rp99:.3} ms; direct p50 {dp50:.3} ms p99 {dp99:.3} ms; relay added p50 {:.3} ms, ratio {:.2}",
        rp50 - dp50,
        rp50 / dp50
    );
}
