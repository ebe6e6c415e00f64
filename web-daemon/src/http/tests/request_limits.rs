//! Body caps (the client address used for per-IP limits is tested in `http/client_ip.rs`).

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::json;

use super::{LimitSettings, bearer, fixture, jwt_for, send, user};

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
