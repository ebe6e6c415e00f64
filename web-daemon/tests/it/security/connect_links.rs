//! Finding 1: a connect link that is not bound to a browser (MCP `connect_provider`, authorize
//! with `Accept: application/json`) connects only for its owner: in the owner's session at once,
//! in another user's session never, and without a session only after the person confirms the
//! pacer account the page names (a POST with the one-time token and its cookie).

use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use super::{ada_signed_in, assert_page_headers};
use crate::fixture::{TestDaemon, Web};
use crate::flows::{
    ATHLETE_B, JSON, PASSWORD, accept_confirmation, confirm_token, consent, post_confirm, set_cookie, stored_tokens,
    token_rows,
};

const HTML: &str = "text/html,application/xhtml+xml";

/// Ada's unbound link: `GET /oauth/strava/authorize` with `Accept: application/json`.
fn ada_link(web: &Web, jwt: &str) -> Url {
    let r = web.send(web.get("/oauth/strava/authorize").bearer_auth(jwt).header("Accept", JSON));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Url::parse(r.json()["authorize_url"].as_str().expect("authorize_url")).expect("URL")
}

/// Opens the provider's redirect in a browser holding `session` (a `pacer_session` JWT).
fn open_callback(web: &Web, back: &Url, session: Option<&str>, accept: &str) -> crate::fixture::Reply {
    let mut req = web.get(back.as_str()).header("Accept", accept);
    if let Some(jwt) = session {
        req = req.header("Cookie", format!("pacer_session={jwt}"));
    }
    web.send(req)
}

fn ids(user: &Value) -> (String, String) {
    (user["tenant_id"].as_str().expect("tenant").to_string(), user["id"].as_str().expect("id").to_string())
}

fn bob(d: &TestDaemon, web: &Web) -> String {
    d.user_with_password("bob@example.com", Some("other"), PASSWORD);
    web.login("bob@example.com", PASSWORD)
}

#[test]
fn a_link_opened_in_another_users_session_is_refused() {
    let (d, web, ada, jwt) = ada_signed_in();
    let bob_jwt = bob(&d, &web);
    let (tenant, user) = ids(&ada);
    for accept in [HTML, JSON] {
        let back = consent(&web, &ada_link(&web, &jwt), ATHLETE_B, "approve");
        let r = open_callback(&web, &back, Some(&bob_jwt), accept);
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{accept}: {}", r.text);
        assert!(r.text.contains("another pacer account"), "{}", r.text);
        assert!(set_cookie(&r, "pacer_session").is_none(), "no session");
        assert_eq!(token_rows(d.home()), 0, "nothing stored");
        // The state is spent: not even the owner can use this callback now.
        let again = open_callback(&web, &back, Some(&jwt), JSON);
        assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.text);
    }
    assert!(stored_tokens(d.home(), &tenant, &user).is_none());
}

#[test]
fn a_link_opened_in_its_owners_session_connects_at_once() {
    let (d, web, ada, jwt) = ada_signed_in();
    let back = consent(&web, &ada_link(&web, &jwt), ATHLETE_B, "approve");
    let r = open_callback(&web, &back, Some(&jwt), JSON);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!({"connected": true, "provider": "strava", "athlete_id": ATHLETE_B}));
    assert!(set_cookie(&r, "pacer_session").is_none(), "an unbound link never opens a session");
    let (tenant, user) = ids(&ada);
    assert_eq!(stored_tokens(d.home(), &tenant, &user).and_then(|t| t.athlete_id), Some(ATHLETE_B as i64));
}

#[test]
fn a_link_opened_without_a_session_waits_for_a_confirmation_naming_the_account() {
    let (d, web, ada, jwt) = ada_signed_in();
    let (tenant, user) = ids(&ada);
    let stranger = Web::new(&d);

    // The page names Ada's account, carries the page headers and sets the confirmation cookie.
    let back = consent(&stranger, &ada_link(&web, &jwt), ATHLETE_B, "approve");
    let page = open_callback(&stranger, &back, None, HTML);
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_page_headers(&page, "confirmation page");
    assert!(page.text.contains("ada@example.com") && page.text.contains("method=\"post\""), "{}", page.text);
    assert!(!page.text.contains("Connected to"), "{}", page.text);
    let token = confirm_token(&page);
    let cookie = set_cookie(&page, "pacer_oauth_confirm").expect("confirmation cookie");
    assert_eq!(token_rows(d.home()), 0, "nothing stored before the confirmation");

    // Without the cookie, with another token, or in another user's session: refused, and the
    // genuine token is not spent by those attempts (except the session refusal, which takes it).
    let r = post_confirm(&stranger, &token, None, "accept", HTML);
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no cookie: {}", r.text);
    let r = post_confirm(&stranger, "forged", Some("forged"), "accept", JSON);
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "invalid_state"), "{}", r.text);
    assert_eq!(token_rows(d.home()), 0);

    // Accepting connects Ada (and opens no session for the stranger); the token works once.
    let r = post_confirm(&stranger, &token, Some(&cookie), "accept", HTML);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_page_headers(&r, "confirmed page");
    assert!(r.text.contains("Connected to Strava"), "{}", r.text);
    assert!(set_cookie(&r, "pacer_session").is_none(), "no session for whoever confirmed");
    assert_eq!(stored_tokens(d.home(), &tenant, &user).and_then(|t| t.athlete_id), Some(ATHLETE_B as i64));
    let r = post_confirm(&stranger, &token, Some(&cookie), "accept", JSON);
    assert_eq!(r.status, StatusCode::FORBIDDEN, "replay: {}", r.text);

    // Cancel drops the pending connection.
    open_db_reset(&d);
    let back = consent(&stranger, &ada_link(&web, &jwt), ATHLETE_B, "approve");
    let r = open_callback(&stranger, &back, None, JSON);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.json()["account"], "ada@example.com");
    let (token, cookie) = (confirm_token(&r), set_cookie(&r, "pacer_oauth_confirm").expect("cookie"));
    let r = post_confirm(&stranger, &token, Some(&cookie), "cancel", JSON);
    assert_eq!((r.status, r.json()["connected"].as_bool()), (StatusCode::OK, Some(false)), "{}", r.text);
    assert_eq!(post_confirm(&stranger, &token, Some(&cookie), "accept", JSON).status, StatusCode::FORBIDDEN);
    assert_eq!(token_rows(d.home()), 0, "a cancelled link stores nothing");

    // Confirming while signed in as someone else is refused too.
    let bob_jwt = bob(&d, &web);
    let back = consent(&stranger, &ada_link(&web, &jwt), ATHLETE_B, "approve");
    let r = open_callback(&stranger, &back, None, JSON);
    let (token, cookie) = (confirm_token(&r), set_cookie(&r, "pacer_oauth_confirm").expect("cookie"));
    let r = stranger.send(
        stranger
            .post("/oauth/strava/confirm")
            .header("Accept", JSON)
            .header("Cookie", format!("pacer_oauth_confirm={cookie}; pacer_session={bob_jwt}"))
            .form(&[("token", token.as_str()), ("decision", "accept")]),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(token_rows(d.home()), 0);

    // And the JSON helper path the other tests use works end to end.
    let back = consent(&stranger, &ada_link(&web, &jwt), ATHLETE_B, "approve");
    let r = accept_confirmation(&stranger, &open_callback(&stranger, &back, None, JSON));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(token_rows(d.home()), 1);
}

fn open_db_reset(d: &TestDaemon) {
    crate::fixture::open_db(d.home()).execute("DELETE FROM provider_tokens", []).expect("reset");
}
