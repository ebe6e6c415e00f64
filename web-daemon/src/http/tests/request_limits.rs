//! Body caps and the client address used for per-IP limits.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::json;

use super::{LimitSettings, bearer, fixture, jwt_for, send, user};
use crate::http::ratelimit;

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
async fn client_ip_ignores_forwarded_headers_unless_trusted() {
    let req = test::TestRequest::default()
        .peer_addr("10.1.2.3:4444".parse().unwrap())
        .insert_header(("X-Forwarded-For", "192.0.2.7"))
        .to_http_request();
    assert_eq!(ratelimit::client_ip(&req, false).to_string(), "10.1.2.3");
    assert_eq!(ratelimit::client_ip(&req, true).to_string(), "192.0.2.7");
    let bare = test::TestRequest::default().to_http_request();
    assert!(ratelimit::client_ip(&bare, false).is_unspecified());
}
