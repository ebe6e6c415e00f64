//! The HTTP API against a real daemon: login, key management, `/api/me`, rate limits, tenant
//! isolation, body caps and the OpenAPI document.

use pacer_shared::ipc::{AdminRequest, AdminResponse};
use pacer_shared::{Secret, Tier, UserInfo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixture::{Options, Reply, TestDaemon, Web};

const PASSWORD: &str = "correct horse battery";
const JWT_SECRET: &str = "it-jwt-secret-it-jwt-secret-it-jwt-secret";

fn daemon(config_toml: &str) -> TestDaemon {
    TestDaemon::start_with(Options {
        config_toml: config_toml.into(),
        env: vec![("PACER_JWT_SECRET".into(), JWT_SECRET.into())],
        ..Default::default()
    })
}

fn add_user(d: &TestDaemon, email: &str, tenant: Option<&str>) -> UserInfo {
    let req = AdminRequest::UsersAdd {
        email: email.into(),
        tenant: tenant.map(Into::into),
        password: Some(Secret::new(PASSWORD.into())),
    };
    match d.admin(req) {
        AdminResponse::User(u) => u,
        other => panic!("unexpected {other:?}"),
    }
}

fn add_key(d: &TestDaemon, email: &str, tier: Tier) -> String {
    let req = AdminRequest::KeysCreate { user: email.into(), name: "it".into(), description: None, tier };
    match d.admin(req) {
        AdminResponse::KeyCreated(k) => k.api_key.expose().to_string(),
        other => panic!("unexpected {other:?}"),
    }
}

/// `POST /api/auth/login`, whatever the outcome.
fn login(web: &Web, email: &str, password: &str) -> Reply {
    web.send(web.post("/api/auth/login").json(&json!({"email": email, "password": password})))
}

/// `GET /api/me` with an API key.
fn me(web: &Web, key: &str) -> Reply {
    web.send(web.get("/api/me").header("X-API-Key", key))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn login_then_create_list_use_and_revoke_a_key() {
    let d = daemon("");
    let ada = add_user(&d, "ada@example.com", None);
    add_user(&d, "bob@example.com", None);
    let web = Web::new(&d);

    let wrong_password = login(&web, "ada@example.com", "not the password");
    let unknown_email = login(&web, "nobody@example.com", PASSWORD);
    for r in [&wrong_password, &unknown_email] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.error_code(), "unauthorized");
        assert!(r.header("set-cookie").is_none());
    }
    assert_eq!(wrong_password.json(), unknown_email.json(), "both failures must look the same");

    let r = login(&web, "ada@example.com", PASSWORD);
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(sorted_keys(&body), ["access_token", "expires_in", "token_type"]);
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
    let jwt = body["access_token"].as_str().unwrap().to_string();
    let cookie = r.header("set-cookie").expect("session cookie").to_string();
    d.admin(AdminRequest::UsersSetTier { email: "ada@example.com".into(), max_tier: Tier::Premium });
    assert!(
        cookie.starts_with("pacer_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let r = web.send(
        web.req(Method::POST, "/api/keys/create")
            .bearer_auth(&jwt)
            .json(&json!({"name": "Production Key", "description": "Main app key", "tier": "premium"})),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let body = r.json();
    assert_eq!(sorted_keys(&body), ["api_key", "key_info", "warning"]);
    assert_eq!(sorted_keys(&body["key_info"]), ["created_at", "description", "id", "key_prefix", "name", "tier"]);
    assert_eq!(body["warning"], "Store securely - won't be shown again");
    assert_eq!(body["key_info"]["name"], "Production Key");
    assert_eq!(body["key_info"]["tier"], "premium");
    let key = body["api_key"].as_str().unwrap().to_string();
    let key_id = body["key_info"]["id"].as_str().unwrap().to_string();
    assert!(key.starts_with(body["key_info"]["key_prefix"].as_str().unwrap()));

    // The session cookie alone also authenticates.
    let session = cookie.split(';').next().unwrap().to_string();
    let r = web
        .send(web.req(Method::POST, "/api/keys/create").header("Cookie", session).json(&json!({"name": "cookie key"})));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["key_info"]["tier"], "free");

    let r = me(&web, &key);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"tenant_id": ada.tenant_id.as_str(), "user_id": ada.id.as_str(), "key_id": key_id, "tier": "premium"})
    );
    assert_eq!((r.num("x-ratelimit-limit"), r.num("x-ratelimit-remaining")), (1000, 999));

    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for k in keys {
        assert_eq!(
            sorted_keys(k),
            ["created_at", "description", "id", "is_active", "key_prefix", "last_used_at", "name", "tier"]
        );
    }
    assert!(!body.to_string().contains(&key), "the secret must never be listed");
    let used = keys.iter().find(|k| k["id"] == key_id.as_str()).unwrap();
    assert!(used["last_used_at"].is_string() && used["is_active"] == true, "{used}");

    let bob_jwt = web.login("bob@example.com", PASSWORD);
    let r = web.send(web.req(Method::DELETE, &format!("/api/keys/{key_id}")).bearer_auth(&bob_jwt));
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(me(&web, &key).status, StatusCode::OK, "bob cannot revoke ada's key");

    let r = web.send(web.req(Method::DELETE, &format!("/api/keys/{key_id}")).bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"id": key_id, "is_active": false}));
    let r = me(&web, &key);
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    let r = web.send(web.req(Method::DELETE, "/api/keys/no-such-key").bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[test]
fn key_routes_reject_bad_tokens_and_bad_input() {
    let d = daemon("");
    let ada = add_user(&d, "ada@example.com", None);
    let web = Web::new(&d);
    let jwt = web.login("ada@example.com", PASSWORD);
    let expired = {
        let claims = pacerd::auth::jwt::Claims {
            sub: ada.id.to_string(),
            tid: ada.tenant_id.to_string(),
            iat: now() - 7200,
            exp: now() - 3600,
            nbf: None,
            jti: "expired".into(),
        };
        let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    let forged = pacerd::auth::jwt::JwtKeys::from_secret(b"not-the-daemon-secret-not-the-daemon")
        .issue(&ada.tenant_id, &ada.id)
        .unwrap();

    for (method, path) in
        [(Method::POST, "/api/keys/create"), (Method::GET, "/api/keys/list"), (Method::DELETE, "/api/keys/x")]
    {
        for token in [None, Some("garbage"), Some(expired.as_str()), Some(forged.expose())] {
            let mut req = web.req(method.clone(), path).json(&json!({"name": "x"}));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = web.send(req);
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (StatusCode::UNAUTHORIZED, "unauthorized"),
                "{method} {path} {token:?}"
            );
        }
    }
    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&expired));
    assert!(r.error_message().contains("expired"), "{}", r.text);

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "n".repeat(101)}), "name"),
        (json!({"name": "ok", "tier": "platinum"}), "tier"),
        (json!({"description": "nameless"}), "name"),
    ] {
        let r = web.send(web.req(Method::POST, "/api/keys/create").bearer_auth(&jwt).json(&body));
        assert_eq!((r.status, r.error_code().as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{body}");
        assert!(r.error_message().contains(field), "{body}: {}", r.text);
    }
}

#[test]
fn api_key_rate_limit_counts_down_then_429() {
    let d = daemon("[limits]\nfree_per_minute = 5\n");
    add_user(&d, "ada@example.com", None);
    let (key_a, key_b) = (add_key(&d, "ada@example.com", Tier::Free), add_key(&d, "ada@example.com", Tier::Free));
    let web = Web::new(&d);

    let mut last_reset = 0;
    for expected in (0..5).rev() {
        let r = me(&web, &key_a);
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.num("x-ratelimit-limit"), 5);
        assert_eq!(r.num("x-ratelimit-remaining"), expected);
        let reset = r.num("x-ratelimit-reset");
        assert!(reset > now() && reset <= now() + 61, "reset {reset}");
        assert!(reset >= last_reset);
        last_reset = reset;
        assert!(r.header("retry-after").is_none());
    }
    let r = me(&web, &key_a);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "rate_limited");
    assert!(r.error_message().contains("retry in"), "{}", r.text);
    assert_eq!(r.num("x-ratelimit-limit"), 5);
    assert_eq!(r.num("x-ratelimit-remaining"), 0);
    let retry = r.num("retry-after");
    assert!((1..=12).contains(&retry), "one token refills every 12 s; got {retry}");
    let reset = r.num("x-ratelimit-reset");
    assert!(reset > now() && reset <= now() + 61, "reset {reset}");

    let other = me(&web, &key_b);
    assert_eq!(other.status, StatusCode::OK, "another key has its own bucket");
    assert_eq!(other.num("x-ratelimit-remaining"), 4);
}

#[test]
fn login_is_rate_limited_per_ip() {
    let d = daemon("[limits]\nip_per_minute = 3\n");
    add_user(&d, "ada@example.com", None);
    let web = Web::new(&d);
    for expected in [2, 1, 0] {
        let r = login(&web, "ada@example.com", "wrong password");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!((r.num("x-ratelimit-limit"), r.num("x-ratelimit-remaining")), (3, expected));
        assert!(r.num("x-ratelimit-reset") > now());
    }
    let r = login(&web, "ada@example.com", PASSWORD);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even correct credentials wait");
    assert_eq!(r.error_code(), "rate_limited");
    assert!(r.num("retry-after") >= 1);
    assert_eq!(r.num("x-ratelimit-remaining"), 0);
    assert!(r.num("x-ratelimit-reset") > now());
    // A spoofed X-Forwarded-For does not buy a fresh bucket.
    let r = web.send(
        web.req(Method::POST, "/api/auth/login")
            .header("X-Forwarded-For", "203.0.113.9")
            .json(&json!({"email": "ada@example.com", "password": PASSWORD})),
    );
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn tenants_are_isolated() {
    let d = daemon("");
    let ada = add_user(&d, "ada@example.com", None);
    let eve = add_user(&d, "eve@example.com", Some("acme"));
    assert_ne!(ada.tenant_id, eve.tenant_id);
    let ada_key = add_key(&d, "ada@example.com", Tier::Free);
    let web = Web::new(&d);
    let ada_jwt = web.login("ada@example.com", PASSWORD);
    let eve_jwt = web.login("eve@example.com", PASSWORD);

    let r = web.send(
        web.req(Method::GET, "/api/me").header("X-API-Key", &ada_key).header("X-Tenant-ID", eve.tenant_id.as_str()),
    );
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    let r = web.send(
        web.req(Method::GET, "/api/me").header("X-API-Key", &ada_key).header("X-Tenant-ID", ada.tenant_id.as_str()),
    );
    assert_eq!(r.status, StatusCode::OK);
    let r = web.send(
        web.req(Method::GET, "/api/keys/list").bearer_auth(&ada_jwt).header("X-Tenant-ID", eve.tenant_id.as_str()),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = me(&web, &format!("pk_live_{}", "Z".repeat(40)));
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let r = web.send(web.req(Method::GET, "/api/me"));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Eve sees none of Ada's keys and cannot revoke them.
    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&eve_jwt));
    assert_eq!(r.json()["keys"], json!([]));
    let ada_keys = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&ada_jwt));
    let ada_key_id = ada_keys.json()["keys"][0]["id"].as_str().unwrap().to_string();
    let r = web.send(web.req(Method::DELETE, &format!("/api/keys/{ada_key_id}")).bearer_auth(&eve_jwt));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(me(&web, &ada_key).status, StatusCode::OK);
}

#[test]
fn oversize_bodies_are_413() {
    let d = daemon("");
    add_user(&d, "ada@example.com", None);
    let web = Web::new(&d);
    let jwt = web.login("ada@example.com", PASSWORD);
    let huge = json!({"name": "x", "email": "ada@example.com", "password": "p".repeat(1024 * 1024)});
    for (path, auth) in [("/api/auth/login", false), ("/api/keys/create", true)] {
        let mut req = web.req(Method::POST, path).json(&huge);
        if auth {
            req = req.bearer_auth(&jwt);
        }
        let r = web.send(req);
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(r.error_code(), "payload_too_large", "{path}");
    }
}

#[test]
fn openapi_document_lists_every_route() {
    let d = daemon("");
    let web = Web::new(&d);
    let r = web.send(web.req(Method::GET, "/api/openapi.json"));
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every route the daemon serves is documented, and nothing else (the unit test checks the
    // core routes on a bare app; this one checks the real binary's whole surface).
    let documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| ops.as_object().into_iter().flatten().map(move |(m, _)| (path.clone(), m.clone())))
        .collect();
    let served = [
        ("/", "get"),
        ("/.well-known/agent-card.json", "get"),
        ("/.well-known/oauth-authorization-server", "get"),
        ("/.well-known/oauth-protected-resource", "get"),
        ("/.well-known/oauth-protected-resource/mcp", "get"),
        ("/a2a", "post"),
        ("/a2a/agents/discover", "get"),
        ("/a2a/agents/{agent_id}", "delete"),
        ("/a2a/agents/{agent_id}/card", "get"),
        ("/a2a/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/connection", "delete"),
        ("/api/connection", "get"),
        ("/api/dashboard/fitness.svg", "get"),
        ("/api/dashboard/recent", "get"),
        ("/api/dashboard/weekly.svg", "get"),
        ("/api/import", "post"),
        ("/api/keys/create", "post"),
        ("/api/keys/list", "get"),
        ("/api/keys/{key_id}", "delete"),
        ("/api/me", "get"),
        ("/api/oauth/grants", "get"),
        ("/api/oauth/grants/{grant_id}", "delete"),
        ("/api/openapi.json", "get"),
        ("/favicon.ico", "get"),
        ("/health", "get"),
        ("/login", "get"),
        ("/mcp", "post"),
        ("/mcp/ws", "get"),
        ("/oauth/authorize", "get"),
        ("/oauth/authorize", "post"),
        ("/oauth/register", "options"),
        ("/oauth/register", "post"),
        ("/oauth/revoke", "options"),
        ("/oauth/revoke", "post"),
        ("/oauth/token", "options"),
        ("/oauth/token", "post"),
        ("/oauth/{provider}/authorize", "get"),
        ("/oauth/{provider}/callback", "get"),
        ("/oauth/{provider}/confirm", "post"),
        ("/static/pacer.css", "get"),
        ("/static/pacer.js", "get"),
    ];
    let mut documented = documented;
    documented.sort();
    let served: Vec<(String, String)> = served.iter().map(|(p, m)| (p.to_string(), m.to_string())).collect();
    assert_eq!(documented, served);
    let schemes = &doc["components"]["securitySchemes"];
    for name in ["bearer", "api_key", "session_cookie", "mcp_oauth"] {
        assert!(schemes[name].is_object(), "{name}");
    }
}

#[test]
fn tier_quotas_come_from_the_tier_limits_table_unless_configured() {
    // A home whose tier_limits table says free = 2 per minute, and no [limits] in config.toml.
    let mut d = TestDaemon::start();
    d.stop();
    let db = rusqlite::Connection::open(d.home().join("pacer.db")).expect("db");
    db.execute("UPDATE tier_limits SET requests_per_minute = 2 WHERE tier = 'free'", []).expect("update");
    drop(db);
    let home = std::mem::replace(&mut d.home, crate::fixture::new_home());
    let d = TestDaemon::start_in(home, Options::default());
    add_user(&d, "t@example.com", None);
    let key = add_key(&d, "t@example.com", Tier::Free);
    let web = Web::new(&d);
    let r = me(&web, &key);
    assert_eq!(r.num("x-ratelimit-limit"), 2, "{:?}", r.headers);
    assert_eq!(me(&web, &key).status, StatusCode::OK);
    assert_eq!(me(&web, &key).status, StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn a_rate_limited_request_writes_nothing() {
    let d = daemon("[limits]\nfree_per_minute = 2\n");
    add_user(&d, "ada@example.com", None);
    let key = add_key(&d, "ada@example.com", Tier::Free);
    let web = Web::new(&d);
    assert_eq!(me(&web, &key).status, StatusCode::OK);
    assert_eq!(me(&web, &key).status, StatusCode::OK);
    // A sentinel the daemon would overwrite if a rejected request still stamped the key.
    let db = crate::fixture::open_db(d.home());
    let sentinel = "2000-01-01T00:00:00Z";
    db.execute("UPDATE api_keys SET last_used_at = ?1", [sentinel]).expect("sentinel");
    for _ in 0..5 {
        assert_eq!(me(&web, &key).status, StatusCode::TOO_MANY_REQUESTS);
    }
    let stamped: String = db.query_row("SELECT last_used_at FROM api_keys", [], |r| r.get(0)).expect("row");
    assert_eq!(stamped, sentinel, "a rejected request must not write last_used_at");
}
