//! A minimal MCP client over a child's stdio (the real `pacer-mcp` binary), for e2e tests.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// `pacer-mcp`, built next to `pacerd` by `cargo build --workspace`.
pub fn pacer_mcp_bin() -> PathBuf {
    let p = Path::new(crate::fixture::pacerd_bin()).with_file_name("pacer-mcp");
    assert!(p.exists(), "{} missing: build the workspace first (cargo build --workspace)", p.display());
    p
}

/// A running `pacer-mcp` with line-level access to its stdout.
pub struct McpClient {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next_id: u64,
    /// Notifications seen while waiting for responses.
    pub notifications: Vec<Value>,
}

impl McpClient {
    /// Starts `pacer-mcp` for `home` with `key` (and extra env).
    pub fn start(home: &Path, key: Option<&str>, env: &[(&str, &str)]) -> Self {
        Self::start_with_stderr(home, key, env, Stdio::null())
    }

    /// Like [`start`](Self::start), with `pacer-mcp`'s stderr (its log) sent to `stderr`.
    pub fn start_with_stderr(home: &Path, key: Option<&str>, env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut cmd = Command::new(pacer_mcp_bin());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PACER_HOME", home)
            .env("PACER_LOG", "debug")
            .env("PACER_DAEMON_BIN", crate::fixture::pacerd_bin())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(k) = key {
            cmd.env("PACER_API_KEY", k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn pacer-mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, stdin, lines: rx, next_id: 1, notifications: Vec::new() }
    }

    /// Writes one raw line.
    pub fn send_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to pacer-mcp");
        self.stdin.flush().expect("flush");
    }

    /// Sends a request and waits for its response (every stdout line must be JSON).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_line(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string());
        self.wait_for(id, Duration::from_secs(60))
    }

    /// Waits for the response with `id`, collecting notifications.
    pub fn wait_for(&mut self, id: u64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let v: Value =
                        serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                    if v["id"] == json!(id) {
                        return v;
                    }
                    if v.get("method").is_some() {
                        self.notifications.push(v);
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no response to request {id} within {timeout:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("pacer-mcp closed stdout before answering {id}"),
            }
        }
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str) {
        self.send_line(&json!({"jsonrpc": "2.0", "method": method}).to_string());
    }

    /// initialize + notifications/initialized; returns the initialize result.
    pub fn initialize(&mut self, version: &str) -> Value {
        let r = self.request(
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "pacer-it", "version": "1"}}),
        );
        self.notify("notifications/initialized");
        r
    }

    /// tools/call.
    pub fn call(&mut self, name: &str, args: Value) -> Value {
        self.request("tools/call", json!({"name": name, "arguments": args}))
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
