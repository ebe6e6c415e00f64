//! Finding 11: the callback response carrying a JWT is `no-store`, and every HTML page (login
//! link refusal, OAuth result pages, the web page) carries the page headers.

use reqwest::StatusCode;

use super::{ada_signed_in, assert_page_headers};
use crate::flows::{ATHLETE_A, JSON, begin, callback, consent};

const HTML: &str = "text/html,application/xhtml+xml";

#[test]
fn every_html_page_and_every_jwt_answer_carries_its_headers() {
    let (_d, web, _ada, jwt) = ada_signed_in();

    let r = web.send(web.get("/login?token=not-a-link"));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_page_headers(&r, "bad login link");

    let r = web.send(web.get("/oauth/strava/callback?state=forged&code=x").header("Accept", HTML));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_page_headers(&r, "failed callback");

    // The 404 page for an unknown path.
    let r = web.send(web.get("/no-such-page").header("Accept", HTML));
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_page_headers(&r, "404 page");

    for what in ["/", "/?again"] {
        let r = web.send(web.get(what));
        assert_page_headers(&r, what);
    }

    // The browser's own flow, JSON: the answer carries a JWT and must not be cached.
    let back = consent(&web, &begin(&web, &jwt), ATHLETE_A, "approve");
    let r = callback(&web, &back, JSON);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["access_token"].is_string(), "{}", r.text);
    assert_eq!(r.expect_header("cache-control"), "no-store");

    // Same, as a page that sets the session cookie.
    let back = consent(&web, &begin(&web, &jwt), ATHLETE_A, "approve");
    let r = callback(&web, &back, HTML);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("set-cookie").is_some_and(|c| c.starts_with("pacer_session=")));
    assert_page_headers(&r, "connected page");
}
