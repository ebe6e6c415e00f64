//! A real `pacerd` daemon per test: its own temp home, real SQLite file, real Unix socket,
//! real HTTP on an ephemeral loopback port. Stopped (SIGTERM, then SIGKILL) on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pacer_shared::ipc::{AdminRequest, AdminResponse};
use serde_json::Value;

/// Path of the `pacerd` binary under test.
pub fn pacerd_bin() -> &'static str {
    env!("CARGO_BIN_EXE_pacerd")
}

/// How to start a daemon.
#[derive(Default, Clone)]
pub struct Options {
    /// Extra `config.toml` text written into the home before start.
    pub config_toml: String,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Run `pacerd demo` instead of `pacerd serve`.
    pub demo: bool,
    /// Serve the sandbox provider (`PACER_SANDBOX=1`).
    pub sandbox: bool,
}

/// A running daemon.
pub struct TestDaemon {
    pub home: tempfile::TempDir,
    pub child: Option<Child>,
    pub http_url: String,
    pub socket: PathBuf,
    pub log: PathBuf,
}

/// A fresh private home directory (0700).
pub fn new_home() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new().prefix("pacer-it-").tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod home");
    dir
}

/// Spawns `pacerd <args> --home <home>` with a clean environment.
pub fn spawn(home: &Path, args: &[&str], opts: &Options, log: &Path) -> Child {
    let log_file = std::fs::File::create(log).expect("log file");
    let mut cmd = Command::new(pacerd_bin());
    cmd.args(args)
        .arg("--home")
        .arg(home)
        .env_remove("PACER_HOME")
        .env("PACER_LOG", "info,pacerd=debug")
        .env("PACER_SANDBOX", if opts.sandbox { "1" } else { "0" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn pacerd")
}

impl TestDaemon {
    /// `pacerd serve` with defaults.
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// Starts with options and waits until the admin channel answers.
    pub fn start_with(opts: Options) -> Self {
        let home = new_home();
        if !opts.config_toml.is_empty() {
            std::fs::write(home.path().join("config.toml"), &opts.config_toml).expect("config");
        }
        Self::start_in(home, opts)
    }

    /// Starts a daemon on an existing home (restart tests).
    pub fn start_in(home: tempfile::TempDir, opts: Options) -> Self {
        let log = home.path().join(format!("pacerd-{}.log", std::process::id()));
        let cmd = if opts.demo { "demo" } else { "serve" };
        let child = spawn(home.path(), &[cmd, "--http", "127.0.0.1:0"], &opts, &log);
        let socket = pacer_shared::paths::socket_path(home.path());
        let mut d = Self { home, child: Some(child), http_url: String::new(), socket, log };
        d.wait_ready();
        d
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("pacerd exited early ({status}); log:\n{}", self.log_text());
            }
            if self.socket.exists()
                && let Ok(AdminResponse::Status(s)) = self.try_admin(AdminRequest::Status)
            {
                self.http_url = format!("http://{}", s.http_addr);
                return;
            }
            assert!(Instant::now() < deadline, "pacerd not ready after 30 s; log:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// The daemon's log so far (stderr).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `demo.json` of a `pacerd demo` daemon (waits until it is written).
    pub fn demo_facts(&self) -> Value {
        let path = self.home().join("demo.json");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(bytes) = std::fs::read(&path)
                && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
            {
                return v;
            }
            assert!(Instant::now() < deadline, "demo.json not written; log:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// POSTs JSON to the sandbox's fault switch.
    pub fn sandbox_faults(&self, body: Value) {
        let url = format!("{}/sandbox/strava/_sandbox/faults", self.http_url);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let status =
            rt.block_on(async { http().post(&url).json(&body).send().await.map(|r| r.status()) }).expect("faults");
        assert!(status.is_success(), "fault switch answered {status}");
    }

    /// Home directory.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// One admin request over the real socket.
    pub fn try_admin(&self, req: AdminRequest) -> Result<AdminResponse, String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        rt.block_on(pacerd::cli::admin_client::request(&self.socket, req))
    }

    /// One admin request that must succeed.
    pub fn admin(&self, req: AdminRequest) -> AdminResponse {
        match self.try_admin(req) {
            Ok(AdminResponse::Error { message, .. }) => panic!("admin error: {message}"),
            Ok(r) => r,
            Err(e) => panic!("admin failed: {e}"),
        }
    }

    /// Runs the `pacerd` CLI against this daemon's home.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli_in(self.home(), args, None)
    }

    /// Runs the CLI with `--json` appended, asserts success and parses stdout.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.cli(&all);
        assert!(out.status.success(), "pacerd {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// Creates a user (tenant optional) and a key; returns (user JSON, full key).
    pub fn user_with_key(&self, email: &str, tenant: Option<&str>, tier: &str) -> (Value, String) {
        let mut args = vec!["users", "add", "--email", email];
        if let Some(t) = tenant {
            args.extend(["--tenant", t]);
        }
        let user = self.cli_json(&args);
        let key = self.cli_json(&["keys", "create", "--user", email, "--name", "test", "--tier", tier]);
        let secret = key["api_key"].as_str().expect("api_key").to_string();
        (user, secret)
    }

    /// `pacerd demo` only: waits until *this run's* set-up has finished (the "pacer demo is
    /// running" banner on stdout, printed after `demo.json` is written) and returns `demo.json`.
    /// Unlike [`demo_facts`](Self::demo_facts), on a reused home it never returns the previous
    /// run's file. Panics with the log if set-up fails.
    pub fn demo_facts_fresh(&mut self) -> Value {
        if let Some(stdout) = self.child.as_mut().and_then(|c| c.stdout.take()) {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                use std::io::BufRead;
                let mut tx = Some(tx);
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("pacer demo is running")
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(());
                    }
                }
            });
            if rx.recv_timeout(Duration::from_secs(30)).is_err() {
                panic!("pacerd demo did not finish its set-up; log:\n{}", self.log_text());
            }
        }
        let path = self.home().join("demo.json");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_slice(&bytes).expect("demo.json is JSON")
    }

    /// Sends SIGTERM and waits for exit; returns whether it exited cleanly.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else { return true };
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Kills the daemon without a chance to clean up (crash simulation).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `pacerd --home <home> <args>` (stdin from `input` when given).
pub fn cli_in(home: &Path, args: &[&str], input: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(pacerd_bin());
    cmd.args(args).arg("--home").arg(home).env_remove("PACER_HOME").env("PACER_LOG", "warn");
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn pacerd cli");
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("cli output")
}

/// Raw bytes of every file of the database (db, WAL, shm) concatenated.
pub fn raw_db_bytes(home: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["pacer.db", "pacer.db-wal", "pacer.db-shm"] {
        if let Ok(b) = std::fs::read(home.join(name)) {
            all.extend(b);
        }
    }
    all
}

/// True when `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// A blocking HTTP client for tests.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// One fully read HTTP response (see [`Web`]).
pub struct Reply {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of a JSON error body (empty when absent).
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_string()
    }

    /// `error.message` of a JSON error body (empty when absent).
    pub fn error_message(&self) -> String {
        self.json()["error"]["message"].as_str().unwrap_or_default().to_string()
    }

    /// The `Location` of a redirect, parsed (panics unless this is a 302 with one).
    pub fn location(&self) -> url::Url {
        assert_eq!(self.status, reqwest::StatusCode::FOUND, "expected a redirect: {}", self.text);
        let loc = self.header("location").expect("Location header");
        url::Url::parse(loc).unwrap_or_else(|e| panic!("Location {loc:?}: {e}"))
    }
}

/// A blocking HTTP client for one daemon: never follows redirects, keeps no cookies.
pub struct Web {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    /// The daemon's `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Web {
    pub fn new(d: &TestDaemon) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Self { rt, client: http(), base: d.http_url.clone() }
    }

    /// A request to `path` (relative to the daemon) or to an absolute URL.
    pub fn req(&self, method: reqwest::Method, path_or_url: &str) -> reqwest::RequestBuilder {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        self.client.request(method, url)
    }

    pub fn get(&self, path_or_url: &str) -> reqwest::RequestBuilder {
        self.req(reqwest::Method::GET, path_or_url)
    }

    pub fn post(&self, path_or_url: &str) -> reqwest::RequestBuilder {
        self.req(reqwest::Method::POST, path_or_url)
    }

    /// Sends and reads the whole response.
    pub fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        self.rt.block_on(async {
            let res = req.send().await.expect("request");
            let (status, headers) = (res.status(), res.headers().clone());
            Reply { status, headers, text: res.text().await.expect("body") }
        })
    }

    /// `POST /api/auth/login`; returns the JWT (asserts success).
    pub fn login(&self, email: &str, password: &str) -> String {
        let r =
            self.send(self.post("/api/auth/login").json(&serde_json::json!({"email": email, "password": password})));
        assert_eq!(r.status, reqwest::StatusCode::OK, "login {email}: {}", r.text);
        r.json()["access_token"].as_str().expect("access_token").to_string()
    }
}

impl TestDaemon {
    /// `pacerd users add --password-stdin` (tenant optional); returns the user JSON.
    pub fn user_with_password(&self, email: &str, tenant: Option<&str>, password: &str) -> Value {
        let mut args = vec!["users", "add", "--email", email, "--password-stdin", "--json"];
        if let Some(t) = tenant {
            args.extend(["--tenant", t]);
        }
        let out = cli_in(self.home(), &args, Some(&format!("{password}\n")));
        assert!(out.status.success(), "users add {email}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("user JSON")
    }
}

/// The daemon's database, opened beside it (WAL; waits on its locks).
pub fn open_db(home: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(home.join("pacer.db")).expect("open pacer.db");
    conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    conn
}
