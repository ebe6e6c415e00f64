//! Issue 12 part 3, crash safety: 100 concurrent writers against a real daemon (session-JWT key
//! creation, A2A registrations, MCP tool calls that write settings and usage rows, uploads that
//! import activity files, tool calls that refresh and rotate provider tokens), SIGKILLed
//! mid-flight three times and restarted on the same home. Afterwards SQLite is intact
//! (`integrity_check`, `foreign_key_check`), every write a client saw acknowledged is there, and
//! nothing is half-written (a key has its hash, an agent all its capabilities, an activity its
//! streams, settings a value that was sent, a token row opens with its owner's AAD).
//!
//! Token refreshes: the Strava sandbox runs in this test process (so it outlives every kill) and
//! issues access tokens that expire within pacer's refresh margin, so every `get_athlete` call
//! refreshes first and rotates the refresh token. After the last restart every connected
//! account's stored tokens open, name its athlete, and serve the next tool call (the stored
//! refresh token is the one the sandbox considers current). The one loss the daemon cannot
//! prevent: a kill after the sandbox rotated the token but before pacer committed it (that tool
//! call was never answered). An account may be lost only that way: its first call after a
//! restart fails to refresh; a refresh failure anywhere else fails the test.
//!
//! When the kill happens depends on timing; what is asserted does not: only writes whose
//! success answer reached the client are checked, and those must all be present.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer, middleware};
use pacer_sandbox::{SandboxConfig, SandboxStrava};

use base64::Engine as _;
use pacer_shared::ipc::{AdminRequest, AdminResponse};
use pacer_shared::{Secret, Tier};
use serde_json::{Value, json};

use crate::fixture::{Options, TestDaemon, Web, http, new_home, open_db};
use crate::flows::{ATHLETE_A, ATHLETE_B, JSON, begin, callback, consent, stored_tokens};

const WRITERS: usize = 100;
const ROUNDS: usize = 3;
/// Kill once this many writes, at least one of each kind, were acknowledged in the round (or
/// after `ROUND_MAX`).
const ACKS_BEFORE_KILL: usize = 120;
const ROUND_MAX: Duration = Duration::from_secs(8);
/// Per-user caps stay below the 50 active keys and 50 agents a user may hold.
const MAX_PER_WRITER: usize = 40;

/// A write whose success reached the client.
#[derive(Debug, Clone)]
enum Ack {
    Key { user: String, key_id: String },
    Agent { tenant: String, agent_id: String },
    Settings { user: String, ftp: i64 },
    Upload { user: String, activity_id: i64 },
    Refresh,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Keys,
    Agents,
    Settings,
    Uploads,
    Refreshes,
}

const KINDS: [Kind; 5] = [Kind::Keys, Kind::Agents, Kind::Settings, Kind::Uploads, Kind::Refreshes];

/// One writer's identity: its own user in its own tenant (so quotas never interfere).
struct Writer {
    kind: Kind,
    user_id: String,
    tenant_id: String,
    api_key: String,
    jwt: Option<String>,
    /// Writes acknowledged or refused (the writer stops at [`MAX_PER_WRITER`]).
    done: AtomicUsize,
    /// Writes sent: numbers every attempt, so a retry after a crash never repeats an earlier
    /// attempt that landed without its answer (same agent id, same file).
    attempts: AtomicUsize,
    /// The Strava athlete connected ([`Kind::Refreshes`] only).
    athlete: u64,
    /// Set when a refresh failed; `Some(true)` when it was the writer's first call after a restart.
    lost: Mutex<Option<bool>>,
}

/// The daemon's settings: limits out of the way, Strava at the test's own sandbox.
fn config(sandbox: &str) -> Options {
    let env = [
        ("PACER_STRAVA_CLIENT_ID", SandboxConfig::default().client_id),
        ("PACER_STRAVA_CLIENT_SECRET", SandboxConfig::default().client_secret),
        ("PACER_STRAVA_API_BASE", format!("{sandbox}/api/v3")),
        ("PACER_STRAVA_OAUTH_BASE", sandbox.to_owned()),
    ];
    Options {
        config_toml: include_str!("../high_limits.toml").into(),
        env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ..Options::default()
    }
}

/// A Strava sandbox served from this process (it survives the daemon's kills), whose access
/// tokens expire inside pacer's refresh margin so every provider call refreshes first.
fn sandbox() -> (SandboxStrava, String) {
    sandbox_with_ttl(pacerd::provider::tokens::REFRESH_MARGIN_S / 2)
}

/// A Strava sandbox served from this process whose access tokens live `lifetime` seconds.
pub(crate) fn sandbox_with_ttl(lifetime: i64) -> (SandboxStrava, String) {
    let sandbox = SandboxStrava::new(SandboxConfig {
        access_token_ttl_s: lifetime,
        limit_15min: 10_000_000,
        limit_daily: 10_000_000,
        read_limit_15min: 10_000_000,
        read_limit_daily: 10_000_000,
        redirect_uris: Vec::new(),
        ..SandboxConfig::default()
    });
    let served = sandbox.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let sandbox = served.clone();
                App::new().wrap(middleware::NormalizePath::trim()).configure(move |cfg| sandbox.configure("", cfg))
            })
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind the sandbox");
            tx.send(server.addrs()[0]).expect("report the address");
            server.run().await
        })
    });
    let addr = rx.recv_timeout(Duration::from_secs(10)).expect("sandbox started");
    (sandbox, format!("http://{addr}"))
}

/// Connects `email`'s Strava account as `athlete` through the sandbox's consent page.
pub(crate) fn connect(d: &TestDaemon, sandbox: &SandboxStrava, email: &str, password: &str, athlete: u64) {
    sandbox.register_redirect_uri(&format!("{}/oauth/strava/callback", d.http_url));
    let web = Web::new(d);
    let jwt = web.login(email, password);
    let authorize = begin(&web, &jwt);
    let back = consent(&web, &authorize, athlete, "approve");
    let r = callback(&web, &back, JSON);
    assert_eq!(r.status, reqwest::StatusCode::OK, "connect {email}: {}", r.text);
}

fn writers(d: &TestDaemon, sandbox: &SandboxStrava) -> Vec<Writer> {
    let web = Web::new(d);
    (0..WRITERS)
        .map(|i| {
            let kind = KINDS[i % KINDS.len()];
            let athlete = [ATHLETE_A, ATHLETE_B][i % 2];
            let email = format!("w{i}@crash.test");
            let password = format!("crash-password-{i}");
            let user = match d.admin(AdminRequest::UsersAdd {
                email: email.clone(),
                tenant: Some(format!("crash{i}")),
                password: matches!(kind, Kind::Keys | Kind::Refreshes).then(|| Secret::new(password.clone())),
            }) {
                AdminResponse::User(u) => u,
                other => panic!("{other:?}"),
            };
            let key = match d.admin(AdminRequest::KeysCreate {
                user: email.clone(),
                name: "crash".into(),
                description: None,
                tier: Tier::Free,
            }) {
                AdminResponse::KeyCreated(k) => k.api_key.expose().to_owned(),
                other => panic!("{other:?}"),
            };
            let jwt = matches!(kind, Kind::Keys).then(|| web.login(&email, &password));
            if matches!(kind, Kind::Refreshes) {
                connect(d, sandbox, &email, &password, athlete);
            }
            Writer {
                kind,
                user_id: user.id.to_string(),
                tenant_id: user.tenant_id.to_string(),
                api_key: key,
                jwt,
                done: AtomicUsize::new(0),
                attempts: AtomicUsize::new(0),
                athlete,
                lost: Mutex::new(None),
            }
        })
        .collect()
}

/// One write; `Ok(Some(ack))` when acknowledged, `Ok(None)` when the writer is done (or its
/// account was lost, see the module docs), `Err` on an answer that is neither success nor a
/// dropped connection. `first`: the writer's first call since the daemon (re)started.
async fn write_once(
    client: &reqwest::Client,
    base: &str,
    w: &Writer,
    n: usize,
    index: usize,
    first: bool,
) -> Result<Option<Ack>, Result<String, reqwest::Error>> {
    let tool = |name: &str, arguments: Value| {
        client
            .post(format!("{base}/mcp"))
            .header("X-API-Key", &w.api_key)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-06-18")
            .json(&json!({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                          "params": {"name": name, "arguments": arguments}}))
    };
    let req = match w.kind {
        Kind::Keys => client
            .post(format!("{base}/api/keys/create"))
            .bearer_auth(w.jwt.as_deref().unwrap_or_default())
            .json(&json!({"name": format!("k{n}")})),
        Kind::Agents => client.post(format!("{base}/a2a/register")).header("X-API-Key", &w.api_key).json(&json!({
            "agent_id": format!("agent-{index}-{n}"),
            "capabilities": ["webhook", format!("cap-{n}")],
            "metadata": {"name": format!("agent {n}"), "version": "1.0"}
        })),
        Kind::Settings => tool("set_athlete_settings", json!({"ftp_watts": 100 + n})),
        Kind::Uploads => {
            let start = 1_700_000_000 + (index as i64) * 10_000_000 + (n as i64) * 10_000;
            let gpx = pacer_files::testing::gpx(start, 5, "running");
            let encoded = base64::engine::general_purpose::STANDARD.encode(gpx);
            tool("upload_activity", json!({"content_base64": encoded, "data_type": "gpx"}))
        }
        Kind::Refreshes => tool("get_athlete", json!({})),
    };
    let res = req.send().await.map_err(Err)?;
    let status = res.status();
    let body: Value = match res.text().await {
        Ok(text) => serde_json::from_str(&text).map_err(|_| Ok(format!("{status}: {text}")))?,
        Err(e) => return Err(Err(e)),
    };
    let unexpected = || Ok(format!("{status}: {body}"));
    let ack = match w.kind {
        Kind::Keys if status.as_u16() == 201 => Ack::Key {
            user: w.user_id.clone(),
            key_id: body["key_info"]["id"].as_str().ok_or_else(unexpected)?.to_owned(),
        },
        Kind::Agents if status.as_u16() == 201 => Ack::Agent {
            tenant: w.tenant_id.clone(),
            agent_id: body["agent_id"].as_str().ok_or_else(unexpected)?.into(),
        },
        Kind::Settings | Kind::Uploads if status.is_success() && body["result"]["isError"] != json!(true) => {
            let result = &body["result"]["structuredContent"];
            match w.kind {
                Kind::Settings => Ack::Settings { user: w.user_id.clone(), ftp: 100 + n as i64 },
                _ => Ack::Upload {
                    user: w.user_id.clone(),
                    activity_id: result["activity_id"].as_i64().ok_or_else(unexpected)?,
                },
            }
        }
        Kind::Refreshes
            if status.is_success() && body["result"].is_object() && body["result"]["isError"] != json!(true) =>
        {
            if body["result"]["structuredContent"]["id"] != json!(w.athlete) {
                return Err(unexpected());
            }
            Ack::Refresh
        }
        Kind::Refreshes if body["error"]["message"] == "Token refresh failed" => {
            *w.lost.lock().expect("lost") = Some(first);
            return Ok(None);
        }
        _ => return Err(unexpected()),
    };
    Ok(Some(ack))
}

/// Runs every writer against `base` until the daemon dies or each is done.
fn round(
    rt: &tokio::runtime::Runtime,
    d: &mut TestDaemon,
    writers: &Arc<Vec<Writer>>,
    acks: &Arc<Mutex<Vec<Ack>>>,
    failures: &Arc<Mutex<Vec<String>>>,
) {
    let base = d.http_url.clone();
    let acked = Arc::new(AtomicUsize::new(0));
    let kinds_acked: Arc<[AtomicUsize; KINDS.len()]> = Arc::new(Default::default());
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..writers.len())
        .map(|index| {
            let (writers, acks, failures) = (writers.clone(), acks.clone(), failures.clone());
            let (base, acked, stop, kinds_acked) = (base.clone(), acked.clone(), stop.clone(), kinds_acked.clone());
            rt.spawn(async move {
                let client = http();
                let w = &writers[index];
                let mut first = true;
                while !stop.load(Ordering::Relaxed) {
                    if w.done.load(Ordering::Relaxed) >= MAX_PER_WRITER || w.lost.lock().expect("lost").is_some() {
                        break;
                    }
                    let n = w.attempts.fetch_add(1, Ordering::Relaxed);
                    let outcome = write_once(&client, &base, w, n, index, first).await;
                    first = false;
                    match outcome {
                        Ok(Some(ack)) => {
                            acks.lock().expect("acks").push(ack);
                            acked.fetch_add(1, Ordering::Relaxed);
                            kinds_acked[w.kind as usize].fetch_add(1, Ordering::Relaxed);
                            w.done.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(None) => break,
                        // The daemon went away mid-request: this write is unknown, not acknowledged.
                        Err(Err(_)) => break,
                        Err(Ok(answer)) => {
                            failures.lock().expect("failures").push(answer);
                            w.done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    let enough = || {
        acked.load(Ordering::Relaxed) >= ACKS_BEFORE_KILL && kinds_acked.iter().all(|k| k.load(Ordering::Relaxed) > 0)
    };
    while !enough() && started.elapsed() < ROUND_MAX {
        std::thread::sleep(Duration::from_millis(10));
    }
    d.kill();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for task in tasks {
            let _ = task.await;
        }
    });
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let (sandbox, sandbox_url) = sandbox();
    let mut d = TestDaemon::start_in(new_home(), config(&sandbox_url));
    let writers = Arc::new(writers(&d, &sandbox));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let acks = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..ROUNDS {
        round(&rt, &mut d, &writers, &acks, &failures);
        let home = std::mem::replace(&mut d.home, new_home());
        d = TestDaemon::start_in(home, config(&sandbox_url));
    }
    let failures = failures.lock().expect("failures");
    assert!(
        failures.is_empty(),
        "{} unexpected answers, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    // Every connected account that was not lost to the kill window serves the next tool call.
    let refreshers: Vec<(usize, &Writer)> =
        writers.iter().enumerate().filter(|(_, w)| matches!(w.kind, Kind::Refreshes)).collect();
    let mut lost = 0;
    for (index, w) in &refreshers {
        let before = *w.lost.lock().expect("lost");
        match before {
            Some(first) => {
                let log: Vec<String> =
                    d.log_text().lines().filter(|l| l.contains("refresh failed")).map(str::to_owned).collect();
                assert!(first, "account {} lost a refresh while the daemon was up: {log:?}", w.user_id);
                lost += 1;
            }
            None => {
                let n = w.attempts.fetch_add(1, Ordering::Relaxed);
                // The first call since the last restart: it may find the account lost to the last kill.
                let next = rt.block_on(write_once(&http(), &d.http_url, w, n, *index, true));
                match next {
                    Ok(Some(Ack::Refresh)) => {}
                    Ok(None) if *w.lost.lock().expect("lost") == Some(true) => lost += 1,
                    other => panic!("account {}: {other:?}", w.user_id),
                }
            }
        }
    }
    // The last restart came up on the crashed store; stop it cleanly and look inside.
    assert!(d.stop(), "pacerd did not stop cleanly after the crashes");

    let db = open_db(d.home());
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check");
    assert_eq!(integrity, "ok");
    let mut fk = db.prepare("PRAGMA foreign_key_check").expect("foreign_key_check");
    let broken: Vec<String> =
        fk.query_map([], |r| r.get::<_, String>(0)).expect("rows").collect::<Result<_, _>>().expect("fk rows");
    assert!(broken.is_empty(), "foreign keys broken in {broken:?}");

    let acks = acks.lock().expect("acks");
    let mut last_ftp: HashMap<&str, i64> = HashMap::new();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for ack in acks.iter() {
        match ack {
            Ack::Key { user, key_id } => {
                *counts.entry("keys").or_default() += 1;
                let (hash_len, active): (i64, i64) = db
                    .query_row(
                        "SELECT length(key_hash), is_active FROM api_keys WHERE id = ?1 AND user_id = ?2",
                        [key_id, user],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap_or_else(|e| panic!("acknowledged key {key_id} missing: {e}"));
                assert_eq!((hash_len, active), (32, 1), "key {key_id}");
            }
            Ack::Agent { tenant, agent_id } => {
                *counts.entry("agents").or_default() += 1;
                let caps: i64 = db
                    .query_row(
                        "SELECT count(*) FROM a2a_agents a JOIN a2a_agent_capabilities c
                           ON c.tenant_id = a.tenant_id AND c.agent_id = a.agent_id
                         WHERE a.tenant_id = ?1 AND a.agent_id = ?2",
                        [tenant, agent_id],
                        |r| r.get(0),
                    )
                    .expect("agent query");
                assert_eq!(caps, 2, "acknowledged agent {agent_id}: capabilities");
            }
            Ack::Settings { user, ftp } => {
                *counts.entry("settings").or_default() += 1;
                let last = last_ftp.entry(user.as_str()).or_insert(*ftp);
                *last = (*last).max(*ftp);
            }
            Ack::Refresh => *counts.entry("refreshes").or_default() += 1,
            Ack::Upload { user, activity_id } => {
                *counts.entry("uploads").or_default() += 1;
                let streams: i64 = db
                    .query_row(
                        "SELECT count(*) FROM activities a JOIN activity_streams s
                           ON s.tenant_id = a.tenant_id AND s.user_id = a.user_id AND s.activity_id = a.id
                         WHERE a.user_id = ?1 AND a.id = ?2",
                        rusqlite::params![user, activity_id],
                        |r| r.get(0),
                    )
                    .expect("activity query");
                assert_eq!(streams, 1, "acknowledged activity {activity_id}: row with its streams");
            }
        }
    }
    // Settings: the stored value is one that was sent, no older than the last acknowledged one
    // (a later write may have landed without its answer reaching us); and every acknowledged
    // tool call left its usage row.
    for w in writers.iter().filter(|w| matches!(w.kind, Kind::Settings)) {
        let Some(last) = last_ftp.get(w.user_id.as_str()) else { continue };
        let stored: f64 = db
            .query_row("SELECT ftp_watts FROM athlete_settings WHERE user_id = ?1", [&w.user_id], |r| r.get(0))
            .expect("settings row");
        let sent_max = 100 + w.attempts.load(Ordering::Relaxed) as i64;
        assert!((*last..=sent_max).contains(&(stored as i64)), "ftp {stored}, acknowledged {last}");
    }
    for w in writers.iter().filter(|w| matches!(w.kind, Kind::Settings | Kind::Uploads)) {
        let acked = acks
            .iter()
            .filter(|a| match a {
                Ack::Settings { user, .. } | Ack::Upload { user, .. } => *user == w.user_id,
                _ => false,
            })
            .count() as i64;
        let usage: i64 = db
            .query_row(
                "SELECT count(*) FROM api_key_usage u JOIN api_keys k ON k.id = u.api_key_id WHERE k.user_id = ?1
                   AND u.operation IN ('set_athlete_settings', 'upload_activity')",
                [&w.user_id],
                |r| r.get(0),
            )
            .expect("usage");
        assert!(usage >= acked, "{} acknowledged tool calls, {usage} usage rows", acked);
    }
    // Every connected account's tokens open with its own AAD and name its athlete (lost ones
    // included: their row is intact, only the provider rotated past it).
    for (_, w) in &refreshers {
        let tokens = stored_tokens(d.home(), &w.tenant_id, &w.user_id).expect("token row");
        assert_eq!(tokens.athlete_id, Some(w.athlete as i64), "account {}", w.user_id);
    }
    eprintln!(
        "crash: {ROUNDS} SIGKILLs, {} acknowledged writes checked: {counts:?}; {lost} of {} connected \
         accounts lost to a kill between the provider's rotation and pacer's commit",
        acks.len(),
        refreshers.len()
    );
    for kind in ["keys", "agents", "settings", "uploads", "refreshes"] {
        assert!(counts.get(kind).copied().unwrap_or(0) > 0, "no acknowledged {kind}: the test proved nothing for them");
    }
}
