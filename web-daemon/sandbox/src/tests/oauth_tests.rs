//! OAuth: consent page, redirects, code and refresh grants, client auth, deauthorization.

use actix_web::http::StatusCode;
use base64::Engine as _;
use serde_json::json;

use super::{FULL_SCOPE, config, query_value, s};
use crate::SandboxStrava;

#[actix_web::test]
async fn consent_page_escapes_and_offers_athletes() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let page = send!(
        app,
        req!(
            get,
            "/oauth/authorize?client_id=pacer-sandbox&redirect_uri=http%3A%2F%2Flocalhost%2Fcb%3Fa%3D1%26b%3D2&response_type=code&scope=read,activity:read_all&state=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E&approval_prompt=force"
        )
    );
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("value=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\""), "{html}");
    assert!(!html.contains("<script>"));
    assert!(html.contains("value=\"http://localhost/cb?a=1&amp;b=2\""));
    assert!(html.contains("<form method=\"post\" action=\"authorize\">"));
    assert!(html.contains("<option value=\"1001\" selected>"));
    assert!(html.contains("<option value=\"1002\">"));
    assert!(html.contains("name=\"decision\" value=\"approve\">Authorize</button>"));
    assert!(html.contains("name=\"approval_prompt\" value=\"force\""));
}

#[actix_web::test]
async fn authorize_rejects_bad_requests_with_faults() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    for (query, field) in [
        ("client_id=nope&redirect_uri=http://x/cb&response_type=code", "client_id"),
        ("client_id=pacer-sandbox&response_type=code", "redirect_uri"),
        ("client_id=pacer-sandbox&redirect_uri=http://x/cb&response_type=token", "response_type"),
        ("client_id=pacer-sandbox&redirect_uri=http://x/cb&response_type=code&scope=admin", "scope"),
    ] {
        let reply = send!(app, req!(get, format!("/oauth/authorize?{query}")));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            reply.json(),
            json!({"message": "Bad Request", "errors": [{"resource": "Application", "field": field, "code": "invalid"}]})
        );
    }
}

#[actix_web::test]
async fn code_flow_is_single_use_and_refresh_rotates() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let consent = send!(
        app,
        req!(post, "/oauth/authorize").set_form([
            ("client_id", "pacer-sandbox"),
            ("redirect_uri", "https://app.example/cb?tenant=7"),
            ("response_type", "code"),
            ("scope", "activity:read_all"),
            ("state", "st&1"),
            ("athlete_id", "1002"),
            ("decision", "approve"),
        ])
    );
    assert_eq!(consent.status, StatusCode::FOUND);
    let location = consent.header("location");
    assert!(location.starts_with("https://app.example/cb?tenant=7&"), "{location}");
    assert_eq!(query_value(location, "state"), "st&1");
    assert_eq!(query_value(location, "scope"), "read,activity:read_all");
    let code = query_value(location, "code");
    assert!(code.len() >= 32);

    let exchange = json!({"client_id": "pacer-sandbox", "client_secret": "sandbox-secret",
        "grant_type": "authorization_code", "code": code});
    let first = send!(app, req!(post, "/oauth/token").set_json(&exchange));
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let tokens = first.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 21_600);
    let expected_expiry = chrono::Utc::now().timestamp() + 21_600;
    assert!((tokens["expires_at"].as_i64().unwrap_or_default() - expected_expiry).abs() <= 2);
    assert_eq!(tokens["athlete"]["id"], 1002);
    assert_eq!(tokens["athlete"]["firstname"], "Sam");
    let (access, refresh) = (s(&tokens, "/access_token"), s(&tokens, "/refresh_token"));
    assert!(access.len() >= 32 && refresh.len() >= 32 && access != refresh);

    let again = send!(app, req!(post, "/oauth/token").set_json(&exchange));
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["errors"][0], json!({"resource": "AuthorizationCode", "field": "code", "code": "invalid"}));

    let refresh_form = |token: &str| {
        req!(post, "/oauth/token").set_form([
            ("client_id", "pacer-sandbox"),
            ("client_secret", "sandbox-secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
        ])
    };
    let rotated = send!(app, refresh_form(&refresh));
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text());
    let rotated = rotated.json();
    assert!(rotated.get("athlete").is_none());
    let (access2, refresh2) = (s(&rotated, "/access_token"), s(&rotated, "/refresh_token"));
    assert!(access2 != access && refresh2 != refresh);

    let stale = send!(app, refresh_form(&refresh));
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        stale.json(),
        json!({"message": "Bad Request", "errors": [{"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}]})
    );
    for token in [&access, &access2] {
        let me = send!(app, req!(get, "/api/v3/athlete", token));
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["id"], 1002);
    }
    let state = send!(app, req!(get, "/_sandbox/state")).json();
    assert_eq!((state["refresh_count"].as_u64(), state["token_requests"].as_u64()), (Some(1), Some(4)));
}

#[actix_web::test]
async fn deny_redirects_with_access_denied() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let reply = send!(
        app,
        req!(post, "/oauth/authorize").set_form([
            ("client_id", "pacer-sandbox"),
            ("redirect_uri", "http://localhost/cb"),
            ("response_type", "code"),
            ("state", "xyz"),
            ("decision", "deny"),
        ])
    );
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.header("location"), "http://localhost/cb?error=access_denied&state=xyz");
}

#[actix_web::test]
async fn token_endpoint_checks_the_client() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    // Strava documents the token endpoint both at /oauth/token and /api/v3/oauth/token.
    for (path, id, secret, field) in [
        ("/oauth/token", "pacer-sandbox", "wrong", "client_secret"),
        ("/api/v3/oauth/token", "other", "sandbox-secret", "client_id"),
    ] {
        let reply = send!(
            app,
            req!(post, path).set_form([
                ("client_id", id),
                ("client_secret", secret),
                ("grant_type", "refresh_token"),
                ("refresh_token", "x")
            ])
        );
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json()["errors"][0], json!({"resource": "Application", "field": field, "code": "invalid"}));
    }
    // HTTP Basic client authentication (what generic OAuth clients send) is accepted too.
    let consent = send!(
        app,
        req!(post, "/oauth/authorize").set_form([
            ("client_id", "pacer-sandbox"),
            ("redirect_uri", "http://localhost/cb"),
            ("response_type", "code"),
            ("decision", "approve"),
        ])
    );
    let code = query_value(consent.header("location"), "code");
    let basic = base64::engine::general_purpose::STANDARD.encode("pacer-sandbox:sandbox-secret");
    let reply = send!(
        app,
        req!(post, "/oauth/token")
            .insert_header(("Authorization", format!("Basic {basic}")))
            .set_form([("grant_type", "authorization_code"), ("code", code.as_str())])
    );
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["athlete"]["id"], 1001, "first athlete is the default");
}

#[actix_web::test]
async fn deauthorize_revokes_every_token_of_the_athlete() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let tokens = login!(app, 1001, FULL_SCOPE);
    let (access, refresh) = (s(&tokens, "/access_token"), s(&tokens, "/refresh_token"));
    let reply = send!(app, req!(post, "/oauth/deauthorize").set_form([("access_token", access.as_str())]));
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["access_token"], access);
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &access)).status, StatusCode::UNAUTHORIZED);
    let refreshed = send!(
        app,
        req!(post, "/oauth/token").set_form([
            ("client_id", "pacer-sandbox"),
            ("client_secret", "sandbox-secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
    );
    assert_eq!(refreshed.status, StatusCode::BAD_REQUEST);
    let again = send!(app, req!(post, "/oauth/deauthorize").set_form([("access_token", access.as_str())]));
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn consent_redirects_only_to_registered_uris() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let consent = |redirect: &'static str| {
        req!(post, "/oauth/authorize").set_form([
            ("client_id", "pacer-sandbox"),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("state", "s"),
            ("decision", "approve"),
        ])
    };
    for evil in
        ["https://evil.example/cb", "http://localhost/cb/../steal", "http://localhost:9/cb", "javascript:alert(1)"]
    {
        let r = send!(app, consent(evil));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{evil}");
        assert!(r.headers.get("location").is_none(), "{evil}: no code may leave");
        assert!(r.text().contains("redirect_uri"), "{evil}: {}", r.text());
    }
    assert_eq!(send!(app, consent("http://localhost/cb?x=1")).status, StatusCode::FOUND, "query is not compared");
    sb.register_redirect_uri("https://club.example/oauth/strava/callback");
    assert_eq!(send!(app, consent("https://club.example/oauth/strava/callback")).status, StatusCode::FOUND);
}
