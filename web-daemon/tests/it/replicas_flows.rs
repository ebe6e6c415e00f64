//! The two browser flows that wait for a person, across two real `pacerd serve` replicas on one
//! PostgreSQL database (the deployment of [`crate::replicas`]): each step may reach either replica,
//! because both flows are held in the store (`store::pending_flows`), not in a replica's memory.
//!
//! Needs `PACER_TEST_POSTGRES_URL` and `PACER_TEST_REDIS_URL` (`scripts/test` starts both).

use reqwest::StatusCode;
use serde_json::json;

use crate::crash::sandbox_with_ttl;
use crate::fixture::Web;
use crate::flows::{ATHLETE_B, JSON, confirm_token, consent, post_confirm, set_cookie};
use crate::mcp_auth::{Authorized, EMAIL, OAuthClient, REDIRECT, access, call_tool, pkce};
use crate::replicas::{PASSWORD, deployment, mcp_call, rt};

/// An MCP authorization opened on A (`GET /oauth/authorize`) is signed in to and allowed on B
/// (the forms posted to B with A's request cookie); the request is then spent on A too, and the
/// code B issued is exchanged at A's token endpoint for a token A serves.
#[test]
fn an_mcp_authorization_opened_on_one_replica_is_decided_on_the_other() {
    let dep = deployment(None);
    dep.a.user_with_password(EMAIL, None, PASSWORD);
    let (web_a, web_b) = (Web::new(&dep.a), Web::new(&dep.b));
    let client = OAuthClient::register(&web_a);
    let (verifier, challenge) = pkce();
    let page = client.authorize_request(&challenge, "activities:read", &[]);
    assert_eq!(page.status, StatusCode::OK, "A shows the sign-in form: {}", page.text);
    assert!(page.text.contains("Sign in"), "{}", page.text);
    let request = set_cookie(&page, "pacer_authz").expect("pacer_authz cookie");

    let signed_in =
        web_b.send(web_b.post("/oauth/authorize").header("Cookie", format!("pacer_authz={request}")).form(&[
            ("request", request.as_str()),
            ("action", "sign_in"),
            ("email", EMAIL),
            ("password", PASSWORD),
        ]));
    assert_eq!(signed_in.status, StatusCode::OK, "B finds A's request and signs in: {}", signed_in.text);
    assert!(
        signed_in.text.contains("Test Assistant") && signed_in.text.contains("activities:read"),
        "{}",
        signed_in.text
    );
    let session = set_cookie(&signed_in, "pacer_session").expect("session cookie");
    let allow = |web: &Web| {
        web.send(
            web.post("/oauth/authorize")
                .header("Cookie", format!("pacer_authz={request}; pacer_session={session}"))
                .form(&[("request", request.as_str()), ("action", "allow")]),
        )
    };
    let decided = allow(&web_b);
    let location = decided.location();
    assert!(location.as_str().starts_with(REDIRECT), "{location}");
    let q: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q.get("state").map(String::as_str), Some("st-123"), "{location}");
    let code = q.get("code").unwrap_or_else(|| panic!("a code: {location}")).clone();
    let again = allow(&web_a);
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "the decision was taken once, for A too: {}", again.text);

    let tokens = client.exchange(&Authorized { code, verifier }, &[]);
    assert_eq!(tokens.status, StatusCode::OK, "A exchanges the code B issued: {}", tokens.text);
    let r = call_tool(&web_a, access(&tokens.json()), "get_connection_status", json!({}));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("\"connected\""), "{}", r.text);
}

/// An unbound connect link whose provider callback lands on A (no session: A asks which pacer
/// account to connect) is confirmed by a POST to B with A's token and cookie: B opens the sealed
/// provider code, exchanges it and stores the tokens, the token is spent for A too, and A serves
/// the account.
#[test]
fn a_connect_link_called_back_on_one_replica_is_confirmed_on_the_other() {
    let (strava, strava_url) = sandbox_with_ttl(6 * 3600);
    let dep = deployment(Some(&strava_url));
    let email = "ida@example.com";
    dep.a.user_with_password(email, None, PASSWORD);
    strava.register_redirect_uri(&format!("{}/oauth/strava/callback", dep.a.http_url));
    let (web_a, web_b) = (Web::new(&dep.a), Web::new(&dep.b));
    let jwt = web_a.login(email, PASSWORD);
    let link = web_a.send(web_a.get("/oauth/strava/authorize").bearer_auth(&jwt).header("Accept", JSON));
    assert_eq!(link.status, StatusCode::OK, "{}", link.text);
    let link = url::Url::parse(link.json()["authorize_url"].as_str().expect("authorize_url")).expect("URL");

    // Someone opens the link: the provider's consent, then its callback on A, without a session.
    let stranger = Web::new(&dep.a);
    let back = consent(&stranger, &link, ATHLETE_B, "approve");
    let asked = stranger.send(stranger.get(back.as_str()).header("Accept", JSON));
    assert_eq!(asked.status, StatusCode::ACCEPTED, "A asks for a confirmation: {}", asked.text);
    assert_eq!(asked.json()["account"], email, "{}", asked.text);
    let (token, cookie) = (confirm_token(&asked), set_cookie(&asked, "pacer_oauth_confirm").expect("cookie"));

    let confirmed = post_confirm(&web_b, &token, Some(&cookie), "accept", JSON);
    assert_eq!(confirmed.status, StatusCode::OK, "B confirms A's pending connection: {}", confirmed.text);
    assert_eq!(confirmed.json(), json!({"connected": true, "provider": "strava", "athlete_id": ATHLETE_B}));
    let replay = post_confirm(&web_a, &token, Some(&cookie), "accept", JSON);
    assert_eq!(replay.status, StatusCode::FORBIDDEN, "the token is spent for A too: {}", replay.text);

    let key = dep.a.cli_json(&["keys", "create", "--user", email, "--name", "t", "--tier", "premium"]);
    let key = key["api_key"].as_str().expect("api_key").to_owned();
    rt().block_on(async {
        let answer = mcp_call(&dep.a, &key, "get_athlete").await;
        assert_eq!(answer["result"]["structuredContent"]["id"], ATHLETE_B, "A serves the account: {answer}");
    });
}
