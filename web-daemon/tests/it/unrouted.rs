//! What the daemon answers outside its routes: 405 with `Allow` for another method on a
//! documented path, a JSON 404 for API clients and an HTML 404 for browsers, the favicon, and
//! the declared 415 of a JSON route sent another content type.

use reqwest::{Method, StatusCode};

use crate::fixture::{TestDaemon, Web};

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[test]
fn another_method_on_a_documented_path_is_405_with_allow() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    for (method, path, allow) in [
        (Method::GET, "/api/auth/login", "POST"),
        (Method::PUT, "/api/connection", "DELETE, GET"),
        (Method::from_bytes(b"TRACE").unwrap(), "/", "GET"),
        (Method::GET, "/api/keys/create", "POST"),
        (Method::POST, "/a2a/agents/some-agent", "DELETE"),
    ] {
        let r = web.send(web.req(method.clone(), path));
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {}", r.text);
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(r.error_code(), "method_not_allowed", "{method} {path}");
    }
}

#[test]
fn unknown_paths_are_json_404_for_api_clients_and_a_page_for_browsers() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    let r = web.send(web.get("/api/no-such-thing"));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/json")), "{:?}", r.headers);
    assert_eq!(r.error_code(), "not_found");

    let r = web.send(web.get("/no-such-page").header("Accept", HTML));
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{:?}", r.headers);
    assert!(r.header("content-security-policy").is_some(), "page headers: {:?}", r.headers);
    assert!(r.text.contains("Not found"), "{}", r.text);
}

#[test]
fn favicon_is_served() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    let r = web.send(web.get("/favicon.ico"));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    assert!(r.text.starts_with("<svg"), "{}", r.text);
}

#[test]
fn json_routes_answer_415_for_another_content_type_as_documented() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    let r = web.send(web.post("/api/auth/login").header("Content-Type", "text/plain").body("{}"));
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(r.error_code(), "unsupported_media_type");
    let doc = web.send(web.get("/api/openapi.json")).json();
    assert!(doc["paths"]["/api/auth/login"]["post"]["responses"]["415"].is_object(), "415 documented");
}
