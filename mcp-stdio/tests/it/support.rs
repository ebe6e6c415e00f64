//! Fixtures: a temp `PACER_HOME`, a fake `pacerd` speaking the real handshake, and the real
//! `pacer-mcp` binary driven over pipes.

use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pacer_shared::ipc::{self, Hello, HelloReply, MAX_FRAME_BYTES, PROTOCOL_VERSION, RefusalCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::{UnixListener, UnixStream};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The API key every test passes to `pacer-mcp`.
pub const KEY: &str = "pk_test_0123456789abcdef";
/// Upper bound for any single expected event.
pub const WAIT: Duration = Duration::from_secs(10);

/// A temporary `PACER_HOME`.
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<home>/run/pacerd.sock`, as `pacerd` would use.
    pub fn socket(&self) -> PathBuf {
        pacer_shared::paths::socket_path(self.path())
    }

    /// Writes an executable shell script into the home and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
        path
    }
}

/// How the fake daemon answers Hello.
#[derive(Clone)]
pub enum Greeting {
    Welcome,
    Refuse(RefusalCode, &'static str),
}

/// Something the fake daemon observed.
#[derive(Debug)]
pub enum Seen {
    /// A Hello on connection `n` (numbered from 0).
    Hello(usize, Hello),
    /// A JSON-RPC line on connection `n`.
    Line(usize, Value),
}

/// A fake `pacerd`: real [`ipc`] handshake, then canned MCP answers.
///
/// `tools/call` of the tool `crash` closes the connection without answering, as does the
/// notification `test/hangup`; `test/deaf` stops reading but keeps the connection open;
/// `test/notify` sends a notification before its result; `test/slow` answers after 300 ms.
pub struct FakeDaemon {
    seen: mpsc::UnboundedReceiver<Seen>,
    accept: JoinHandle<()>,
}

impl FakeDaemon {
    pub fn start(socket: &Path, greeting: Greeting) -> Self {
        let run_dir = socket.parent().expect("socket dir");
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(run_dir).expect("run dir");
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket).expect("bind fake daemon");
        let (tx, seen) = mpsc::unbounded_channel();
        let accept = tokio::spawn(async move {
            let mut n = 0;
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(n, stream, greeting.clone(), tx.clone()));
                n += 1;
            }
        });
        Self { seen, accept }
    }

    /// The next observation; panics after [`WAIT`].
    pub async fn next(&mut self) -> Seen {
        tokio::time::timeout(WAIT, self.seen.recv())
            .await
            .expect("fake daemon saw nothing in time")
            .expect("fake daemon stopped")
    }

    /// The next observation, which must be a Hello; returns its connection number.
    pub async fn expect_hello(&mut self) -> (usize, Hello) {
        match self.next().await {
            Seen::Hello(n, hello) => (n, hello),
            other => panic!("expected Hello, got {other:?}"),
        }
    }

    /// The next observation, which must be a JSON-RPC line.
    pub async fn expect_line(&mut self) -> (usize, Value) {
        match self.next().await {
            Seen::Line(n, line) => (n, line),
            other => panic!("expected a line, got {other:?}"),
        }
    }

    /// Observations that are already queued, without waiting.
    pub fn drain(&mut self) -> Vec<Seen> {
        std::iter::from_fn(|| self.seen.try_recv().ok()).collect()
    }
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve_connection(n: usize, mut stream: UnixStream, greeting: Greeting, seen: mpsc::UnboundedSender<Seen>) {
    let Ok(hello) = ipc::read_frame::<_, Hello>(&mut stream, MAX_FRAME_BYTES).await else {
        return;
    };
    let _ = seen.send(Seen::Hello(n, hello));
    let reply = match greeting {
        Greeting::Welcome => HelloReply::Welcome { protocol: PROTOCOL_VERSION, daemon: "pacerd/fake".into() },
        Greeting::Refuse(code, message) => HelloReply::Refused { code, message: message.into() },
    };
    ipc::write_frame(&mut stream, &reply).await.expect("write HelloReply");
    if matches!(greeting, Greeting::Refuse(..)) {
        return;
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let msg: Value = serde_json::from_str(&line).expect("pacer-mcp forwarded non-JSON");
        let _ = seen.send(Seen::Line(n, msg.clone()));
        if msg["method"] == "test/hangup" {
            return; // a daemon restart between requests
        }
        if msg["method"] == "test/deaf" {
            // Stop reading but keep the connection: pacer-mcp's next write fails with EPIPE
            // before it can notice anything on the read side.
            let fd = lines.get_ref().get_ref().as_ref().as_raw_fd();
            // SAFETY: shutdown(2) on a socket this task owns.
            assert_eq!(unsafe { libc::shutdown(fd, libc::SHUT_RD) }, 0);
            std::future::pending::<()>().await;
        }
        let (Some(id), Some(method)) = (msg.get("id"), msg["method"].as_str()) else {
            continue; // notifications and responses get no answer
        };
        let result = match method {
            "initialize" => json!({
                "protocolVersion": msg["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "fake-pacerd", "version": "0"},
            }),
            "tools/list" => {
                json!({"tools": [{"name": "get_athlete", "inputSchema": {"type": "object"}}]})
            }
            "tools/call" if msg["params"]["name"] == "crash" => return,
            "test/slow" => {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                json!({"slow": true})
            }
            "tools/call" => json!({"content": [{"type": "text", "text": "ok"}]}),
            "test/notify" => {
                let note = json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hi"}});
                write.write_all(format!("{note}\n").as_bytes()).await.expect("write notification");
                json!({})
            }
            _ => json!({}),
        };
        let response = json!({"jsonrpc": "2.0", "id": id, "result": result});
        if write.write_all(format!("{response}\n").as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The real `pacer-mcp` binary, with stdin/stdout piped and stderr collected.
pub struct Mcp {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl Mcp {
    /// Starts `pacer-mcp` for `home` with a clean environment: the test key, debug logs, and a
    /// `PACER_DAEMON_BIN` that does not exist (so no real `pacerd` is ever autostarted).
    /// `configure` may change the command further.
    pub fn spawn(home: &Path, configure: impl FnOnce(&mut Command)) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pacer-mcp"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PACER_HOME", home)
            .env("PACER_API_KEY", KEY)
            .env("PACER_DAEMON_BIN", home.join("no-such-pacerd"))
            .env("PACER_LOG", "pacer_mcp=debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        configure(&mut command);
        let mut child = command.spawn().expect("spawn pacer-mcp");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf).await {
                sink.lock().expect("stderr lock").push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self { child, stdin, stdout, stderr }
    }

    /// Everything `pacer-mcp` logged so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("pacer-mcp still running")
    }

    /// Writes raw bytes to stdin.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).await.expect("write stdin");
        stdin.flush().await.expect("flush stdin");
    }

    /// Writes one JSON-RPC message as a line.
    pub async fn send(&mut self, msg: &Value) {
        self.send_raw(format!("{msg}\n").as_bytes()).await;
    }

    /// Reads the next stdout line, which must be a JSON object.
    pub async fn recv(&mut self) -> Value {
        let line = match tokio::time::timeout(WAIT, self.stdout.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(other) => panic!("stdout ended ({other:?}); stderr:\n{}", self.stderr()),
            Err(_) => panic!("no stdout line in time; stderr:\n{}", self.stderr()),
        };
        let value: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        assert!(value.is_object(), "stdout line is not a JSON-RPC object: {line}");
        value
    }

    /// Sends a request and returns the next stdout line (its response, in these tests).
    pub async fn request(&mut self, id: Value, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        let response = self.recv().await;
        assert_eq!(response["id"], id, "response to another request: {response}");
        response
    }

    /// Waits for exit with stdin still open.
    pub async fn wait(&mut self) -> ExitStatus {
        tokio::time::timeout(WAIT, self.child.wait()).await.expect("pacer-mcp did not exit").expect("wait")
    }

    /// Closes stdin and waits for exit; returns the status and any stdout lines left unread.
    pub async fn finish(mut self) -> (ExitStatus, Vec<String>) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("pacer-mcp did not exit after stdin EOF")
            .expect("wait");
        let mut rest = Vec::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            rest.push(line);
        }
        (status, rest)
    }
}

/// Parameters of a client `initialize` request.
pub fn initialize_params() -> Value {
    json!({
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "it", "version": "1"},
    })
}

/// The `notifications/initialized` message.
pub fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

/// Asserts `response` is a JSON-RPC error with `code` and returns its message.
pub fn error_of(response: &Value, code: i64) -> String {
    assert_eq!(response["error"]["code"], code, "unexpected response: {response}");
    response["error"]["message"].as_str().expect("error message").to_owned()
}
