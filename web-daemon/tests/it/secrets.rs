//! Secrets never reach a log. A daemon logging at `debug` (pacerd itself at `trace`) and a
//! `pacer-mcp` logging at `debug` go through a whole session: password login, keys created over
//! HTTP and the CLI, `/api/me`, the OAuth connect flow (and a replayed callback), MCP tool calls
//! with an upload, a failed and then a successful token refresh, refused keys, and a login link.
//! Then both logs are searched for every secret that passed through: API keys, the password,
//! JWTs, the login-link token, OAuth states and code, the decrypted provider tokens (every
//! generation), the sandbox client secret, the JWT secret and the master key.

use std::fs::File;
use std::path::Path;
use std::process::Stdio;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::data::gpx;
use crate::fixture::{TestDaemon, Web};
use crate::flows::{ATHLETE_A, JWT_SECRET, PASSWORD, begin, callback, consent, query, sandbox_daemon, stored_tokens};
use crate::jsonrpc::structured;
use crate::mcp_client::McpClient;

/// Public prefix of an API key (`pk_live_` + 6 characters): logging it is allowed.
const KEY_PREFIX_LEN: usize = 14;

/// Every secret seen during the session, by name.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, name: &str, value: &str) {
        assert!(value.len() >= 8, "{name} is too short to search for meaningfully ({} chars)", value.len());
        if !self.0.iter().any(|(_, v)| v == value) {
            self.0.push((name.to_string(), value.to_string()));
        }
    }

    /// A JWT, and its signature alone (a truncated token is still a leak).
    fn jwt(&mut self, name: &str, jwt: &str) {
        self.add(name, jwt);
        self.add(&format!("{name} (signature)"), jwt.rsplit('.').next().expect("signature"));
    }

    /// An API key, and its secret part after the public prefix.
    fn api_key(&mut self, name: &str, key: &str) {
        self.add(name, key);
        self.add(&format!("{name} (secret part)"), &key[KEY_PREFIX_LEN..]);
    }

    /// The provider tokens currently stored for (tenant, user), decrypted.
    fn provider_tokens(&mut self, d: &TestDaemon, user: &Value, generation: &str) {
        let t = stored_tokens(d.home(), user["tenant_id"].as_str().unwrap(), user["id"].as_str().unwrap())
            .expect("provider tokens stored");
        self.add(&format!("Strava access token ({generation})"), &t.access_token);
        self.add(&format!("Strava refresh token ({generation})"), &t.refresh_token);
    }

    /// Replaces every secret in `line` by its name.
    fn redact(&self, line: &str) -> String {
        let mut out = line.to_string();
        // Longest first, so a secret containing another is redacted whole.
        let mut all: Vec<&(String, String)> = self.0.iter().collect();
        all.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        for (name, value) in all {
            out = out.replace(value.as_str(), &format!("<{name}>"));
        }
        out.chars().take(400).collect()
    }

    /// Every (secret, log, line) where a secret occurs, described with the secrets redacted.
    fn leaks(&self, logs: &[(&str, &str)]) -> Vec<String> {
        let mut found = Vec::new();
        for (log, text) in logs {
            for (n, line) in text.lines().enumerate() {
                for (name, value) in &self.0 {
                    if line.contains(value.as_str()) {
                        found.push(format!("{name} in {log}, line {}: {}", n + 1, self.redact(line)));
                    }
                }
            }
        }
        found
    }
}

/// Starts `pacer-mcp` (log level debug) with its stderr written to `log`.
fn mcp_logged(home: &Path, key: &str, log: &Path) -> McpClient {
    let file = File::options().create(true).append(true).open(log).expect("pacer-mcp log");
    McpClient::start_with_stderr(home, Some(key), &[("PACER_LOG", "debug")], Stdio::from(file))
}

#[test]
fn no_secret_reaches_the_daemon_or_relay_logs() {
    let mut d = sandbox_daemon(&[("PACER_LOG", "debug,pacerd=trace")]);
    let web = Web::new(&d);
    let logs_dir = tempfile::tempdir().expect("tempdir");
    let mcp_log = logs_dir.path().join("pacer-mcp.log");
    let mut s = Secrets::default();
    s.add("password", PASSWORD);
    s.add("sandbox client secret", "sandbox-secret");
    s.add("JWT secret", JWT_SECRET);
    let master = std::fs::read_to_string(d.home().join("master.key")).expect("master.key");
    s.add("master key", master.trim());

    // A user with a password logs in; the JWT comes back in the body and the session cookie.
    let user = d.user_with_password("sec@example.com", Some("secrets"), PASSWORD);
    let wrong =
        web.send(web.post("/api/auth/login").json(&json!({"email": "sec@example.com", "password": "nope-nope"})));
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let login = web.send(web.post("/api/auth/login").json(&json!({"email": "sec@example.com", "password": PASSWORD})));
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let jwt = login.json()["access_token"].as_str().expect("access_token").to_string();
    s.jwt("login JWT", &jwt);

    // Keys over HTTP and the CLI; one is used, one revoked and then tried, one never existed.
    let created = web.send(web.post("/api/keys/create").bearer_auth(&jwt).json(&json!({"name": "http key"})));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let key = created.json()["api_key"].as_str().expect("api_key").to_string();
    s.api_key("API key (HTTP)", &key);
    let cli_key = d.cli_json(&["keys", "create", "--user", "sec@example.com", "--name", "cli key"]);
    let revoked = cli_key["api_key"].as_str().expect("api_key").to_string();
    s.api_key("API key (CLI, revoked)", &revoked);
    let unknown = format!("pk_live_{}", "u".repeat(40));
    s.api_key("API key (unknown)", &unknown);
    let r = web.send(web.get("/api/me").header("X-API-Key", &key));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = web.send(web.get("/api/me").header("X-API-Key", &unknown));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // OAuth connect over HTTP, then a replay of the same callback.
    let authorize = begin(&web, &jwt);
    let state = query(&authorize)["state"].clone();
    s.add("OAuth state (HTTP)", &state);
    let back = consent(&web, &authorize, ATHLETE_A, "approve");
    s.add("OAuth code", &query(&back)["code"]);
    let r = callback(&web, &back, "application/json");
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    s.jwt("callback JWT", r.json()["access_token"].as_str().expect("access_token"));
    s.provider_tokens(&d, &user, "first");
    assert_eq!(callback(&web, &back, "application/json").status, StatusCode::FORBIDDEN, "replay refused");

    // MCP through pacer-mcp: reads, an upload with progress, a connect link.
    let mut c = mcp_logged(d.home(), &key, &mcp_log);
    c.initialize("2025-11-25");
    assert_eq!(structured(&c.call("get_athlete", json!({})))["id"], ATHLETE_A);
    structured(&c.call("get_activities", json!({"limit": 3})));
    // A small GPX run: 20 minutes, two hours ago.
    let (run, _) = gpx(chrono::Utc::now() - chrono::Duration::hours(2), 120, 10, (45.9, 6.12));
    let gpx = base64::engine::general_purpose::STANDARD.encode(run);
    let r = c.request(
        "tools/call",
        json!({"name": "upload_activity", "arguments": {"content_base64": gpx, "data_type": "gpx",
               "name": "secrets upload", "external_id": "secrets-1"}, "_meta": {"progressToken": "p1"}}),
    );
    assert!(structured(&r)["activity_id"].as_u64().is_some(), "{r}");
    let link = c.call("connect_provider", json!({}));
    let link = Url::parse(structured(&link)["authorize_url"].as_str().expect("authorize_url")).unwrap();
    s.add("OAuth state (MCP connect_provider)", &query(&link)["state"]);

    // A failed refresh, then a successful one after the faults are cleared (rotated tokens).
    d.sandbox_faults(json!({"expire_access_tokens": "all", "fail_refresh": true}));
    let r = c.call("get_activities", json!({}));
    assert_eq!(r["error"], json!({"code": -32603, "message": "Token refresh failed"}), "{r}");
    let (name, token) = d.sandbox_admin();
    let reset = web.send(web.post("/sandbox/strava/_sandbox/reset").header(name, token));
    assert!(reset.status.is_success(), "{}", reset.text);
    d.sandbox_faults(json!({"read_limit_15min": 100_000, "limit_15min": 100_000}));
    structured(&c.call("get_activities", json!({"limit": 2})));
    s.provider_tokens(&d, &user, "refreshed");
    assert!(s.0.iter().filter(|(n, _)| n.starts_with("Strava access token")).count() == 2, "the refresh rotated");
    structured(&c.call("get_connection_status", json!({})));
    drop(c);

    // Refused keys over the socket.
    d.cli_json(&["keys", "revoke", cli_key["key_info"]["id"].as_str().expect("key id")]);
    for bad in [&revoked, &unknown] {
        let mut c = mcp_logged(d.home(), bad, &mcp_log);
        let r = c.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}),
        );
        assert!(r.get("error").is_some(), "refused key: {r}");
    }

    // A login link, used once, then replayed.
    let link = d.cli_json(&["users", "login-link", "--email", "sec@example.com"]);
    let link = Url::parse(link["url"].as_str().expect("url")).expect("login link");
    s.add("login-link token", &query(&link)["token"]);
    let r = web.send(web.get(link.as_str()));
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
    let cookie = r.header("set-cookie").expect("session cookie");
    let session = cookie.split(';').next().and_then(|c| c.strip_prefix("pacer_session=")).expect("pacer_session");
    s.jwt("login-link session JWT", session);
    assert_eq!(web.send(web.get(link.as_str())).status, StatusCode::UNAUTHORIZED, "one use only");

    assert!(d.stop(), "clean shutdown");
    let daemon_log = d.log_text();
    let relay_log = std::fs::read_to_string(&mcp_log).unwrap_or_default();
    // The logs are real: the daemon logged the session at debug/trace, the relay at debug.
    for expected in ["login", "API key created", "provider connected", "tool call", "DEBUG"] {
        assert!(daemon_log.contains(expected), "daemon log lacks {expected:?}:\n{daemon_log}");
    }
    assert!(relay_log.contains("connected to pacerd"), "pacer-mcp log:\n{relay_log}");

    let leaks = s.leaks(&[("the pacerd log", &daemon_log), ("the pacer-mcp log", &relay_log)]);
    assert!(
        leaks.is_empty(),
        "{} secret occurrence(s) in the logs ({} secrets checked):\n{}",
        leaks.len(),
        s.0.len(),
        leaks.join("\n")
    );
}
