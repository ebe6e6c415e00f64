//! Helpers the benches share (each bench is its own crate: `mod common;`, using part of it).
#![allow(dead_code)]

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `pacerd --home HOME <args>` to completion (bounded by `timeout`) and returns its stdout;
/// a failure carries the exit status and stderr.
pub fn pacerd_cli(pacerd: &str, home: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut child = Command::new(pacerd)
        .arg("--home")
        .arg(home)
        .args(args)
        .env("PACER_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn pacerd {args:?}: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("pacerd {args:?} did not finish within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    if status.success() { Ok(out) } else { Err(format!("pacerd {args:?}: {status}: {err}")) }
}

/// The release `pacerd` of this bench run.
pub const PACERD: &str = env!("CARGO_BIN_EXE_pacerd");

/// `config.toml` with the per-key and per-IP limiters on but high enough that the load is
/// measured, not denied.
pub const HIGH_LIMITS: &str = "[limits]\nfree_per_minute = 10000000\npremium_per_minute = 10000000\n\
enterprise_per_minute = 10000000\nip_per_minute = 10000000\n";

/// A daemon on a private temp home; killed (and waited for) when dropped.
pub struct Daemon {
    child: std::process::Child,
    home: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs `pacerd --home H <args>` to completion (bounded) and returns its stdout.
    pub fn cli(&self, args: &[&str], timeout: Duration) -> Result<String, String> {
        pacerd_cli(PACERD, self.home(), args, timeout)
    }

    /// `pacerd <args> --json`, parsed.
    pub fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.cli(&all, Duration::from_secs(30)).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("pacerd {args:?}: not JSON ({e}): {out}"))
    }
}

/// A 0700 temp home holding `config` as `config.toml` (when given).
fn home_with(config: Option<&str>) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("tempdir for pacer home");
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod pacer home");
    if let Some(config) = config {
        std::fs::write(home.path().join("config.toml"), config).expect("write config.toml");
    }
    home
}

#[allow(clippy::zombie_processes)] // Daemon's Drop kills and waits.
fn spawn(mode: &str, home: tempfile::TempDir, env: &[(&str, &str)]) -> Daemon {
    let child = Command::new(PACERD)
        .args([mode, "--http", "127.0.0.1:0", "--home"])
        .arg(home.path())
        .env("PACER_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn pacerd {mode}: {e}"));
    Daemon { child, home }
}

/// `pacerd demo` with [`HIGH_LIMITS`] and `env` on loopback (an ephemeral port); its `demo.json`.
pub fn demo(env: &[(&str, &str)]) -> (Daemon, serde_json::Value) {
    let daemon = spawn("demo", home_with(Some(HIGH_LIMITS)), env);
    let facts_path = daemon.home().join("demo.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(b) = std::fs::read(&facts_path)
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b)
        {
            return (daemon, v);
        }
        assert!(Instant::now() < deadline, "pacerd demo did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `pacerd serve` on loopback (an ephemeral port), answering `status` on its socket.
pub fn serve(config: Option<&str>) -> Daemon {
    let daemon = spawn("serve", home_with(config), &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Err(e) = daemon.cli(&["status"], Duration::from_secs(10)) {
        assert!(Instant::now() < deadline, "pacerd serve did not start: {e}");
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon
}

/// One stateless JSON-RPC request `id` over `POST {url}/mcp` with `key`; its `result` and the
/// body's size. Panics (the bench stops) on any failure, a JSON-RPC error or an `isError` result.
pub async fn mcp_post(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    id: u64,
    method: &str,
    params: serde_json::Value,
) -> (serde_json::Value, usize) {
    let res = client
        .post(format!("{url}/mcp"))
        .header("x-api-key", key)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /mcp {method}: {e}"));
    let status = res.status();
    let text = res.text().await.unwrap_or_else(|e| panic!("POST /mcp {method} body: {e}"));
    assert!(status.is_success(), "POST /mcp {method} answered {status}: {text}");
    let mut v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST /mcp {method}: not JSON ({e}): {text}"));
    assert!(v.get("error").is_none() && v["result"]["isError"] != true, "{method} failed: {text}");
    (v["result"].take(), text.len())
}
