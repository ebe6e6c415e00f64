//! Every refusal of the authorization and token endpoints.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::fixture::Web;

#[test]
fn a_replayed_code_is_refused_and_revokes_the_tokens_it_gave() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let a = client.authorize("activities:read");
    let first = client.exchange(&a, &[]);
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let replay = client.exchange(&a, &[]);
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&replay), "invalid_grant");
    let t = first.json();
    assert_eq!(call_tool(&web, access(&t), "get_connection_status", json!({})).status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&client.refresh(refresh_of(&t))), "invalid_grant");
}

#[test]
fn a_wrong_verifier_spends_the_code() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let a = client.authorize("activities:read");
    let (other_verifier, _) = pkce();
    let wrong = client.exchange(&a, &[("code_verifier", &other_verifier)]);
    assert_eq!(oauth_error(&wrong), "invalid_grant", "{}", wrong.text);
    assert!(wrong.text.contains("code_verifier"), "{}", wrong.text);
    let missing = client.exchange(&client.authorize("activities:read"), &[("code_verifier", "")]);
    assert_eq!(oauth_error(&missing), "invalid_request", "{}", missing.text);
    // The code worked once, even though that once failed.
    assert_eq!(oauth_error(&client.exchange(&a, &[])), "invalid_grant");
}

#[test]
fn redirect_uris_must_match_exactly() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let (_, challenge) = pkce();
    for uri in ["http://127.0.0.1:9/callback/", "http://127.0.0.1:9/other", "https://evil.example/callback"] {
        let page = client.authorize_request(&challenge, "activities:read", &[("redirect_uri", uri)]);
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(page.header("location").is_none(), "never redirect to an unregistered URI");
        assert!(page.text.contains("redirect_uri"), "{}", page.text);
    }
    let a = client.authorize("activities:read");
    let wrong = client.exchange(&a, &[("redirect_uri", "http://127.0.0.1:9/other")]);
    assert_eq!(oauth_error(&wrong), "invalid_grant");
    assert!(wrong.text.contains("redirect_uri"), "{}", wrong.text);
    // Registration refuses redirect URIs that are neither https nor loopback http.
    let reg = web.send(web.post("/oauth/register").json(&json!({"redirect_uris": ["http://evil.example/cb"]})));
    assert_eq!(reg.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&reg), "invalid_redirect_uri");
    let reg = web.send(web.post("/oauth/register").json(&json!({"client_name": "no redirect"})));
    assert_eq!(oauth_error(&reg), "invalid_client_metadata", "{}", reg.text);
    let token = web.send(web.post("/oauth/token").form(&[("code", "x")]));
    assert_eq!(oauth_error(&token), "invalid_request", "{}", token.text);
    let token =
        web.send(web.post("/oauth/token").form(&[("grant_type", "password"), ("client_id", &client.client_id)]));
    assert_eq!(oauth_error(&token), "unsupported_grant_type", "{}", token.text);
}

#[test]
fn the_resource_is_required_and_must_be_pacers_mcp_url() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let (_, challenge) = pkce();
    for resource in ["", "https://other.example/mcp"] {
        let r = client.authorize_request(&challenge, "activities:read", &[("resource", resource)]);
        let q: std::collections::HashMap<String, String> = r.location().query_pairs().into_owned().collect();
        assert_eq!(q.get("error").map(String::as_str), Some("invalid_target"), "{resource:?}");
        assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
    }
    let a = client.authorize("activities:read");
    let other = client.exchange(&a, &[("resource", "https://other.example/mcp")]);
    assert_eq!(oauth_error(&other), "invalid_target", "{}", other.text);
    let t = client.tokens("activities:read");
    let r = web.send(web.post("/oauth/token").form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_of(&t)),
        ("client_id", &client.client_id),
        ("resource", "https://other.example/mcp"),
    ]));
    assert_eq!(oauth_error(&r), "invalid_target", "{}", r.text);
}

#[test]
fn pkce_s256_is_required_and_scopes_are_checked() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let (verifier, challenge) = pkce();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("code_challenge", "")], "invalid_request"),
        (&[("code_challenge_method", "plain"), ("code_challenge", &verifier)], "invalid_request"),
        (&[("code_challenge_method", "")], "invalid_request"),
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("scope", "activities:read admin")], "invalid_scope"),
    ];
    for (overrides, error) in cases {
        let r = client.authorize_request(&challenge, "activities:read", overrides);
        let q: std::collections::HashMap<String, String> = r.location().query_pairs().into_owned().collect();
        assert_eq!(q.get("error").map(String::as_str), Some(error), "{overrides:?}");
    }
    let unknown = client.authorize_request(&challenge, "activities:read", &[("client_id", "pacer_client_nope")]);
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.header("location").is_none());
}

#[test]
fn the_forms_need_the_browsers_request_cookie_and_a_session() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let (_, challenge) = pkce();
    let page = client.authorize_request(&challenge, "activities:read", &[]);
    let request = set_cookie(&page, "pacer_authz").expect("cookie");
    assert!(page.expect_header("set-cookie").contains("SameSite=Strict"));
    // No cookie (a cross-site post cannot send it): refused.
    let forged = web.send(web.post("/oauth/authorize").form(&[
        ("request", request.as_str()),
        ("action", "sign_in"),
        ("email", EMAIL),
        ("password", PASSWORD),
    ]));
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.text);
    // Allow without a session: the sign-in form again, no code.
    let unsigned = web.send(
        web.post("/oauth/authorize")
            .header("Cookie", format!("pacer_authz={request}"))
            .form(&[("request", request.as_str()), ("action", "allow")]),
    );
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    assert!(unsigned.header("location").is_none());
    // A wrong password: the form again with the error.
    let wrong = web.send(web.post("/oauth/authorize").header("Cookie", format!("pacer_authz={request}")).form(&[
        ("request", request.as_str()),
        ("action", "sign_in"),
        ("email", EMAIL),
        ("password", "nope"),
    ]));
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("invalid email or password"), "{}", wrong.text);
    // Deny: back to the client with access_denied.
    let signed_in = web.send(web.post("/oauth/authorize").header("Cookie", format!("pacer_authz={request}")).form(&[
        ("request", request.as_str()),
        ("action", "sign_in"),
        ("email", EMAIL),
        ("password", PASSWORD),
    ]));
    let session = set_cookie(&signed_in, "pacer_session").expect("session");
    let csp = signed_in.expect_header("content-security-policy");
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9"), "{csp}");
    let denied = web.send(
        web.post("/oauth/authorize")
            .header("Cookie", format!("pacer_authz={request}; pacer_session={session}"))
            .form(&[("request", request.as_str()), ("action", "deny")]),
    );
    let q: std::collections::HashMap<String, String> = denied.location().query_pairs().into_owned().collect();
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    // Decided once.
    let again = web.send(
        web.post("/oauth/authorize")
            .header("Cookie", format!("pacer_authz={request}; pacer_session={session}"))
            .form(&[("request", request.as_str()), ("action", "allow")]),
    );
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

#[test]
fn a_code_or_refresh_token_of_another_client_is_refused() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let ours = OAuthClient::register(&web);
    let theirs = OAuthClient::register(&web);
    let a = ours.authorize("activities:read");
    let stolen = theirs.exchange(&a, &[]);
    assert_eq!(oauth_error(&stolen), "invalid_grant");
    let t = ours.tokens("activities:read");
    assert_eq!(oauth_error(&theirs.refresh(refresh_of(&t))), "invalid_grant");
    // Revocation by another client does nothing.
    assert_eq!(theirs.revoke(refresh_of(&t)).status, StatusCode::OK);
    assert_eq!(ours.refresh(refresh_of(&t)).status, StatusCode::OK);
}

#[test]
fn a_confidential_client_must_authenticate_the_way_it_registered() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let reg = web.send(web.post("/oauth/register").json(&json!({
        "redirect_uris": [REDIRECT], "client_name": "Server App", "token_endpoint_auth_method": "client_secret_basic"
    })));
    assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.text);
    let secret = reg.json()["client_secret"].as_str().expect("client_secret").to_owned();
    let client = OAuthClient::with_id(&web, reg.json()["client_id"].as_str().expect("client_id").to_owned());
    // No secret, the secret in the form instead of the header, a wrong secret: invalid_client.
    let a = client.authorize("activities:read");
    let none = client.exchange(&a, &[]);
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.text);
    assert_eq!(oauth_error(&none), "invalid_client");
    let a = client.authorize("activities:read");
    assert_eq!(oauth_error(&client.exchange(&a, &[("client_secret", &secret)])), "invalid_client");
    let form = |a: &Authorized| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", a.code.clone()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", a.verifier.clone()),
            ("resource", client.resource.clone()),
        ]
    };
    let a = client.authorize("activities:read");
    let wrong = web.send(web.post("/oauth/token").basic_auth(&client.client_id, Some("nope")).form(&form(&a)));
    assert_eq!(oauth_error(&wrong), "invalid_client");
    let a = client.authorize("activities:read");
    let ok = web.send(web.post("/oauth/token").basic_auth(&client.client_id, Some(&secret)).form(&form(&a)));
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // The secret is stored hashed only.
    let raw = crate::fixture::raw_db_bytes(d.home());
    assert!(!crate::fixture::contains(&raw, secret.as_bytes()), "client secret stored in clear");
    let access = ok.json()["access_token"].as_str().expect("access").to_owned();
    assert!(!crate::fixture::contains(&raw, access.as_bytes()), "access token stored in clear");
}
