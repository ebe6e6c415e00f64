//! `POST /api/auth/login`: the JWT and session cookie, uniform failures, the per-IP limit.

use std::net::SocketAddr;

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::json;

use super::{LimitSettings, PASSWORD, fixture, limits, now, send, user};
use crate::accounts;

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
