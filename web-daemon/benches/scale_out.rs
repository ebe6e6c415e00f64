//! Scale-out cost and correctness: what one request costs in the shared services, and whether two
//! replicas on one PostgreSQL and one Redis answer the same load without errors.
//!
//! This machine has 2 cores, so it cannot show replicas adding throughput; it measures instead,
//! under `wrk` (64 connections, 2 threads, 5 s per case, after a 1 s warm-up):
//!
//! - `GET /api/keys/list` with a session JWT, and
//! - `POST /mcp` `tools/call get_activities` for a 30-day window already in the store (an
//!   enterprise API key, limits set high so nothing is refused; the user connected to a shared
//!   `pacerd sandbox` through the real OAuth flow),
//!
//! on one release `pacerd serve` on SQLite, one on PostgreSQL + Redis, then two on the same
//! PostgreSQL + Redis (the same master key and JWT secret: a session works on both; each wrk
//! process drives one replica with half the connections, and their results are summed). For each
//! case: req/s, p50, p99, errors (non-2xx, socket errors, and 2xx bodies that are not the
//! expected answer: a JSON-RPC error or a tool's `isError` come with HTTP 200), PostgreSQL
//! statements per request (`pg_stat_statements`, reset before the case; the hot path's statements
//! are listed) and Redis commands per request (`INFO commandstats` deltas). Goals from the issue:
//! at most one database and one Redis round trip per request on the hot path; two replicas with
//! zero errors and p99 within 2× of one. Timings are printed, never asserted.
//!
//! Uses `PACER_TEST_POSTGRES_URL` / `PACER_TEST_REDIS_URL` when set (statement counts need
//! `pg_stat_statements`, which `scripts/postgres-instance` loads), else starts both with
//! `scripts/postgres-instance` / `scripts/redis-instance` and stops them afterwards.
//!
//! Run: `cargo bench -p pacerd --bench scale_out` (or `bench/run`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{WrkRequest, WrkResult};
use serde_json::{Value, json};

const CONNECTIONS: usize = 64;
const THREADS: usize = 2;
const SECONDS: u64 = 5;
const WARMUP_SECONDS: u64 = 1;
const EMAIL: &str = "athlete@example.com";
const PASSWORD: &str = "scale-out bench password";
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const JWT_SECRET: &str = "scale-out-bench-replicas-share-this-jwt-secret-of-48-bytes";
/// The one callback `pacerd sandbox` redirects to; the bench, as the browser, takes the redirect
/// to the replica that started the flow instead.
const SANDBOX_CALLBACK: &str = "http://127.0.0.1:8081/oauth/strava/callback";
const WINDOW_S: i64 = 30 * 86_400;
const MCP_ACCEPT: &str = "application/json, text/event-stream";
const MCP_VERSION: &str = "2025-06-18";
/// Statements listed per PostgreSQL case.
const TOP_STATEMENTS: usize = 6;

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("scale_out: {e}");
        std::process::exit(1);
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts").join(name)
}

/// A service started by `scripts/<name>-instance start DIR`; stopped when dropped.
struct Instance {
    script: PathBuf,
    dir: PathBuf,
}

impl Instance {
    /// Starts it; the URL it prints.
    fn start(name: &str, dir: PathBuf) -> Res<(Self, String)> {
        let script = script(name);
        let out = Command::new(&script)
            .arg("start")
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", script.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            return Err(format!("{name} start failed ({}): {last}", out.status));
        }
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok((Self { script, dir }, url))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = Command::new(&self.script).arg("stop").arg(&self.dir).stdout(Stdio::null()).output();
    }
}

/// PostgreSQL and Redis: the test ones from the environment, or private ones started here.
struct Services {
    pg_url: String,
    redis_url: String,
    // Dropped in this order: the instances stop before their directory goes.
    _pg: Option<Instance>,
    _redis: Option<Instance>,
    _dir: tempfile::TempDir,
}

fn env_url(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty())
}

fn services() -> Res<Services> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    // The `postgres` system user (when run as root) must reach DIR/pg.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("chmod: {e}"))?;
    let (pg, pg_url) = match env_url("PACER_TEST_POSTGRES_URL") {
        Some(url) => (None, url),
        None => {
            let (i, url) = Instance::start("postgres-instance", dir.path().join("pg"))?;
            (Some(i), url)
        }
    };
    let (redis, redis_url) = match env_url("PACER_TEST_REDIS_URL") {
        Some(url) => (None, url),
        None => {
            let (i, url) = Instance::start("redis-instance", dir.path().join("redis"))?;
            (Some(i), url)
        }
    };
    Ok(Services { pg_url, redis_url, _pg: pg, _redis: redis, _dir: dir })
}

/// A database of its own on the server; dropped (with its connections) when this drops.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin_url: &str) -> Res<Self> {
        let name = format!("pacer_scale_out_{}", uuid::Uuid::new_v4().simple());
        let mut admin = postgres::Client::connect(admin_url, postgres::NoTls)
            .map_err(|e| format!("cannot connect to PostgreSQL at PACER_TEST_POSTGRES_URL's server: {e}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}")).map_err(|e| format!("CREATE DATABASE: {e}"))?;
        let mut url = url::Url::parse(admin_url).map_err(|e| format!("PostgreSQL URL: {e}"))?;
        url.set_path(&format!("/{name}"));
        Ok(Self { admin_url: admin_url.to_owned(), name, url: url.into() })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// `pg_stat_statements` of one database, read through the server's admin URL.
struct PgStats {
    client: postgres::Client,
    database: String,
}

impl PgStats {
    /// The view, or why it cannot be read.
    fn open(admin_url: &str, database: &str) -> Res<Self> {
        let mut client = postgres::Client::connect(admin_url, postgres::NoTls).map_err(|e| e.to_string())?;
        client.batch_execute("SELECT pg_stat_statements_reset(); SELECT count(*) FROM pg_stat_statements").map_err(
            |e| {
                let e = e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned());
                format!("{e} (start the server with scripts/postgres-instance, which loads pg_stat_statements)")
            },
        )?;
        Ok(Self { client, database: database.to_owned() })
    }

    fn reset(&mut self) -> Res<()> {
        self.client.batch_execute("SELECT pg_stat_statements_reset()").map_err(|e| format!("pg_stat_statements: {e}"))
    }

    /// (calls, normalized statement) of the database since the last reset, most called first.
    fn read(&mut self) -> Res<Vec<(u64, String)>> {
        let rows = self
            .client
            .query(
                "SELECT s.calls::bigint, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
                 WHERE d.datname = $1 ORDER BY s.calls DESC",
                &[&self.database],
            )
            .map_err(|e| format!("pg_stat_statements: {e}"))?;
        Ok(rows.iter().map(|r| (r.get::<_, i64>(0).max(0) as u64, r.get::<_, String>(1))).collect())
    }
}

/// Redis's `INFO commandstats`, reset before each case.
struct RedisStats {
    conn: redis::Connection,
}

impl RedisStats {
    fn open(url: &str) -> Res<Self> {
        let client = redis::Client::open(url).map_err(|e| format!("Redis URL: {e}"))?;
        let conn = client.get_connection().map_err(|e| format!("cannot connect to Redis: {e}"))?;
        Ok(Self { conn })
    }

    fn reset(&mut self) -> Res<()> {
        redis::cmd("CONFIG").arg("RESETSTAT").query::<()>(&mut self.conn).map_err(|e| format!("CONFIG RESETSTAT: {e}"))
    }

    /// (command, calls) since the last reset, the bench's own `INFO`/`CONFIG` left out.
    fn read(&mut self) -> Res<Vec<(String, u64)>> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.conn)
            .map_err(|e| format!("INFO commandstats: {e}"))?;
        // cmdstat_evalsha:calls=123,usec=456,usec_per_call=3.71,rejected_calls=0,failed_calls=0
        let mut stats: Vec<(String, u64)> = info
            .lines()
            .filter_map(|l| {
                let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = rest.split(',').find_map(|kv| kv.strip_prefix("calls="))?.parse().ok()?;
                Some((name.to_owned(), calls))
            })
            .filter(|(name, _)| name != "info" && !name.starts_with("config"))
            .collect();
        stats.sort_by_key(|s| std::cmp::Reverse(s.1));
        Ok(stats)
    }
}

/// A free loopback port (bound and released: a small race, fine on a bench machine).
fn free_port() -> Res<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// `pacerd sandbox` (Strava's imitation) shared by every replica; killed when dropped.
struct Sandbox {
    child: std::process::Child,
    url: String,
    _home: tempfile::TempDir,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(clippy::zombie_processes)] // Sandbox's Drop kills and waits.
fn sandbox(rt: &tokio::runtime::Runtime, client: &reqwest::Client) -> Res<Sandbox> {
    let home = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let addr = format!("127.0.0.1:{}", free_port()?);
    let child = Command::new(common::PACERD)
        .args(["sandbox", "--http", &addr, "--home"])
        .arg(home.path())
        .env("PACER_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn pacerd sandbox: {e}"))?;
    let mut sandbox = Sandbox { child, url: format!("http://{addr}"), _home: home };
    let deadline = Instant::now() + Duration::from_secs(30);
    while rt.block_on(sandbox_state(client, &sandbox.url)).is_err() {
        if let Ok(Some(status)) = sandbox.child.try_wait() {
            return Err(format!("pacerd sandbox --http {addr} exited ({status})"));
        }
        if Instant::now() > deadline {
            return Err(format!("pacerd sandbox did not answer on {addr} within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(sandbox)
}

async fn sandbox_state(client: &reqwest::Client, url: &str) -> Res<Value> {
    let res = client.get(format!("{url}/_sandbox/state")).send().await.map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("sandbox state: {}", res.status()));
    }
    res.json().await.map_err(|e| e.to_string())
}

/// Provider API calls the sandbox has answered so far.
fn api_calls(rt: &tokio::runtime::Runtime, client: &reqwest::Client, sandbox: &str) -> Res<u64> {
    let state = rt.block_on(sandbox_state(client, sandbox))?;
    state["api_calls"].as_u64().ok_or_else(|| format!("sandbox state without api_calls: {state}"))
}

/// One `pacerd serve` and its HTTP base URL.
struct Replica {
    daemon: common::Daemon,
    url: String,
}

fn replica(env: &[(String, String)]) -> Res<Replica> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let daemon = common::try_serve(Some(common::HIGH_LIMITS), &env)?;
    let status = daemon.cli(&["status", "--json"], Duration::from_secs(10))?;
    let status: Value = serde_json::from_str(&status).map_err(|e| format!("pacerd status --json: {e}"))?;
    let addr = status["http_addr"].as_str().ok_or_else(|| format!("pacerd status without http_addr: {status}"))?;
    Ok(Replica { url: format!("http://{addr}"), daemon })
}

/// Settings every replica gets: Strava at the sandbox, the shared secrets.
fn base_env(sandbox: &str) -> Vec<(String, String)> {
    [
        ("PACER_STRAVA_CLIENT_ID", "pacer-sandbox".to_owned()),
        ("PACER_STRAVA_CLIENT_SECRET", "sandbox-secret".to_owned()),
        ("PACER_STRAVA_API_BASE", format!("{sandbox}/api/v3")),
        ("PACER_STRAVA_OAUTH_BASE", sandbox.to_owned()),
        ("PACER_STRAVA_REDIRECT_URI", SANDBOX_CALLBACK.to_owned()),
        ("PACER_MASTER_KEY", MASTER_KEY.to_owned()),
        ("PACER_JWT_SECRET", JWT_SECRET.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The bench user's credentials on a deployment.
struct Account {
    jwt: String,
    key: String,
}

/// Adds the user (through `replica`'s admin socket), an enterprise key, a session, and connects
/// Strava (the sandbox) through the OAuth flow as a browser would.
fn account(rt: &tokio::runtime::Runtime, client: &reqwest::Client, replica: &Replica) -> Res<Account> {
    let home = replica.daemon.home();
    let timeout = Duration::from_secs(30);
    let add = ["users", "add", "--email", EMAIL, "--password-stdin", "--json"];
    common::pacerd_cli_input(common::PACERD, home, &add, Some(&format!("{PASSWORD}\n")), timeout)?;
    let create = ["keys", "create", "--user", EMAIL, "--name", "scale-out", "--tier", "enterprise", "--json"];
    let created: Value = serde_json::from_str(&replica.daemon.cli(&create, timeout)?)
        .map_err(|e| format!("pacerd keys create --json: {e}"))?;
    let key = created["api_key"].as_str().ok_or_else(|| format!("keys create without api_key: {created}"))?.to_owned();
    rt.block_on(async {
        let login: Value = client
            .post(format!("{}/api/auth/login", replica.url))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await
            .map_err(|e| format!("login: {e}"))?
            .json()
            .await
            .map_err(|e| format!("login: {e}"))?;
        let jwt = login["access_token"].as_str().ok_or_else(|| format!("login without access_token: {login}"))?;
        connect(client, &replica.url, jwt).await?;
        Ok::<_, String>(Account { jwt: jwt.to_owned(), key })
    })
}

fn location(res: &reqwest::Response, what: &str) -> Res<url::Url> {
    let loc = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("{what}: {} without a Location", res.status()))?;
    res.url().join(loc).map_err(|e| format!("{what}: Location {loc}: {e}"))
}

/// Authorize on `base` → approve at the sandbox → the callback on `base` (JSON).
async fn connect(client: &reqwest::Client, base: &str, jwt: &str) -> Res<()> {
    let res = client
        .get(format!("{base}/oauth/strava/authorize"))
        .bearer_auth(jwt)
        .send()
        .await
        .map_err(|e| format!("authorize: {e}"))?;
    if res.status() != reqwest::StatusCode::FOUND {
        return Err(format!("authorize answered {}", res.status()));
    }
    let binding = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("pacer_oauth_binding=").map(|v| v.split(';').next().unwrap_or("").to_owned()))
        .ok_or("authorize set no pacer_oauth_binding cookie")?;
    let authorize = location(&res, "authorize")?;
    let page = client.get(authorize.clone()).send().await.map_err(|e| format!("consent page: {e}"))?;
    let page = page.text().await.map_err(|e| format!("consent page: {e}"))?;
    let athlete = page
        .split("<option value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or("the sandbox's consent page offers no athlete")?
        .to_owned();
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.extend([("athlete_id".to_owned(), athlete), ("decision".to_owned(), "approve".to_owned())]);
    let mut target = authorize.clone();
    target.set_query(None);
    let res = client.post(target).form(&form).send().await.map_err(|e| format!("consent: {e}"))?;
    let back = location(&res, "consent")?;
    let origin = SANDBOX_CALLBACK.trim_end_matches("/oauth/strava/callback");
    let callback = back.as_str().replacen(origin, base, 1);
    let res = client
        .get(callback)
        .header("accept", "application/json")
        .header("cookie", format!("pacer_oauth_binding={binding}"))
        .send()
        .await
        .map_err(|e| format!("callback: {e}"))?;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("OAuth callback answered {status}: {body}"));
    }
    Ok(())
}

/// One JSON-RPC message over `POST /mcp`; the `mcp-session-id` it set (if any) and the body.
async fn mcp(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    session: Option<&str>,
    body: &Value,
) -> Res<(Option<String>, String)> {
    let mut req = client
        .post(format!("{base}/mcp"))
        .header("x-api-key", key)
        .header("accept", MCP_ACCEPT)
        .header("mcp-protocol-version", MCP_VERSION)
        .json(body);
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    let res = req.send().await.map_err(|e| format!("POST /mcp: {e}"))?;
    let status = res.status();
    let session = res.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = res.text().await.map_err(|e| format!("POST /mcp: {e}"))?;
    if !status.is_success() {
        return Err(format!("POST /mcp {} answered {status}: {text}", body["method"]));
    }
    Ok((session, text))
}

/// What the load sends to one replica.
struct Target {
    url: String,
    /// The MCP session, when the server opened one on `initialize`.
    session: Option<String>,
}

/// `initialize` (+ `notifications/initialized`) on each replica, then `get_activities` until the
/// window is in the store; prints how many activities it holds and the provider calls a repeated
/// call still made (0 when cached). The `tools/call` body the load repeats.
fn mcp_setup(
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    sandbox: &str,
    replicas: &[&Replica],
    key: &str,
) -> Res<(Vec<Target>, String)> {
    let before = chrono::Utc::now().timestamp();
    let args = json!({"after": before - WINDOW_S, "before": before, "limit": 200});
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "get_activities", "arguments": args}});
    let mut targets = Vec::new();
    for replica in replicas {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": MCP_VERSION, "capabilities": {},
            "clientInfo": {"name": "scale_out", "version": "0"}}});
        let (session, text) = rt.block_on(mcp(client, &replica.url, key, None, &init))?;
        if !text.contains("\"serverInfo\"") {
            return Err(format!("initialize on {}: {text}", replica.url));
        }
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        rt.block_on(mcp(client, &replica.url, key, session.as_deref(), &initialized))?;
        let mut counts = Vec::new();
        for _ in 0..2 {
            let calls = api_calls(rt, client, sandbox)?;
            let (_, text) = rt.block_on(mcp(client, &replica.url, key, session.as_deref(), &call))?;
            let v: Value =
                serde_json::from_str(&text).map_err(|e| format!("get_activities: not JSON ({e}): {text}"))?;
            let n = v["result"]["structuredContent"]["activities"].as_array().map(Vec::len);
            if v["result"]["isError"] == true || n.is_none() {
                return Err(format!("get_activities on {}: {text}", replica.url));
            }
            counts.push((n.unwrap_or(0), api_calls(rt, client, sandbox)? - calls));
        }
        println!(
            "  {}: MCP session {}; get_activities: {} activities, {} provider call(s), then {} on a repeated call",
            replica.url,
            session.as_deref().map_or("none (stateless POST /mcp)", |_| "opened"),
            counts[1].0,
            counts[0].1,
            counts[1].1
        );
        targets.push(Target { url: replica.url.clone(), session });
    }
    Ok((targets, call.to_string()))
}

/// One measured case.
struct Row {
    case: &'static str,
    backend: &'static str,
    load: WrkResult,
    /// Statements (calls, text), or why there are none.
    pg: Result<Vec<(u64, String)>, &'static str>,
    redis: Result<Vec<(String, u64)>, &'static str>,
    api_calls: u64,
}

/// The load of one case: one wrk per target (the connections and threads split between them),
/// run side by side and summed.
fn load(targets: &[Target], path: &str, req: &WrkRequest<'_>, seconds: u64) -> Res<WrkResult> {
    let n = targets.len().max(1);
    let mut runs = Vec::new();
    for t in targets {
        let mut headers = req.headers.to_vec();
        if let Some(s) = &t.session {
            headers.push(("mcp-session-id", s.as_str()));
        }
        let r = WrkRequest { headers: &headers, ..*req };
        runs.push(common::wrk_start(&format!("{}{path}", t.url), (THREADS / n).max(1), CONNECTIONS / n, seconds, &r)?);
    }
    let results = runs.into_iter().map(common::WrkRun::finish).collect::<Res<Vec<_>>>()?;
    Ok(WrkResult::sum(&results))
}

/// Everything a case needs besides its load.
struct Probe<'a> {
    rt: &'a tokio::runtime::Runtime,
    client: &'a reqwest::Client,
    sandbox: &'a str,
    pg: Option<&'a mut PgStats>,
    redis: Option<&'a mut RedisStats>,
}

/// Warm-up, reset the counters, the measured load, read the counters.
fn case(
    p: &mut Probe<'_>,
    case: &'static str,
    backend: &'static str,
    targets: &[Target],
    path: &str,
    req: &WrkRequest<'_>,
) -> Res<Row> {
    load(targets, path, req, WARMUP_SECONDS)?;
    if let Some(pg) = p.pg.as_deref_mut() {
        pg.reset()?;
    }
    if let Some(redis) = p.redis.as_deref_mut() {
        redis.reset()?;
    }
    let calls = api_calls(p.rt, p.client, p.sandbox)?;
    let load = load(targets, path, req, SECONDS)?;
    let pg = match p.pg.as_deref_mut() {
        Some(pg) => Ok(pg.read()?),
        None => Err("n/a"),
    };
    let redis = match p.redis.as_deref_mut() {
        Some(redis) => Ok(redis.read()?),
        None => Err("n/a"),
    };
    let api_calls = api_calls(p.rt, p.client, p.sandbox)? - calls;
    let row = Row { case, backend, load, pg, redis, api_calls };
    println!(
        "  {case} on {backend}: {:.0} req/s, {} requests, {} errors",
        row.load.rps,
        row.load.requests,
        row.load.errors()
    );
    Ok(row)
}

const KEYS_LIST: &str = "GET /api/keys/list";
const GET_ACTIVITIES: &str = "POST /mcp get_activities";
const SQLITE: &str = "SQLite, 1 replica";
const PG_ONE: &str = "PG+Redis, 1 replica";
const PG_TWO: &str = "PG+Redis, 2 replicas";

/// The two cases against `targets`.
fn cases(
    p: &mut Probe<'_>,
    backend: &'static str,
    targets: &[Target],
    account: &Account,
    mcp_body: &str,
) -> Res<Vec<Row>> {
    let bearer = format!("Bearer {}", account.jwt);
    let jwt = [("Authorization", bearer.as_str())];
    let keys = WrkRequest { expect: Some("\"keys\""), ..WrkRequest::get(&jwt) };
    let mcp_headers = [
        ("X-API-Key", account.key.as_str()),
        ("Accept", MCP_ACCEPT),
        ("MCP-Protocol-Version", MCP_VERSION),
        ("Content-Type", "application/json"),
    ];
    let tool = WrkRequest {
        method: "POST",
        headers: &mcp_headers,
        body: Some(mcp_body),
        expect: Some("\"structuredContent\""),
        refuse: Some("\"isError\":true"),
        pause_ms: 0.0,
    };
    Ok(vec![
        case(p, KEYS_LIST, backend, targets, "/api/keys/list", &keys)?,
        case(p, GET_ACTIVITIES, backend, targets, "/mcp", &tool)?,
    ])
}

fn run() -> Res<()> {
    if !common::wrk_available() {
        return Err("wrk is not installed (apt-get install wrk; bench/run installs it)".into());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let services = services()?;
    let db = PgDatabase::create(&services.pg_url)?;
    let mut pg_stats = PgStats::open(&services.pg_url, &db.name);
    if let Err(e) = &pg_stats {
        println!("PostgreSQL statement counts unavailable: {e}");
    }
    let mut redis_stats = RedisStats::open(&services.redis_url)?;
    let sandbox = sandbox(&rt, &client)?;
    let (l1, l5, l15) = common::load_average();
    println!(
        "wrk, {CONNECTIONS} connections, {THREADS} threads, {SECONDS} s per case after {WARMUP_SECONDS} s of warm-up; \
         two replicas: one wrk each (half the connections, one thread), summed; 2 cores shared by client, daemons, \
         PostgreSQL and Redis (load average {l1} {l5} {l15})"
    );
    let mut rows = Vec::new();

    // One replica on SQLite (in-memory limiter): the single-person default.
    {
        let sqlite = replica(&base_env(&sandbox.url))?;
        let account = account(&rt, &client, &sqlite)?;
        let (targets, body) = mcp_setup(&rt, &client, &sandbox.url, &[&sqlite], &account.key)?;
        let mut probe = Probe { rt: &rt, client: &client, sandbox: &sandbox.url, pg: None, redis: None };
        rows.extend(cases(&mut probe, SQLITE, &targets, &account, &body)?);
    }

    // PostgreSQL + Redis: one replica, then a second one beside it on the same database.
    let mut env = base_env(&sandbox.url);
    env.extend([
        ("PACER_DATABASE_URL".to_owned(), db.url.clone()),
        ("PACER_REDIS_URL".to_owned(), services.redis_url.clone()),
    ]);
    let a = replica(&env)?;
    let account = account(&rt, &client, &a)?;
    let (targets, body) = mcp_setup(&rt, &client, &sandbox.url, &[&a], &account.key)?;
    let mut probe = Probe {
        rt: &rt,
        client: &client,
        sandbox: &sandbox.url,
        pg: pg_stats.as_mut().ok(),
        redis: Some(&mut redis_stats),
    };
    rows.extend(cases(&mut probe, PG_ONE, &targets, &account, &body)?);
    let b = replica(&env)?;
    let (targets, body) = mcp_setup(&rt, &client, &sandbox.url, &[&a, &b], &account.key)?;
    rows.extend(cases(&mut probe, PG_TWO, &targets, &account, &body)?);
    drop((a, b));

    report(&rows);
    drop(sandbox);
    drop(db);
    drop(services);
    Ok(())
}

fn per_request(total: u64, requests: u64) -> f64 {
    total as f64 / requests.max(1) as f64
}

fn report(rows: &[Row]) {
    println!();
    println!(
        "{:<26} {:<21} {:>8} {:>8} {:>8} {:>7} {:>17} {:>17}",
        "case", "backend", "req/s", "p50 ms", "p99 ms", "errors", "PG statements/req", "Redis commands/req"
    );
    for r in rows {
        let n = r.load.requests;
        let pg = match &r.pg {
            Ok(s) => format!("{:.2}", per_request(s.iter().map(|(c, _)| c).sum(), n)),
            Err(_) if r.backend == SQLITE => "n/a (in-process)".to_owned(),
            Err(why) => (*why).to_owned(),
        };
        let redis = match &r.redis {
            Ok(s) => format!("{:.2}", per_request(s.iter().map(|(_, c)| c).sum(), n)),
            Err(_) => "n/a (no Redis)".to_owned(),
        };
        println!(
            "{:<26} {:<21} {:>8.0} {:>8.2} {:>8.2} {:>7} {:>17} {:>17}",
            r.case,
            r.backend,
            r.load.rps,
            r.load.p50_ms,
            r.load.p99_ms,
            r.load.errors(),
            pg,
            redis
        );
    }
    println!("(errors: non-2xx + socket errors + 2xx bodies that are not the answer; two replicas: req/s summed,");
    println!(" p50/p99 the worse of the two wrk runs)");

    println!();
    println!(
        "Hot path per request (PostgreSQL statements by pg_stat_statements; Redis commands by INFO commandstats):"
    );
    for r in rows.iter().filter(|r| r.pg.is_ok() || r.redis.is_ok()) {
        let n = r.load.requests;
        println!("  {} on {} ({} requests, {} provider API calls):", r.case, r.backend, n, r.api_calls);
        if let Ok(stmts) = &r.pg {
            let total: u64 = stmts.iter().map(|(c, _)| c).sum();
            println!(
                "    PostgreSQL {:.2} statements/req ({:.0} statements/s)",
                per_request(total, n),
                total as f64 / SECONDS as f64
            );
            for (calls, query) in stmts.iter().take(TOP_STATEMENTS) {
                let q: String = query.split_whitespace().collect::<Vec<_>>().join(" ");
                let q: String =
                    if q.chars().count() > 110 { q.chars().take(107).chain("...".chars()).collect() } else { q };
                println!("      {:>6.3}  {q}", per_request(*calls, n));
            }
            if stmts.len() > TOP_STATEMENTS {
                let rest: u64 = stmts.iter().skip(TOP_STATEMENTS).map(|(c, _)| c).sum();
                println!("      {:>6.3}  ({} other statements)", per_request(rest, n), stmts.len() - TOP_STATEMENTS);
            }
        }
        if let Ok(cmds) = &r.redis {
            let total: u64 = cmds.iter().map(|(_, c)| c).sum();
            let each: Vec<String> = cmds.iter().map(|(name, c)| format!("{name} {:.3}", per_request(*c, n))).collect();
            println!(
                "    Redis {:.2} commands/req ({:.0}/s): {}",
                per_request(total, n),
                total as f64 / SECONDS as f64,
                if each.is_empty() { "none".to_owned() } else { each.join(", ") }
            );
        }
    }

    println!();
    let find = |case: &str, backend: &str| rows.iter().find(|r| r.case == case && r.backend == backend);
    for case in [KEYS_LIST, GET_ACTIVITIES] {
        if let (Some(s), Some(one), Some(two)) = (find(case, SQLITE), find(case, PG_ONE), find(case, PG_TWO)) {
            println!(
                "{case}: PostgreSQL+Redis / SQLite req/s {:.2}; two replicas / one: p99 {:.2}x (goal <= 2x), req/s {:.2}, \
                 errors {} (goal 0)",
                one.load.rps / s.load.rps,
                two.load.p99_ms / one.load.p99_ms,
                two.load.rps / one.load.rps,
                two.load.errors()
            );
        }
    }
}
