//! The web page (`/`, its assets) and the JSON routes it uses.

use reqwest::{Method, StatusCode};

use super::demo;

#[test]
fn web_page_signs_in_and_manages_the_connection() {
    let demo = demo();

    let r = demo.web.send(demo.web.req(Method::GET, "/"));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.expect_header("content-type").starts_with("text/html"));
    assert!(r.text.contains("id=\"login-form\""), "{}", r.text);
    assert!(r.expect_header("content-security-policy").contains("default-src 'none'"));
    assert_eq!(r.expect_header("cache-control"), "no-store");
    for (path, ty) in [("/static/pacer.css", "text/css"), ("/static/pacer.js", "text/javascript")] {
        let r = demo.web.send(demo.web.req(Method::GET, path));
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.expect_header("content-type").starts_with(ty), "{path}");
        assert!(r.text.len() > 500, "{path}");
    }
    // A stale or forged cookie shows the form too.
    let r = demo.web.send(demo.web.req(Method::GET, "/").header("Cookie", "pacer_session=forged"));
    assert!(r.text.contains("id=\"login-form\""));

    let cookie = demo.login_cookie();
    let r = demo.web.send(demo.web.req(Method::GET, "/").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("id=\"login-form\""), "{}", r.text);
    assert!(r.text.contains(&demo.email), "the page names the user");
    assert!(r.text.contains("API keys") && r.text.contains("Connect Strava"));
    assert!(r.text.contains(&format!("{}/mcp", demo.d.http_url)));
    assert!(!r.text.contains("{{"), "unfilled placeholder");

    // The JSON the page uses.
    let r = demo.web.send(demo.web.req(Method::GET, "/api/connection"));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");
    let r = demo.web.send(demo.web.req(Method::GET, "/api/connection").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = r.json();
    assert_eq!(c["connected"], true, "{c}");
    assert!(c["athlete_id"].as_u64().is_some(), "{c}");
    assert!(c["scopes"].as_array().is_some_and(|s| !s.is_empty()), "{c}");
    assert!(c["expires_at"].as_str().is_some_and(|s| s.ends_with('Z')), "{c}");
    assert!(!r.text.contains("token\""), "no token in {c}");
    let r = demo.web.send(demo.web.req(Method::GET, "/api/keys/list").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.json()["keys"].as_array().unwrap().is_empty());

    // Connect Strava: the browser follows a redirect to the provider, authenticated by the cookie.
    let r = demo.web.send(demo.web.req(Method::GET, "/oauth/strava/authorize").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
    assert!(r.expect_header("location").contains("/oauth/authorize"), "{}", r.expect_header("location"));

    let r = demo.web.send(demo.web.req(Method::DELETE, "/api/connection").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["was_connected"], true);
    let r = demo.web.send(demo.web.req(Method::GET, "/api/connection").header("Cookie", &cookie));
    assert_eq!(r.json()["connected"], false, "{}", r.text);
    assert!(r.json()["athlete_id"].is_null());

    let r = demo.web.send(demo.web.req(Method::POST, "/api/auth/logout").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let set = r.expect_header("set-cookie");
    assert!(set.starts_with("pacer_session=;") && set.contains("Max-Age=0"), "{set}");

    let r = demo.web.send(demo.web.req(Method::GET, "/api/openapi.json"));
    let doc = r.json();
    for (path, method) in [
        ("/mcp/ws", "get"),
        ("/mcp", "post"),
        ("/", "get"),
        ("/static/pacer.css", "get"),
        ("/static/pacer.js", "get"),
        ("/api/connection", "get"),
        ("/api/connection", "delete"),
        ("/api/auth/logout", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{path} {method} missing from OpenAPI");
    }
}
