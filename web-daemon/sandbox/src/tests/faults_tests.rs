//! Rate limits and fault switches; the standalone server.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{FULL_SCOPE, config, s};
use crate::{SandboxConfig, SandboxStrava, serve};

fn refresh_form(token: &str) -> [(&'static str, String); 4] {
    [
        ("client_id", "pacer-sandbox".into()),
        ("client_secret", "sandbox-secret".into()),
        ("grant_type", "refresh_token".into()),
        ("refresh_token", token.to_owned()),
    ]
}

#[actix_web::test]
async fn configured_limit_gives_429_with_usage_headers() {
    let sb = SandboxStrava::new(SandboxConfig { limit_15min: 3, ..config() });
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    for used in 1..=3 {
        let reply = send!(app, req!(get, "/api/v3/athlete", &token));
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ratelimit-limit"), "3,2000");
        assert_eq!(reply.header("x-ratelimit-usage"), format!("{used},{used}"));
        assert_eq!(reply.header("x-readratelimit-usage"), format!("{used},{used}"));
    }
    let limited = send!(app, req!(get, "/api/v3/athlete", &token));
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        limited.json(),
        json!({"message": "Rate Limit Exceeded", "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}]})
    );
    assert_eq!((limited.header("x-ratelimit-limit"), limited.header("x-ratelimit-usage")), ("3,2000", "3,3"));
    assert_eq!(limited.header("x-readratelimit-limit"), "100,1000");

    let reset = send!(app, req!(post, "/_sandbox/reset"));
    assert_eq!(reset.json()["api_calls"], 0);
    let after_reset = send!(app, req!(get, "/api/v3/athlete", &token));
    assert_eq!((after_reset.status, after_reset.header("x-ratelimit-usage")), (StatusCode::OK, "1,1"));
}

#[actix_web::test]
async fn limit_switches_override_config_and_reads_count_separately() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let set = send!(app, req!(post, "/_sandbox/faults").set_json(json!({"limit_daily": 2, "read_limit_15min": 1})));
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(
        set.json()["limits"],
        json!({"limit_15min": 200, "limit_daily": 2, "read_limit_15min": 1, "read_limit_daily": 1000})
    );
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &token)).status, StatusCode::OK);
    let read_spent = send!(app, req!(get, "/api/v3/athlete", &token));
    assert_eq!(
        (read_spent.status, read_spent.header("x-readratelimit-limit")),
        (StatusCode::TOO_MANY_REQUESTS, "1,1000")
    );
    // A non-read request still has overall budget left: it reaches the handler (400: no body).
    let write = send!(app, req!(post, "/api/v3/uploads", &token));
    assert_eq!((write.status, write.header("x-ratelimit-usage")), (StatusCode::BAD_REQUEST, "2,2"));
    assert_eq!(write.header("x-readratelimit-usage"), "1,1");
}

#[actix_web::test]
async fn expired_tokens_get_401_until_refreshed() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let tokens = login!(app, 1001, FULL_SCOPE);
    let other = s(&login!(app, 1002, FULL_SCOPE), "/access_token");
    let access = s(&tokens, "/access_token");
    let set = send!(app, req!(post, "/_sandbox/faults").set_json(json!({"expire_access_tokens": 1001})));
    assert_eq!(set.status, StatusCode::OK);
    let expired = send!(app, req!(get, "/api/v3/athlete", &access));
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.json()["message"], "Authorization Error");
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &other)).status, StatusCode::OK, "other athletes unaffected");
    let refreshed = send!(app, req!(post, "/oauth/token").set_form(refresh_form(&s(&tokens, "/refresh_token"))));
    assert_eq!(refreshed.status, StatusCode::OK);
    let fresh = s(&refreshed.json(), "/access_token");
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &fresh)).json()["id"], 1001);
    let state = send!(app, req!(get, "/_sandbox/state")).json();
    assert_eq!(state["refresh_count"], 1);
    send!(app, req!(post, "/_sandbox/faults").set_json(json!({"expire_access_tokens": "all"})));
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &other)).status, StatusCode::UNAUTHORIZED);
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &fresh)).status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn fail_refresh_until_cleared() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let refresh = s(&login!(app, 1001, FULL_SCOPE), "/refresh_token");
    send!(app, req!(post, "/_sandbox/faults").set_json(json!({"fail_refresh": true})));
    let failed = send!(app, req!(post, "/oauth/token").set_form(refresh_form(&refresh)));
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        failed.json()["errors"][0],
        json!({"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"})
    );
    let state = send!(app, req!(post, "/_sandbox/faults").set_json(json!({"fail_refresh": false}))).json();
    assert_eq!((state["faults"]["fail_refresh"].as_bool(), state["refresh_count"].as_u64()), (Some(false), Some(0)));
    let ok = send!(app, req!(post, "/oauth/token").set_form(refresh_form(&refresh)));
    assert_eq!(ok.status, StatusCode::OK, "the failed attempt did not consume the token");
    assert_eq!(send!(app, req!(get, "/_sandbox/state")).json()["refresh_count"], 1);
}

#[actix_web::test]
async fn fail_next_then_recovery_and_latency() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let set = send!(app, req!(post, "/_sandbox/faults").set_json(json!({"fail_next": {"status": 503, "count": 2}})));
    assert_eq!(set.json()["faults"]["fail_next"], json!({"status": 503, "count": 2}));
    for _ in 0..2 {
        let failed = send!(app, req!(get, "/api/v3/athlete", &token));
        assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(failed.json()["message"], "Service Unavailable");
        assert!(!failed.header("x-ratelimit-usage").is_empty());
    }
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &token)).status, StatusCode::OK);
    send!(app, req!(post, "/_sandbox/faults").set_json(json!({"fail_next": {"status": 429, "count": 1}})));
    let limited = send!(app, req!(get, "/api/v3/athlete", &token));
    assert_eq!(
        (limited.status, limited.json()["message"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("Rate Limit Exceeded"))
    );

    send!(app, req!(post, "/_sandbox/faults").set_json(json!({"latency_ms": 120})));
    let started = Instant::now();
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &token)).status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(120));
    let state = send!(app, req!(get, "/_sandbox/state")).json();
    assert_eq!((state["api_calls"].as_u64(), state["faults"]["latency_ms"].as_u64()), (Some(5), Some(120)));
    assert_eq!(state["athletes"], json!([1001, 1002]));

    for bad in [
        json!({"fail_next": {"status": 404, "count": 1}}),
        json!({"expire_access_tokens": true}),
        json!({"unknown": 1}),
    ] {
        assert_eq!(send!(app, req!(post, "/_sandbox/faults").set_json(&bad)).status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let cleared = send!(app, req!(post, "/_sandbox/reset")).json();
    assert_eq!(
        cleared["faults"],
        json!({"fail_refresh": false, "fail_next": null, "latency_ms": 0, "limit_15min": null,
        "limit_daily": null, "read_limit_15min": null, "read_limit_daily": null})
    );
}

#[actix_web::test]
async fn standalone_server_serves_without_prefix_and_stops() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = actix_web::rt::spawn(serve(addr, SandboxConfig::default(), async move {
        let _ = stopped.await;
    }));
    let mut response = String::new();
    for _ in 0..50 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
            let _ = stream.write_all(b"GET /_sandbox/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
            let _ = stream.read_to_string(&mut response).await;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"athletes\":[1001,1002]"));
    let _ = stop.send(());
    let result = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "server stopped cleanly: {result:?}");
}

#[actix_web::test]
async fn admin_routes_need_the_token_and_faults_need_json() {
    let sb = SandboxStrava::new(SandboxConfig { admin_token: Some("t0k3n".into()), ..config() });
    let app = app!(sb);
    let body = r#"{"fail_refresh": true}"#;
    let token = ("x-sandbox-admin", "t0k3n");
    // What a cross-site form or `fetch(…, {mode: "no-cors"})` can send: text/plain, no header.
    let plain = send!(
        app,
        req!(post, "/_sandbox/faults")
            .insert_header(token)
            .insert_header(("content-type", "text/plain"))
            .set_payload(body)
    );
    assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let json_header = ("content-type", "application/json");
    for (name, reply) in [
        ("faults", send!(app, req!(post, "/_sandbox/faults").insert_header(json_header).set_payload(body))),
        (
            "faults, wrong token",
            send!(
                app,
                req!(post, "/_sandbox/faults")
                    .insert_header(("x-sandbox-admin", "t0k3m"))
                    .insert_header(json_header)
                    .set_payload(body)
            ),
        ),
        ("reset", send!(app, req!(post, "/_sandbox/reset"))),
        ("state", send!(app, req!(get, "/_sandbox/state"))),
    ] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name}");
    }
    let state = send!(app, req!(get, "/_sandbox/state").insert_header(token)).json();
    assert_eq!(state["faults"]["fail_refresh"], false, "nothing was switched");
    let set = send!(
        app,
        req!(post, "/_sandbox/faults")
            .insert_header(token)
            .insert_header(("content-type", "application/json; charset=utf-8"))
            .set_payload(body)
    );
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(set.json()["faults"]["fail_refresh"], true);
}
