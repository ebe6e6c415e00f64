//! Route tests through actix's test service: a real temp-dir store, fixed JWT keys, no daemon.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{App, test, web};
use pacer_shared::{Secret, UserInfo};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{body_limits, configure};
use crate::accounts;
use crate::auth::jwt::{Claims, JwtKeys};
use crate::config::{Config, LimitSettings, Overrides};
use crate::limits::InMemoryLimiter;
use crate::provider::{FitnessProvider, StravaClient, StravaClientConfig, TokenService};
use crate::state::AppState;
use crate::store::{Store, tenants};
use crate::vault::TokenVault;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const PASSWORD: &str = "correct horse battery";
const MAX_BODY: usize = 64 * 1024;

struct Fixture {
    _dir: tempfile::TempDir,
    data: web::Data<AppState>,
}

fn fixture(limits: LimitSettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        Config::load_from(Overrides { home: Some(dir.path().into()), ..Default::default() }, &HashMap::new()).unwrap();
    config.limits = limits;
    let store = Store::open(&config.db_path()).unwrap();
    store.migrate().unwrap();
    tenants::get_or_create(&store.conn().unwrap(), tenants::DEFAULT_TENANT).unwrap();
    let limiter = Arc::new(InMemoryLimiter::new(&config.limits));
    let vault = Arc::new(TokenVault::from_key([7; 32]));
    let provider: Arc<dyn FitnessProvider> =
        Arc::new(StravaClient::new(StravaClientConfig::new("test", Secret::new("test".into()))).unwrap());
    let tokens = Arc::new(TokenService::new(store.clone(), vault, provider));
    let state = AppState {
        config,
        store,
        jwt: JwtKeys::from_secret(SECRET),
        started: Instant::now(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        public_url: "http://127.0.0.1:0".into(),
        shutdown: CancellationToken::new(),
        limiter,
        tokens,
        sandbox: None,
    };
    Fixture { _dir: dir, data: web::Data::new(state) }
}

fn limits(free: u32, ip: u32) -> LimitSettings {
    LimitSettings { free_per_minute: free, ip_per_minute: ip, ..Default::default() }
}

macro_rules! app {
    ($fx:expr) => {
        test::init_service(App::new().app_data($fx.data.clone()).configure(body_limits(MAX_BODY)).configure(configure))
            .await
    };
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    fn header_num(&self, name: &str) -> i64 {
        self.header(name).unwrap_or_else(|| panic!("missing {name}")).parse().unwrap()
    }
    fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

async fn send<S, R, B>(app: &S, req: R) -> Reply
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req).await;
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = test::read_body(res).await;
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    Reply { status, headers, body }
}

async fn user(fx: &Fixture, email: &str, tenant: Option<&str>) -> UserInfo {
    accounts::add_user(&fx.data.store, email, tenant, Some(&Secret::new(PASSWORD.into()))).await.unwrap()
}

fn jwt_for(fx: &Fixture, u: &UserInfo) -> String {
    fx.data.jwt.issue(&u.tenant_id, &u.id).unwrap().expose().to_string()
}

async fn api_key(fx: &Fixture, u: &UserInfo) -> String {
    accounts::create_key(&fx.data.store, &u.tenant_id, &u.id, "k", None, pacer_shared::Tier::Free)
        .await
        .unwrap()
        .api_key
        .expose()
        .to_string()
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[actix_web::test]
async fn login_issues_a_jwt_and_session_cookie() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let app = app!(fx);
    let req = test::TestRequest::post()
        .uri("/api/auth/login")
        .set_json(json!({"email": "Ada@Example.com", "password": PASSWORD}))
        .to_request();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    let token = r.body["access_token"].as_str().unwrap();
    let p = fx.data.jwt.verify(token).unwrap();
    assert_eq!((p.tenant_id, p.user_id), (ada.tenant_id, ada.id));
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with(&format!("pacer_session={token}")), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header_num("x-ratelimit-limit"), 30);
}

#[actix_web::test]
async fn login_failures_look_the_same() {
    let fx = fixture(LimitSettings::default());
    user(&fx, "ada@example.com", None).await;
    accounts::add_user(&fx.data.store, "nopass@example.com", None, None).await.unwrap();
    let app = app!(fx);
    let mut messages = Vec::new();
    for (email, password) in
        [("ada@example.com", "wrong password"), ("nobody@example.com", PASSWORD), ("nopass@example.com", PASSWORD)]
    {
        let req = test::TestRequest::post()
            .uri("/api/auth/login")
            .set_json(json!({"email": email, "password": password}))
            .to_request();
        let r = send(&app, req).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.header("set-cookie").is_none());
        messages.push(r.body.clone());
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");
    let req =
        test::TestRequest::post().uri("/api/auth/login").set_json(json!({"email": "ada@example.com"})).to_request();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error_message().contains("password"), "{:?}", r.body);
}

#[actix_web::test]
async fn login_is_limited_per_client_ip() {
    let fx = fixture(limits(100, 2));
    let app = app!(fx);
    let peer_a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let peer_b: SocketAddr = "10.0.0.2:5000".parse().unwrap();
    let login = |peer| {
        test::TestRequest::post()
            .uri("/api/auth/login")
            .peer_addr(peer)
            .insert_header(("X-Forwarded-For", "192.0.2.99"))
            .set_json(json!({"email": "x@example.com", "password": "whatever1"}))
            .to_request()
    };
    let first = send(&app, login(peer_a)).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert_eq!((first.header_num("x-ratelimit-limit"), first.header_num("x-ratelimit-remaining")), (2, 1));
    assert_eq!(send(&app, login(peer_a)).await.header_num("x-ratelimit-remaining"), 0);
    let denied = send(&app, login(peer_a)).await;
    assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(denied.error_code(), "rate_limited");
    assert_eq!(denied.header_num("x-ratelimit-remaining"), 0);
    assert!(denied.header_num("retry-after") >= 1);
    assert!(denied.header_num("x-ratelimit-reset") > now());
    // X-Forwarded-For is not trusted: another peer has its own bucket, the header changes nothing.
    assert_eq!(send(&app, login(peer_b)).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn create_list_and_revoke_keys() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let jwt = jwt_for(&fx, &ada);
    let app = app!(fx);

    let req = test::TestRequest::post()
        .uri("/api/keys/create")
        .insert_header(bearer(&jwt))
        .set_json(json!({"name": "Production Key", "description": "Main app key", "tier": "premium"}))
        .to_request();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let mut top: Vec<_> = r.body.as_object().unwrap().keys().cloned().collect();
    top.sort();
    assert_eq!(top, ["api_key", "key_info", "warning"]);
    let mut info: Vec<_> = r.body["key_info"].as_object().unwrap().keys().cloned().collect();
    info.sort();
    assert_eq!(info, ["created_at", "description", "id", "key_prefix", "name", "tier"]);
    assert_eq!(r.body["warning"], "Store securely - won't be shown again");
    assert_eq!(r.body["key_info"]["tier"], "premium");
    assert_eq!(r.body["key_info"]["description"], "Main app key");
    let secret = r.body["api_key"].as_str().unwrap().to_string();
    let prefix = r.body["key_info"]["key_prefix"].as_str().unwrap();
    assert!(secret.starts_with("pk_live_") && secret.starts_with(prefix));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let key_id = r.body["key_info"]["id"].as_str().unwrap().to_string();

    // The session cookie works as well as the Bearer header; tier defaults to free.
    let req = test::TestRequest::post()
        .uri("/api/keys/create")
        .cookie(super::session::session_cookie(&jwt))
        .set_json(json!({"name": "second"}))
        .to_request();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["key_info"]["tier"], "free");
    assert_eq!(r.body["key_info"]["description"], Value::Null);

    let r = send(&app, test::TestRequest::get().uri("/api/keys/list").insert_header(bearer(&jwt)).to_request()).await;
    assert_eq!(r.status, StatusCode::OK);
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let mut fields: Vec<_> = keys[0].as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["created_at", "description", "id", "is_active", "key_prefix", "last_used_at", "name", "tier"]);
    assert!(!r.body.to_string().contains(&secret));

    let r = send(
        &app,
        test::TestRequest::delete().uri(&format!("/api/keys/{key_id}")).insert_header(bearer(&jwt)).to_request(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"id": key_id, "is_active": false}));
    let r = send(&app, test::TestRequest::get().uri("/api/keys/list").insert_header(bearer(&jwt)).to_request()).await;
    let revoked = r.body["keys"].as_array().unwrap().iter().find(|k| k["id"] == key_id.as_str()).unwrap().clone();
    assert_eq!(revoked["is_active"], false);
    let r =
        send(&app, test::TestRequest::get().uri("/api/me").insert_header(("X-API-Key", secret.as_str())).to_request())
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn other_users_and_tenants_keys_are_not_found() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let bob = user(&fx, "bob@example.com", None).await;
    let eve = user(&fx, "eve@example.com", Some("acme")).await;
    let app = app!(fx);
    let ada_key = accounts::create_key(&fx.data.store, &ada.tenant_id, &ada.id, "k", None, pacer_shared::Tier::Free)
        .await
        .unwrap();
    for intruder in [&bob, &eve] {
        let req = test::TestRequest::delete()
            .uri(&format!("/api/keys/{}", ada_key.key_info.id))
            .insert_header(bearer(&jwt_for(&fx, intruder)))
            .to_request();
        let r = send(&app, req).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error_code(), "not_found");
    }
    let r = send(
        &app,
        test::TestRequest::get().uri("/api/keys/list").insert_header(bearer(&jwt_for(&fx, &eve))).to_request(),
    )
    .await;
    assert_eq!(r.body["keys"], json!([]));
    let req = test::TestRequest::delete()
        .uri("/api/keys/no-such-key")
        .insert_header(bearer(&jwt_for(&fx, &ada)))
        .to_request();
    assert_eq!(send(&app, req).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn key_routes_reject_bad_sessions_and_bad_input() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let jwt = jwt_for(&fx, &ada);
    let app = app!(fx);
    let create = |auth: Option<(&'static str, String)>, body: Value| {
        let mut req = test::TestRequest::post().uri("/api/keys/create").set_json(body);
        if let Some(h) = auth {
            req = req.insert_header(h);
        }
        req.to_request()
    };

    let expired = {
        let claims = Claims {
            sub: ada.id.to_string(),
            tid: ada.tenant_id.to_string(),
            exp: now() - 10,
            iat: now() - 3610,
            jti: "x".into(),
        };
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET))
            .unwrap()
    };
    let foreign = JwtKeys::from_secret(b"another-secret-another-secret-xx").issue(&ada.tenant_id, &ada.id).unwrap();
    for (auth, why) in [
        (None, "missing credentials"),
        (Some(bearer("not.a.jwt")), "invalid token"),
        (Some(bearer(&expired)), "token expired"),
        (Some(bearer(foreign.expose())), "invalid token"),
        (Some(("Authorization", format!("Basic {jwt}"))), "Bearer"),
    ] {
        let r = send(&app, create(auth, json!({"name": "x"}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(r.error_code(), "unauthorized");
        assert!(r.error_message().contains(why), "{why}: {:?}", r.body);
    }
    for path in ["/api/keys/list"] {
        assert_eq!(send(&app, test::TestRequest::get().uri(path).to_request()).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        send(&app, test::TestRequest::delete().uri("/api/keys/x").to_request()).await.status,
        StatusCode::UNAUTHORIZED
    );

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "n".repeat(101)}), "name"),
        (json!({"name": "ok", "tier": "gold"}), "tier"),
        (json!({"name": "ok", "description": "d".repeat(501)}), "description"),
        (json!({"description": "no name"}), "name"),
    ] {
        let r = send(&app, create(Some(bearer(&jwt)), body.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.error_code(), "invalid_input");
        assert!(r.error_message().contains(field), "{body}: {:?}", r.body);
    }
    let r = send(&app, create(Some(bearer(&jwt)), json!({"name": "n".repeat(100)}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn tenant_header_must_match_the_credentials() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let eve = user(&fx, "eve@example.com", Some("acme")).await;
    let (jwt, key) = (jwt_for(&fx, &ada), api_key(&fx, &ada).await);
    let app = app!(fx);
    let list = |tenant: &str| {
        test::TestRequest::get()
            .uri("/api/keys/list")
            .insert_header(bearer(&jwt))
            .insert_header(("X-Tenant-ID", tenant.to_string()))
            .to_request()
    };
    let me = |tenant: &str| {
        test::TestRequest::get()
            .uri("/api/me")
            .insert_header(("X-API-Key", key.clone()))
            .insert_header(("X-Tenant-ID", tenant.to_string()))
            .to_request()
    };
    for r in [
        send(&app, list(eve.tenant_id.as_str())).await,
        send(&app, me(eve.tenant_id.as_str())).await,
        send(&app, me("")).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.error_code(), "forbidden");
    }
    assert_eq!(send(&app, list(ada.tenant_id.as_str())).await.status, StatusCode::OK);
    assert_eq!(send(&app, me(ada.tenant_id.as_str())).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn me_identifies_the_key_and_counts_down() {
    let fx = fixture(limits(3, 30));
    let ada = user(&fx, "ada@example.com", None).await;
    let (key_a, key_b) = (api_key(&fx, &ada).await, api_key(&fx, &ada).await);
    let app = app!(fx);
    let me =
        |key: &str| test::TestRequest::get().uri("/api/me").insert_header(("X-API-Key", key.to_string())).to_request();
    let mut reset = 0;
    for remaining in [2, 1, 0] {
        let r = send(&app, me(&key_a)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.header_num("x-ratelimit-limit"), 3);
        assert_eq!(r.header_num("x-ratelimit-remaining"), remaining);
        reset = r.header_num("x-ratelimit-reset");
        assert!(reset > now());
        assert!(r.header("retry-after").is_none());
        assert_eq!(r.body["tenant_id"], ada.tenant_id.as_str());
        assert_eq!(r.body["user_id"], ada.id.as_str());
        assert_eq!(r.body["tier"], "free");
    }
    let r = send(&app, me(&key_a)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "rate_limited");
    assert!(r.error_message().contains("retry in"), "{:?}", r.body);
    assert_eq!((r.header_num("x-ratelimit-limit"), r.header_num("x-ratelimit-remaining")), (3, 0));
    let retry = r.header_num("retry-after");
    assert!((1..=20).contains(&retry), "{retry}");
    assert!(r.header_num("x-ratelimit-reset") >= reset);
    let b = send(&app, me(&key_b)).await;
    assert_eq!((b.status, b.header_num("x-ratelimit-remaining")), (StatusCode::OK, 2));

    let keys = accounts::list_keys(&fx.data.store, &ada.tenant_id, &ada.id).await.unwrap();
    assert!(keys.iter().all(|k| k.last_used_at.is_some()), "{keys:?}");
}

#[actix_web::test]
async fn me_rejects_missing_unknown_and_malformed_keys() {
    let fx = fixture(LimitSettings::default());
    let app = app!(fx);
    let unknown = format!("pk_live_{}", "a".repeat(40));
    for key in [None, Some(""), Some("pk_live_short"), Some(unknown.as_str())] {
        let mut req = test::TestRequest::get().uri("/api/me");
        if let Some(k) = key {
            req = req.insert_header(("X-API-Key", k));
        }
        let r = send(&app, req.to_request()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(r.error_code(), "unauthorized");
        assert!(r.header("x-ratelimit-limit").is_none());
    }
}

#[actix_web::test]
async fn oversize_bodies_are_413() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let jwt = jwt_for(&fx, &ada);
    let app = app!(fx);
    let huge = json!({"name": "x", "description": "d".repeat(1024 * 1024)}).to_string();
    for (uri, auth) in [("/api/auth/login", None), ("/api/keys/create", Some(bearer(&jwt)))] {
        let mut req = test::TestRequest::post()
            .uri(uri)
            .insert_header(("Content-Type", "application/json"))
            .set_payload(huge.clone());
        if let Some(h) = auth {
            req = req.insert_header(h);
        }
        let r = send(&app, req.to_request()).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert_eq!(r.error_code(), "payload_too_large");
    }
    let r = send(
        &app,
        test::TestRequest::post()
            .uri("/api/auth/login")
            .insert_header(("Content-Type", "text/plain"))
            .set_payload("x")
            .to_request(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_web::test]
async fn openapi_document_lists_routes_and_security() {
    let fx = fixture(LimitSettings::default());
    let app = app!(fx);
    let r = send(&app, test::TestRequest::get().uri("/api/openapi.json").to_request()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["openapi"], "3.1.0");
    for (path, method) in [
        ("/health", "get"),
        ("/api/openapi.json", "get"),
        ("/api/auth/login", "post"),
        ("/api/keys/create", "post"),
        ("/api/keys/list", "get"),
        ("/api/keys/{key_id}", "delete"),
        ("/api/me", "get"),
        ("/oauth/strava/authorize", "get"),
        ("/oauth/strava/callback", "get"),
    ] {
        assert!(r.body["paths"][path][method].is_object(), "{path} {method}");
    }
    let schemes = &r.body["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    assert!(r.body["components"]["schemas"]["KeyCreatedBody"].is_object());
    let params = r.body["paths"]["/api/me"]["get"]["parameters"].as_array().unwrap();
    assert!(params.iter().any(|p| p["name"] == "X-Tenant-ID" && p["in"] == "header"), "{params:?}");
}

#[actix_web::test]
async fn client_ip_ignores_forwarded_headers_unless_trusted() {
    let req = test::TestRequest::default()
        .peer_addr("10.1.2.3:4444".parse().unwrap())
        .insert_header(("X-Forwarded-For", "192.0.2.7"))
        .to_http_request();
    assert_eq!(super::ratelimit::client_ip(&req, false).to_string(), "10.1.2.3");
    assert_eq!(super::ratelimit::client_ip(&req, true).to_string(), "192.0.2.7");
    let bare = test::TestRequest::default().to_http_request();
    assert!(super::ratelimit::client_ip(&bare, false).is_unspecified());
}
