//! `GET /api/openapi.json`.

use actix_web::http::StatusCode;
use actix_web::test;

use super::{LimitSettings, fixture, send};

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
        ("/oauth/{provider}/authorize", "get"),
        ("/oauth/{provider}/callback", "get"),
        ("/api/import", "post"),
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
