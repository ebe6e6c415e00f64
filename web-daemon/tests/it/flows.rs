//! The OAuth connect flow against the sandbox over real HTTP, as helpers: a sandbox daemon,
//! `/oauth/strava/authorize` → the sandbox's consent form → pacer's `/oauth/strava/callback`, and
//! the stored (encrypted) provider tokens read back in-process. Used by `oauth_flow.rs`,
//! `isolation.rs` and `secrets.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use pacer_shared::{TenantId, UserId};
use pacerd::vault::{Sealed, TokenAad, TokenVault};
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::fixture::{Options, Reply, TestDaemon, Web, open_db};

pub const PASSWORD: &str = "correct horse battery staple";
pub const JWT_SECRET: &str = "it-oauth-jwt-secret-it-oauth-jwt-secret-42";
/// What pacer asks Strava for.
pub const SCOPE: &str = "read,activity:read_all,activity:write";
pub const SANDBOX_CLIENT_ID: &str = "pacer-sandbox";
pub const ATHLETE_A: u64 = 1001;
pub const ATHLETE_B: u64 = 1002;
pub const JSON: &str = "application/json";

/// A daemon serving the sandbox with a known JWT secret, per-IP limits and the sandbox's API
/// limits out of the way. `env` is added to (and may override) the defaults.
pub fn sandbox_daemon(env: &[(&str, &str)]) -> TestDaemon {
    let mut all = vec![("PACER_JWT_SECRET".to_string(), JWT_SECRET.to_string())];
    all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let d = TestDaemon::start_with(Options {
        sandbox: true,
        config_toml: "[limits]\nip_per_minute = 10000\n".into(),
        env: all,
        ..Default::default()
    });
    d.sandbox_faults(json!({
        "limit_15min": 100_000, "limit_daily": 1_000_000,
        "read_limit_15min": 100_000, "read_limit_daily": 1_000_000,
    }));
    d
}

/// The query of `url` as a map; panics on a repeated parameter.
pub fn query(url: &Url) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (k, v) in url.query_pairs() {
        assert!(map.insert(k.to_string(), v.to_string()).is_none(), "parameter {k} repeated in {url}");
    }
    map
}

/// `url` without its query.
fn without_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// Asserts `url` is the sandbox's authorize URL of a browser-started flow (bound to the browser,
/// `approval_prompt=auto`) with exactly pacer's parameters; returns its state.
pub fn assert_authorize_url(web: &Web, url: &Url) -> String {
    assert_provider_url(web, url, "auto")
}

/// Like [`assert_authorize_url`] for a link handed to an API client or an MCP tool: not bound
/// to a browser, so Strava must always show its consent screen (`approval_prompt=force`).
pub fn assert_link_url(web: &Web, url: &Url) -> String {
    assert_provider_url(web, url, "force")
}

fn assert_provider_url(web: &Web, url: &Url, prompt: &str) -> String {
    assert_eq!(without_query(url), format!("{}/sandbox/strava/oauth/authorize", web.base), "{url}");
    let q = query(url);
    let state = q.get("state").cloned().unwrap_or_default();
    let expected: BTreeMap<String, String> = [
        ("client_id", SANDBOX_CLIENT_ID.to_string()),
        ("response_type", "code".to_string()),
        ("redirect_uri", format!("{}/oauth/strava/callback", web.base)),
        ("approval_prompt", prompt.to_string()),
        ("scope", SCOPE.to_string()),
        ("state", state.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(q, expected, "authorize URL parameters of {url}");
    // 128 bits at least: 22 base64url characters.
    assert!(state.len() >= 22, "state too short: {} chars", state.len());
    assert!(state.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "not base64url: {state}");
    state
}

/// `GET /oauth/strava/authorize` with a Bearer JWT: the provider URL from the 302.
pub fn begin(web: &Web, jwt: &str) -> Url {
    let r = web.send(web.get("/oauth/strava/authorize").bearer_auth(jwt));
    assert_eq!(r.status, StatusCode::FOUND, "authorize: {}", r.text);
    // Keep the flow's binding cookie, as the browser would.
    let binding = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("pacer_oauth_binding=").map(|v| v.split(';').next().unwrap_or("").to_string()))
        .expect("authorize sets the pacer_oauth_binding cookie");
    *web.oauth_binding.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(binding);
    r.location()
}

/// The sandbox's consent page for `authorize_url`, submitted as a browser would (its hidden
/// fields, the chosen athlete, `decision`). Returns where the sandbox redirects: pacer's callback.
pub fn consent(web: &Web, authorize_url: &Url, athlete_id: u64, decision: &str) -> Url {
    let page = web.send(web.get(authorize_url.as_str()));
    assert_eq!(page.status, StatusCode::OK, "consent page: {}", page.text);
    let params = query(authorize_url);
    for name in params.keys() {
        assert!(page.text.contains(&format!("name=\"{name}\"")), "consent form lacks {name}: {}", page.text);
    }
    for athlete in [ATHLETE_A, ATHLETE_B] {
        assert!(page.text.contains(&format!("<option value=\"{athlete}\"")), "athlete {athlete} not offered");
    }
    let mut form: Vec<(String, String)> = params.into_iter().collect();
    form.push(("athlete_id".into(), athlete_id.to_string()));
    form.push(("decision".into(), decision.into()));
    let r = web.send(web.post(&without_query(authorize_url)).form(&form));
    let location = r.location();
    assert_eq!(without_query(&location), format!("{}/oauth/strava/callback", web.base), "consent redirect");
    location
}

/// Follows the provider's redirect to pacer's callback with `accept`.
pub fn callback(web: &Web, url: &Url, accept: &str) -> Reply {
    let mut req = web.get(url.as_str()).header("Accept", accept);
    if let Some(b) = web.oauth_binding.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref() {
        req = req.header("Cookie", format!("pacer_oauth_binding={b}"));
    }
    web.send(req)
}

/// Authorize → approve as `athlete_id` → callback (JSON); returns the callback's body.
pub fn connect(web: &Web, jwt: &str, athlete_id: u64) -> Value {
    let authorize = begin(web, jwt);
    let back = consent(web, &authorize, athlete_id, "approve");
    let r = callback(web, &back, JSON);
    assert_eq!(r.status, StatusCode::OK, "callback: {}", r.text);
    r.json()
}

/// A `provider_tokens` row, opened with the daemon's master key.
pub struct StoredTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub athlete_id: Option<i64>,
    pub scopes: String,
}

/// The Strava row of (tenant, user), decrypted in-process with `master.key` and the AAD
/// `tenant_id|user_id|strava`; `None` when there is no row.
pub fn stored_tokens(home: &Path, tenant_id: &str, user_id: &str) -> Option<StoredTokens> {
    let conn = open_db(home);
    let row = conn.query_row(
        "SELECT nonce, ciphertext, athlete_id, scopes FROM provider_tokens
         WHERE tenant_id = ?1 AND user_id = ?2 AND provider = 'strava'",
        [tenant_id, user_id],
        |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?, r.get(2)?, r.get(3)?)),
    );
    let (nonce, ciphertext, athlete_id, scopes) = match row {
        Ok(row) => row,
        Err(rusqlite::Error::QueryReturnedNoRows) => return None,
        Err(e) => panic!("provider_tokens: {e}"),
    };
    let vault = TokenVault::load_or_create(home, None).expect("master key");
    let aad = TokenAad::new(TenantId::new(tenant_id), UserId::new(user_id), pacer_shared::ProviderId::Strava);
    let plain = vault
        .open(&aad, &Sealed { nonce: nonce.clone(), ciphertext: ciphertext.clone() })
        .expect("the row opens with its own AAD");
    let tokens: Value = serde_json::from_slice(&plain).expect("sealed tokens are JSON");
    let field = |k: &str| tokens[k].as_str().unwrap_or_else(|| panic!("no {k} in the sealed tokens")).to_string();
    Some(StoredTokens {
        access_token: field("access_token"),
        refresh_token: field("refresh_token"),
        nonce,
        ciphertext,
        athlete_id,
        scopes,
    })
}

/// Number of `provider_tokens` rows.
pub fn token_rows(home: &Path) -> i64 {
    open_db(home).query_row("SELECT COUNT(*) FROM provider_tokens", [], |r| r.get(0)).expect("count")
}

/// A GET on the sandbox's Strava API (`path` under `/api/v3`) with a provider access token.
pub fn sandbox_get(web: &Web, access_token: &str, path: &str) -> Value {
    let r = web.send(web.get(&format!("/sandbox/strava/api/v3{path}")).bearer_auth(access_token));
    assert_eq!(r.status, StatusCode::OK, "sandbox {path}: {}", r.text);
    r.json()
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
pub fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&prefix).map(|v| v.split(';').next().unwrap_or("").to_string()))
}

/// The one-time token of a confirmation answer: `confirm_token` (JSON) or the form's hidden
/// `token` field (HTML).
pub fn confirm_token(r: &Reply) -> String {
    if let Some(t) = r.json()["confirm_token"].as_str() {
        return t.to_string();
    }
    let marker = "name=\"token\" value=\"";
    let start = r.text.find(marker).unwrap_or_else(|| panic!("no token field in {}", r.text)) + marker.len();
    let len = r.text[start..].find('"').expect("end of token value");
    r.text[start..start + len].to_string()
}

/// `POST /oauth/strava/confirm` with `token`, `decision` and, when given, the confirmation cookie.
pub fn post_confirm(web: &Web, token: &str, cookie: Option<&str>, decision: &str, accept: &str) -> Reply {
    let mut req =
        web.post("/oauth/strava/confirm").header("Accept", accept).form(&[("token", token), ("decision", decision)]);
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("pacer_oauth_confirm={c}"));
    }
    web.send(req)
}

/// Accepts the confirmation a callback answered with, as the browser that got it would.
pub fn accept_confirmation(web: &Web, r: &Reply) -> Reply {
    let cookie = set_cookie(r, "pacer_oauth_confirm").expect("the confirmation sets its cookie");
    post_confirm(web, &confirm_token(r), Some(&cookie), "accept", JSON)
}
