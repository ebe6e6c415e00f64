//! The OAuth connect flow against the sandbox over real HTTP: `/oauth/strava/authorize` (Bearer
//! or session cookie) → the sandbox's consent form → pacer's `/oauth/strava/callback` → tokens
//! stored encrypted → the returned JWT works. Forged, expired, replayed and missing states and
//! `access_denied` are refused without storing anything; the MCP `connect_provider` link connects
//! the user too.
//!
//! The flow helpers (`sandbox_daemon`, `begin`, `consent`, `callback`, …) live in `flows.rs`.

use std::path::Path;

use pacer_shared::{TenantId, UserId};
use pacerd::vault::{Sealed, TokenAad, TokenVault};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::fixture::{Reply, TestDaemon, Web, contains, open_db, raw_db_bytes};
use crate::flows::{
    ATHLETE_A, ATHLETE_B, JSON, JWT_SECRET, PASSWORD, SCOPE, accept_confirmation, assert_authorize_url,
    assert_link_url, begin, callback, consent, query, sandbox_daemon, sandbox_get, set_cookie, stored_tokens,
    token_rows,
};
use crate::mcp_client::McpClient;

const HTML: &str = "text/html,application/xhtml+xml";

fn state_rows(home: &Path, state: &str) -> i64 {
    let hash = Sha256::digest(state.as_bytes()).to_vec();
    open_db(home)
        .query_row("SELECT COUNT(*) FROM oauth_states WHERE state_hash = ?1", [hash], |r| r.get(0))
        .expect("oauth_states")
}

fn jwt_with(secret: &str, user: &Value, iat: i64, exp: i64) -> String {
    let claims = pacerd::auth::jwt::Claims {
        sub: user["id"].as_str().expect("id").into(),
        tid: user["tenant_id"].as_str().expect("tenant_id").into(),
        iat,
        exp,
        nbf: None,
        jti: format!("it-{iat}"),
    };
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).expect("encode JWT")
}

/// A sandbox daemon with Ada (a password user) signed in: the daemon, a client, her user JSON
/// and her JWT.
fn ada_signed_in() -> (TestDaemon, Web, Value, String) {
    let d = sandbox_daemon(&[]);
    let web = Web::new(&d);
    let ada = d.user_with_password("ada@example.com", None, PASSWORD);
    let jwt = web.login("ada@example.com", PASSWORD);
    (d, web, ada, jwt)
}

fn ids(user: &Value) -> (&str, &str) {
    (user["tenant_id"].as_str().expect("tenant_id"), user["id"].as_str().expect("id"))
}

#[test]
fn authorize_redirects_with_every_parameter_and_requires_a_session() {
    let d = sandbox_daemon(&[]);
    let web = Web::new(&d);
    let ada = d.user_with_password("ada@example.com", None, PASSWORD);

    let login = web.send(web.post("/api/auth/login").json(&json!({"email": "ada@example.com", "password": PASSWORD})));
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let jwt = login.json()["access_token"].as_str().expect("access_token").to_string();
    let session = login.header("set-cookie").and_then(|c| c.split(';').next()).expect("session cookie").to_string();
    assert!(session.starts_with("pacer_session="), "{session}");

    // Bearer → 302 to the sandbox with every parameter.
    let first = assert_authorize_url(&web, &begin(&web, &jwt));
    assert_eq!(state_rows(d.home(), &first), 1, "the state is stored (as its hash)");

    // Accept: application/json → 200 {authorize_url}.
    let r = web.send(web.get("/oauth/strava/authorize").bearer_auth(&jwt).header("Accept", JSON));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json();
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    let url = Url::parse(body["authorize_url"].as_str().expect("authorize_url")).expect("URL");
    let second = assert_link_url(&web, &url);

    // The session cookie alone works too.
    let r = web.send(web.get("/oauth/strava/authorize").header("Cookie", &session));
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
    let third = assert_authorize_url(&web, &r.location());

    let states = [&first, &second, &third];
    assert!(first != second && second != third && first != third, "every state is fresh: {states:?}");
    let raw = raw_db_bytes(d.home());
    for s in states {
        assert!(!contains(&raw, s.as_bytes()), "a state is stored in clear");
    }

    // No, garbage, expired or forged credentials → 401 JSON, and no state is created.
    let now = chrono::Utc::now().timestamp();
    let expired = jwt_with(JWT_SECRET, &ada, now - 7200, now - 3600);
    let forged = jwt_with("not-the-daemon-secret-not-the-daemon-secret", &ada, now, now + 3600);
    let before: i64 = open_db(d.home()).query_row("SELECT COUNT(*) FROM oauth_states", [], |r| r.get(0)).unwrap();
    for (what, token) in
        [("none", None), ("garbage", Some("garbage")), ("expired", Some(&*expired)), ("forged", Some(&*forged))]
    {
        let mut req = web.get("/oauth/strava/authorize");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = web.send(req);
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.text);
        assert_eq!(r.error_code(), "unauthorized", "{what}: {}", r.text);
        assert!(r.header("location").is_none(), "{what}");
        if what == "expired" {
            assert!(r.error_message().contains("expired"), "{}", r.text);
        }
    }
    let r = web.send(web.get("/oauth/strava/authorize").header("Cookie", "pacer_session=garbage"));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let after: i64 = open_db(d.home()).query_row("SELECT COUNT(*) FROM oauth_states", [], |r| r.get(0)).unwrap();
    assert_eq!(before, after, "refused requests create no state");
}

#[test]
fn full_flow_stores_encrypted_tokens_and_returns_a_working_jwt() {
    let (d, web, ada, jwt) = ada_signed_in();
    let (tenant, user) = ids(&ada);

    let authorize = begin(&web, &jwt);
    let state = assert_authorize_url(&web, &authorize);
    let back = consent(&web, &authorize, ATHLETE_A, "approve");
    let q = query(&back);
    assert_eq!(q.get("state"), Some(&state), "the state round-trips");
    assert!(q.get("code").is_some_and(|c| !c.is_empty()), "{back}");
    assert_eq!(q.get("scope").map(String::as_str), Some(SCOPE));
    assert_eq!(token_rows(d.home()), 0, "nothing stored before the callback");

    let r = callback(&web, &back, JSON);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json();
    let mut keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["access_token", "expires_in", "token_type"], "{body}");
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
    let new_jwt = body["access_token"].as_str().expect("access_token").to_string();
    assert_eq!(new_jwt.split('.').count(), 3, "a JWT: {new_jwt}");
    assert!(r.header("set-cookie").is_some_and(|c| c.starts_with("pacer_session=")), "session cookie");
    assert_eq!(state_rows(d.home(), &state), 0, "the state is deleted");

    // The JWT works on the account routes, as Ada.
    let created = web.send(web.post("/api/keys/create").bearer_auth(&new_jwt).json(&json!({"name": "after connect"})));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let listed = web.send(web.get("/api/keys/list").bearer_auth(&new_jwt));
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let listed = listed.json();
    assert_eq!(listed["keys"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["keys"][0]["id"], created.json()["key_info"]["id"]);
    let me = web.send(web.get("/api/me").header("X-API-Key", created.json()["api_key"].as_str().unwrap()));
    assert_eq!((me.json()["tenant_id"].as_str(), me.json()["user_id"].as_str()), (Some(tenant), Some(user)));

    // Stored encrypted: one row for (tenant, user), a 24-byte nonce, and only ciphertext on disk.
    assert_eq!(token_rows(d.home()), 1);
    let stored = stored_tokens(d.home(), tenant, user).expect("provider_tokens row");
    assert_eq!(stored.nonce.len(), 24);
    assert!(stored.ciphertext.len() > 16, "ciphertext plus tag");
    assert_eq!(stored.athlete_id, Some(ATHLETE_A as i64));
    assert!(stored.scopes.contains("activity:write"), "{}", stored.scopes);
    assert!(stored.access_token.len() >= 20 && stored.refresh_token.len() >= 20);
    assert_ne!(stored.access_token, stored.refresh_token);
    let raw = raw_db_bytes(d.home());
    for (what, token) in [("access", &stored.access_token), ("refresh", &stored.refresh_token)] {
        assert!(!contains(&raw, token.as_bytes()), "the {what} token is stored in clear");
    }
    // The decrypted tokens are the real ones: the sandbox accepts the access token as Ada's athlete.
    assert_eq!(sandbox_get(&web, &stored.access_token, "/athlete")["id"], ATHLETE_A);
    // Another AAD (another user) does not open the row.
    let vault = TokenVault::load_or_create(d.home(), None).expect("master key");
    let sealed = Sealed { nonce: stored.nonce.clone(), ciphertext: stored.ciphertext.clone() };
    assert!(
        vault
            .open(
                &TokenAad::new(TenantId::new(tenant), UserId::new("someone-else"), pacer_shared::ProviderId::Strava),
                &sealed
            )
            .is_err()
    );

    // Replaying the callback: 403 invalid_state, nothing changes (JSON and browser alike).
    let r = callback(&web, &back, JSON);
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "invalid_state"), "{}", r.text);
    assert!(r.header("set-cookie").is_none(), "no session for a replay");
    let r = callback(&web, &back, HTML);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{:?}", r.headers);
    assert!(r.text.contains("Connection failed"), "{}", r.text);
    let again = stored_tokens(d.home(), tenant, user).expect("row kept");
    assert_eq!((again.nonce, again.ciphertext), (stored.nonce.clone(), stored.ciphertext.clone()), "row untouched");

    // A browser flow: an HTML success page, and the row now holds the new athlete's tokens.
    let authorize = begin(&web, &jwt);
    let back = consent(&web, &authorize, ATHLETE_B, "approve");
    let r = callback(&web, &back, HTML);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{:?}", r.headers);
    assert!(r.text.contains("Connected to Strava") && r.text.contains("Sam Rivera"), "{}", r.text);
    assert!(r.header("set-cookie").is_some_and(|c| c.starts_with("pacer_session=")), "session cookie");
    assert_eq!(token_rows(d.home()), 1, "still one row per (tenant, user)");
    let replaced = stored_tokens(d.home(), tenant, user).expect("row");
    assert_eq!(replaced.athlete_id, Some(ATHLETE_B as i64));
    assert_ne!(replaced.nonce, stored.nonce, "a fresh nonce for every write");
    assert_eq!(sandbox_get(&web, &replaced.access_token, "/athlete")["id"], ATHLETE_B);
}

#[test]
fn forged_expired_missing_and_denied_states_store_nothing() {
    let (d, web, ada, jwt) = ada_signed_in();
    let (tenant, user) = ids(&ada);
    let expect = |status: StatusCode, r: &Reply, code: &str, what: &str| {
        assert_eq!((r.status, r.error_code().as_str()), (status, code), "{what}: {}", r.text);
        assert!(r.header("set-cookie").is_none(), "{what}: no session");
    };
    // Malformed callbacks are 400; unknown, spent or expired states (one-time credentials) 403.
    let expect_400 = |r: &Reply, code: &str, what: &str| expect(StatusCode::BAD_REQUEST, r, code, what);
    let expect_403 = |r: &Reply, code: &str, what: &str| expect(StatusCode::FORBIDDEN, r, code, what);

    // Forged: a state pacer never issued, alone and next to a genuine code.
    let forged = format!("{}/oauth/strava/callback?state={}&code=abc", web.base, "A".repeat(43));
    expect_403(&callback(&web, &Url::parse(&forged).unwrap(), JSON), "invalid_state", "forged state");
    let authorize = begin(&web, &jwt);
    let genuine = consent(&web, &authorize, ATHLETE_A, "approve");
    let mut tampered = genuine.clone();
    let pairs: Vec<(String, String)> =
        query(&genuine).into_iter().map(|(k, v)| if k == "state" { (k, format!("{v}x")) } else { (k, v) }).collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    expect_403(&callback(&web, &tampered, JSON), "invalid_state", "tampered state");
    assert_eq!(token_rows(d.home()), 0);
    // The genuine state was not consumed by the forgery.
    assert_eq!(callback(&web, &genuine, JSON).status, StatusCode::OK);
    assert!(stored_tokens(d.home(), tenant, user).is_some());
    open_db(d.home()).execute("DELETE FROM provider_tokens", []).expect("reset");

    // Expired: the state's expiry passes between authorize and callback.
    let authorize = begin(&web, &jwt);
    let state = assert_authorize_url(&web, &authorize);
    let hash = Sha256::digest(state.as_bytes()).to_vec();
    let n = open_db(d.home())
        .execute("UPDATE oauth_states SET expires_at = 0 WHERE state_hash = ?1", [hash])
        .expect("expire state");
    assert_eq!(n, 1);
    let back = consent(&web, &authorize, ATHLETE_A, "approve");
    let r = callback(&web, &back, JSON);
    expect_403(&r, "invalid_state", "expired state");
    assert!(r.error_message().contains("expired"), "{}", r.text);
    assert_eq!(token_rows(d.home()), 0);
    expect_403(&callback(&web, &back, JSON), "invalid_state", "expired state, again");

    // access_denied: the athlete clicks Deny.
    let authorize = begin(&web, &jwt);
    let state = assert_authorize_url(&web, &authorize);
    let denied = consent(&web, &authorize, ATHLETE_A, "deny");
    let q = query(&denied);
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"), "{denied}");
    assert_eq!(q.get("state"), Some(&state));
    assert!(!q.contains_key("code"), "{denied}");
    let r = callback(&web, &denied, JSON);
    expect_400(&r, "access_denied", "denied");
    assert_eq!(token_rows(d.home()), 0, "nothing stored after a denial");
    assert_eq!(state_rows(d.home(), &state), 0, "the denied state is consumed");
    // Again, in a browser: the state is spent now (403), still a page.
    let r = callback(&web, &denied, HTML);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("Connection failed"), "{}", r.text);

    // Missing state (with or without a code).
    for q in ["?code=abc", "", "?state=&code=abc"] {
        let url = Url::parse(&format!("{}/oauth/strava/callback{q}", web.base)).unwrap();
        let r = callback(&web, &url, JSON);
        expect_400(&r, "invalid_state", q);
        assert!(r.error_message().contains("state"), "{}", r.text);
    }
    assert_eq!(token_rows(d.home()), 0);
}

#[test]
fn mcp_connect_provider_link_connects_the_user() {
    let d = sandbox_daemon(&[]);
    let web = Web::new(&d);
    let (user, key) = d.user_with_key("mia@example.com", Some("mcp"), "free");
    let mut c = McpClient::start(d.home(), Some(&key), &[]);
    c.initialize("2025-11-25");
    let status = c.call("get_connection_status", json!({}));
    assert_eq!(status["result"]["structuredContent"]["connected"], false, "{status}");

    let r = c.call("connect_provider", json!({"provider": "strava"}));
    let link = &r["result"]["structuredContent"];
    assert_eq!(link["provider"], "strava", "{r}");
    let url = Url::parse(link["authorize_url"].as_str().expect("authorize_url")).expect("URL");
    let state = assert_link_url(&web, &url);
    assert_eq!(state_rows(d.home(), &state), 1);

    let back = consent(&web, &url, ATHLETE_B, "approve");
    // Opened without a session: the person must first confirm whose pacer account this is.
    let r = callback(&web, &back, JSON);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.json()["account"], "mia@example.com", "{}", r.text);
    assert_eq!(token_rows(d.home()), 0, "nothing stored before the confirmation");
    let r = accept_confirmation(&web, &r);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A link handed out over MCP connects the provider but opens no pacer session for whoever
    // completes it (else a key holder could turn it into a login and mint new keys).
    assert_eq!(r.json(), json!({"connected": true, "provider": "strava", "athlete_id": ATHLETE_B}), "{}", r.text);
    assert!(set_cookie(&r, "pacer_session").is_none(), "no session cookie: {:?}", r.headers);
    let _ = user;

    let status = c.call("get_connection_status", json!({}));
    let s = &status["result"]["structuredContent"];
    assert_eq!(s["connected"], true, "{status}");
    assert_eq!(s["athlete_id"], ATHLETE_B, "{status}");
    assert!(s["scopes"].as_array().is_some_and(|a| a.contains(&json!("activity:write"))), "{status}");
    let athlete = c.call("get_athlete", json!({}));
    assert_eq!(athlete["result"]["structuredContent"]["id"], ATHLETE_B, "{athlete}");
    let (tenant, user_id) = ids(&user);
    assert_eq!(stored_tokens(d.home(), tenant, user_id).and_then(|t| t.athlete_id), Some(ATHLETE_B as i64));
}

#[test]
fn callback_from_another_browser_is_refused() {
    let (d, web, _ada, jwt) = ada_signed_in();
    // The victim's browser follows the attacker's callback link: it has no binding cookie, or
    // another one. Refused, nothing stored, and the state is spent.
    for cookie in [None, Some("pacer_oauth_binding=forged")] {
        let authorize = begin(&web, &jwt);
        let back = consent(&web, &authorize, ATHLETE_A, "approve");
        let other = Web::new(&d);
        let mut req = other.get(back.as_str()).header("Accept", JSON);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        let r = other.send(req);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.text.contains("started in another browser"), "{}", r.text);
        assert_eq!(token_rows(d.home()), 0, "nothing may be stored");
        assert_eq!(callback(&web, &back, JSON).status, StatusCode::FORBIDDEN, "the state is spent");
    }
    // The genuine browser, with its cookie, connects and gets a session.
    let authorize = begin(&web, &jwt);
    let back = consent(&web, &authorize, ATHLETE_A, "approve");
    let r = callback(&web, &back, JSON);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["access_token"].is_string(), "{}", r.text);
}
