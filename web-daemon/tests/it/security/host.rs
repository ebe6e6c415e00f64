//! Finding 16: the `Host` check on every route and on `/mcp/ws` (with `Origin` checked on the
//! WebSocket), JWT `nbf`, and `/a2a`'s 413 in the JSON error shape.

use reqwest::StatusCode;
use serde_json::Value;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use crate::fixture::{Options, TestDaemon, Web};
use crate::flows::JWT_SECRET;

/// The status and JSON body of a WebSocket upgrade to `/mcp/ws` with `key` and `origin`.
async fn upgrade(url: &str, key: &str, origin: Option<&str>, host: Option<&str>) -> (u16, Value) {
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert("X-API-Key", key.parse().expect("header"));
    if let Some(o) = origin {
        req.headers_mut().insert("Origin", o.parse().expect("header"));
    }
    if let Some(h) = host {
        req.headers_mut().insert("Host", h.parse().expect("header"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_ws, res)) => (res.status().as_u16(), Value::Null),
        Err(tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
            (res.status().as_u16(), body)
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[test]
fn every_route_checks_host_and_the_websocket_checks_origin() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    let (_user, key) = d.user_with_key("host@example.com", None, "free");
    let port = d.http_url.rsplit(':').next().expect("port").to_string();

    for path in ["/health", "/api/me", "/", "/api/openapi.json", "/a2a/agents/discover"] {
        let r = web.send(web.get(path).header("Host", "rebound.example").header("X-API-Key", &key));
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        assert_eq!(r.error_code(), "forbidden", "{path}: the JSON error shape: {}", r.text);
        let ok = web.send(web.get(path).header("Host", format!("localhost:{port}")).header("X-API-Key", &key));
        assert!(ok.status.is_success(), "{path} by its own name: {} {}", ok.status, ok.text);
    }

    let ws = format!("{}/mcp/ws", d.http_url.replacen("http://", "ws://", 1));
    web.block_on(async {
        let (status, body) = upgrade(&ws, &key, Some("https://evil.example"), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
        let (status, body) = upgrade(&ws, &key, Some("null"), None).await;
        assert_eq!(status, 403, "an opaque origin: {body}");
        let (status, body) = upgrade(&ws, &key, None, Some("rebound.example")).await;
        assert_eq!(status, 403, "a foreign Host on the upgrade: {body}");
        let (status, _) = upgrade(&ws, &key, Some(&d.http_url), None).await;
        assert_eq!(status, 101, "the daemon's own page may connect");
        let (status, _) = upgrade(&ws, &key, None, None).await;
        assert_eq!(status, 101, "clients without Origin (agents) may connect");
    });
}

#[test]
fn a_jwt_before_its_nbf_is_refused_and_a2a_413_is_json() {
    let env = vec![("PACER_JWT_SECRET".to_string(), JWT_SECRET.to_string())];
    let d = TestDaemon::start_with(Options { env, ..Default::default() });
    let web = Web::new(&d);
    let user = d.user_with_password("nbf@example.com", None, crate::flows::PASSWORD);
    let (_u, key) = d.user_with_key("a2a@example.com", None, "free");

    let now = chrono::Utc::now().timestamp();
    let claims = pacerd::auth::jwt::Claims {
        sub: user["id"].as_str().expect("id").into(),
        tid: user["tenant_id"].as_str().expect("tenant").into(),
        iat: now,
        nbf: Some(now + 3000),
        exp: now + 3600,
        jti: "nbf".into(),
    };
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("sign");
    let r = web.send(web.get("/api/keys/list").bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert!(r.error_message().contains("not valid yet"), "{}", r.text);
    let fresh = web.login("nbf@example.com", crate::flows::PASSWORD);
    assert_eq!(web.send(web.get("/api/keys/list").bearer_auth(&fresh)).status, StatusCode::OK);

    let big = "x".repeat(100 * 1024);
    let r = web.send(web.post("/a2a").header("X-API-Key", &key).header("Content-Type", "application/json").body(big));
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.error_code(), "payload_too_large", "{}", r.text);
}
