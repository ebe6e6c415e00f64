//! Helpers the benches share (each bench is its own crate: `mod common;`, using part of it).
#![allow(dead_code)]

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `pacerd --home HOME <args>` to completion (bounded by `timeout`) and returns its stdout;
/// a failure carries the exit status and stderr.
pub fn pacerd_cli(pacerd: &str, home: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
    pacerd_cli_input(pacerd, home, args, None, timeout)
}

/// [`pacerd_cli`] with `input` written to the command's stdin (e.g. `--password-stdin`).
pub fn pacerd_cli_input(
    pacerd: &str,
    home: &Path,
    args: &[&str],
    input: Option<&str>,
    timeout: Duration,
) -> Result<String, String> {
    use std::io::Write as _;
    let mut child = Command::new(pacerd)
        .arg("--home")
        .arg(home)
        .args(args)
        .env("PACER_LOG", "warn")
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn pacerd {args:?}: {e}"))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input.as_bytes()).map_err(|e| format!("pacerd {args:?}: write stdin: {e}"))?;
    }
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
pub const HIGH_LIMITS: &str = include_str!("../../tests/high_limits.toml");

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
fn spawn(mode: &str, home: tempfile::TempDir, env: &[(&str, &str)]) -> Result<Daemon, String> {
    // Its warnings and errors go to `pacerd.log` in its home (quoted when it fails to start).
    let log = std::fs::File::create(home.path().join("pacerd.log")).map_err(|e| format!("pacerd.log: {e}"))?;
    let child = Command::new(PACERD)
        .args([mode, "--http", "127.0.0.1:0", "--home"])
        .arg(home.path())
        .env("PACER_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("spawn pacerd {mode}: {e}"))?;
    Ok(Daemon { child, home })
}

/// `pacerd demo` with [`HIGH_LIMITS`] and `env` on loopback (an ephemeral port); its `demo.json`.
pub fn demo(env: &[(&str, &str)]) -> (Daemon, serde_json::Value) {
    let daemon = spawn("demo", home_with(Some(HIGH_LIMITS)), env).unwrap_or_else(|e| panic!("{e}"));
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
    try_serve(config, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// `pacerd serve` with `config` and `env` on loopback (an ephemeral port), once it answers
/// `status` on its socket; an error (with the last line of its log) when it exits or does not
/// answer within 60 s.
pub fn try_serve(config: Option<&str>, env: &[(&str, &str)]) -> Result<Daemon, String> {
    let mut daemon = spawn("serve", home_with(config), env)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Err(e) = daemon.cli(&["status"], Duration::from_secs(10)) {
        let exited = daemon.child.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(daemon.home().join("pacerd.log")).unwrap_or_default();
            let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(e.as_str()).trim().to_owned();
            return Err(match exited {
                Some(status) => format!("pacerd serve exited ({status}): {last}"),
                None => format!("pacerd serve did not answer within 60 s: {last}"),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(daemon)
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

/// One request shape for [`wrk`]: the method, headers and body every connection repeats, and
/// what a good answer's body holds.
pub struct WrkRequest<'a> {
    pub method: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a str>,
    /// A 2xx answer whose body lacks this is counted in [`WrkResult::bad_bodies`].
    pub expect: Option<&'a str>,
    /// A 2xx answer whose body holds this is counted in [`WrkResult::bad_bodies`] (e.g. a
    /// JSON-RPC error or a tool's `"isError":true`, both HTTP 200).
    pub refuse: Option<&'a str>,
    /// Mean pause (ms) of each connection between an answer and its next request; 0 = flat
    /// out. wrk's `delay()` takes whole milliseconds, so a fraction is a random mix of the two
    /// neighbours. Paces the load below saturation (latency at a given rate).
    pub pause_ms: f64,
}

impl WrkRequest<'_> {
    /// `GET` with `headers`, any 2xx answer counting as good.
    pub fn get<'a>(headers: &'a [(&'a str, &'a str)]) -> WrkRequest<'a> {
        WrkRequest { method: "GET", headers, body: None, expect: None, refuse: None, pause_ms: 0.0 }
    }
}

/// What one (or several summed) `wrk` runs measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct WrkResult {
    /// Completed requests.
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers outside 2xx/3xx.
    pub non_2xx: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
    /// 2xx answers failing [`WrkRequest::expect`] / [`WrkRequest::refuse`].
    pub bad_bodies: u64,
}

impl WrkResult {
    /// Every kind of failed request.
    pub fn errors(&self) -> u64 {
        self.non_2xx + self.socket_errors + self.bad_bodies
    }

    /// Runs that ran side by side against different servers, as one load: requests, req/s and
    /// errors add up; p50 and p99 are the worst of the runs (wrk's histograms cannot be merged).
    pub fn sum(runs: &[WrkResult]) -> WrkResult {
        runs.iter().fold(WrkResult::default(), |a, r| WrkResult {
            requests: a.requests + r.requests,
            rps: a.rps + r.rps,
            p50_ms: a.p50_ms.max(r.p50_ms),
            p99_ms: a.p99_ms.max(r.p99_ms),
            non_2xx: a.non_2xx + r.non_2xx,
            socket_errors: a.socket_errors + r.socket_errors,
            bad_bodies: a.bad_bodies + r.bad_bodies,
        })
    }
}

/// True when `wrk` is on the PATH.
pub fn wrk_available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// A `wrk` started by [`wrk_start`]; [`WrkRun::finish`] waits for it.
pub struct WrkRun {
    child: std::process::Child,
    url: String,
    _script: tempfile::NamedTempFile,
}

/// `s` as a Lua long string (`[======[…]======]`: nothing in a URL, header or JSON body closes it).
fn lua_string(s: &str) -> String {
    format!("[======[{s}]======]")
}

/// The Lua script giving `wrk` the request and counting bad bodies across its threads.
fn wrk_script(req: &WrkRequest<'_>) -> String {
    let mut lua = format!("wrk.method = {}\n", lua_string(req.method));
    if let Some(body) = req.body {
        lua += &format!("wrk.body = {}\n", lua_string(body));
    }
    for (name, value) in req.headers {
        lua += &format!("wrk.headers[ {} ] = {}\n", lua_string(name), lua_string(value));
    }
    if req.pause_ms > 0.0 {
        lua += &format!(
            "local pause = {}\nfunction delay()\n  local whole = math.floor(pause)\n  \
             if math.random() < pause - whole then return whole + 1 end\n  return whole\nend\n",
            req.pause_ms
        );
    }
    if req.expect.is_some() || req.refuse.is_some() {
        let opt = |s: Option<&str>| s.map_or("nil".to_owned(), lua_string);
        lua += &format!("local expect = {}\nlocal refuse = {}\n", opt(req.expect), opt(req.refuse));
        lua += r#"local threads = {}
function setup(thread) table.insert(threads, thread) end
bad = 0
function response(status, headers, body)
  if status >= 200 and status < 300 then
    if (expect and not string.find(body, expect, 1, true)) or (refuse and string.find(body, refuse, 1, true)) then
      bad = bad + 1
    end
  end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("bad") or 0) end
  io.write(string.format("bad bodies: %d\n", n))
end
"#;
    }
    lua
}

/// Starts `wrk -t THREADS -c CONNECTIONS -d SECONDS --latency` against `url` with `req`.
pub fn wrk_start(
    url: &str,
    threads: usize,
    connections: usize,
    seconds: u64,
    req: &WrkRequest<'_>,
) -> Result<WrkRun, String> {
    use std::io::Write as _;
    let mut script = tempfile::Builder::new().suffix(".lua").tempfile().map_err(|e| format!("wrk script: {e}"))?;
    script.write_all(wrk_script(req).as_bytes()).map_err(|e| format!("wrk script: {e}"))?;
    let child = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string(), "-d", &format!("{seconds}s"), "--latency"])
        .arg("-s")
        .arg(script.path())
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run wrk (apt-get install wrk): {e}"))?;
    Ok(WrkRun { child, url: url.to_owned(), _script: script })
}

impl WrkRun {
    /// Waits for `wrk` and parses its report.
    pub fn finish(self) -> Result<WrkResult, String> {
        let out = self.child.wait_with_output().map_err(|e| format!("wrk: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("wrk {} failed: {}{}", self.url, text, String::from_utf8_lossy(&out.stderr)));
        }
        parse_wrk(&text).ok_or_else(|| format!("wrk {}: unexpected report:\n{text}", self.url))
    }
}

/// Runs `wrk` against `url` and parses its report (see [`wrk_start`]).
pub fn wrk(
    url: &str,
    threads: usize,
    connections: usize,
    seconds: u64,
    req: &WrkRequest<'_>,
) -> Result<WrkResult, String> {
    wrk_start(url, threads, connections, seconds, req)?.finish()
}

/// wrk's `--latency` report (and the script's `bad bodies: N`); `None` without a request count.
fn parse_wrk(text: &str) -> Option<WrkResult> {
    let line = |start: &str| text.lines().map(str::trim).find(|l| l.starts_with(start));
    let second = |start: &str| line(start).and_then(|l| l.split_whitespace().nth(1));
    let requests = text
        .lines()
        .map(str::trim)
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())?;
    // "Socket errors: connect 0, read 1, write 0, timeout 2"
    let socket_errors = line("Socket errors:").map_or(0, |l| {
        l.split([',', ':']).filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok()).sum()
    });
    let count = |start: &str| line(start).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0);
    Some(WrkResult {
        requests,
        rps: second("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(0.0),
        p50_ms: second("50%").map_or(f64::NAN, wrk_ms),
        p99_ms: second("99%").map_or(f64::NAN, wrk_ms),
        non_2xx: count("Non-2xx or 3xx responses:"),
        socket_errors,
        bad_bodies: count("bad bodies:"),
    })
}

/// `1.23ms`, `850.00us`, `1.02s`, `2.00m` → milliseconds.
fn wrk_ms(v: &str) -> f64 {
    let (num, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1e3)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60e3)
    } else {
        (v, f64::NAN)
    };
    num.parse::<f64>().map_or(f64::NAN, |n| n * factor)
}

/// CPU time (user + system, seconds) process `pid` has used so far, from `/proc/<pid>/stat`
/// (0 when it cannot be read). Server CPU per request is the steadiest number a load run gives:
/// unlike req/s it hardly moves when the load generator and the server fight for the cores.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (in parentheses, may hold spaces) come field 3 (state) onwards;
    // utime and stime are fields 14 and 15, in USER_HZ ticks (100 per second on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (tick(11) + tick(12)) as f64 / 100.0
}

/// `/proc/loadavg`'s three averages.
pub fn load_average() -> (String, String, String) {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = text.split_whitespace().map(str::to_owned);
    (it.next().unwrap_or_default(), it.next().unwrap_or_default(), it.next().unwrap_or_default())
}
