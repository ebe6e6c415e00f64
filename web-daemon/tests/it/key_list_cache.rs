//! `GET /api/keys/list` is served from a short-lived per-user cache; against a real daemon,
//! every write that changes what the list shows is visible in the very next list (each step
//! lists first, so the list it checks would be a cached one if the write forgot to invalidate).

use pacer_shared::ipc::AdminRequest;
use pacer_shared::{Secret, Tier};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixture::{TestDaemon, Web};

const EMAIL: &str = "lin@example.com";
const PASSWORD: &str = "correct horse battery";

/// The caller's list (asserting 200).
fn list(web: &Web, jwt: &str) -> Value {
    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(jwt));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// The listed key with `id`.
fn key(list: &Value, id: &str) -> Value {
    let keys = list["keys"].as_array().cloned().unwrap_or_default();
    keys.into_iter().find(|k| k["id"] == id).unwrap_or_else(|| panic!("key {id} not in {list}"))
}

#[test]
fn every_write_shows_in_the_next_list() {
    let d = TestDaemon::start();
    d.admin(AdminRequest::UsersAdd { email: EMAIL.into(), tenant: None, password: Some(Secret::new(PASSWORD.into())) });
    let web = Web::new(&d);
    let jwt = web.login(EMAIL, PASSWORD);
    assert_eq!(list(&web, &jwt)["keys"], json!([]));

    // Created by the user.
    let r = web.send(web.req(Method::POST, "/api/keys/create").bearer_auth(&jwt).json(&json!({"name": "own"})));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let own_id = r.json()["key_info"]["id"].as_str().expect("id").to_owned();
    let own_secret = r.json()["api_key"].as_str().expect("secret").to_owned();
    assert_eq!(key(&list(&web, &jwt), &own_id)["is_active"], true);

    // Created by an administrator.
    let created = d.cli_json(&["keys", "create", "--user", EMAIL, "--name", "ops"]);
    let ops_id = created["key_info"]["id"].as_str().expect("id").to_owned();
    assert_eq!(key(&list(&web, &jwt), &ops_id)["name"], "ops");

    // Used: `last_used_at` is stamped.
    assert_eq!(key(&list(&web, &jwt), &own_id)["last_used_at"], Value::Null);
    let r = web.send(web.req(Method::GET, "/api/me").header("X-API-Key", &own_secret));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(key(&list(&web, &jwt), &own_id)["last_used_at"].is_string());

    // Revoked by the user.
    let r = web.send(web.req(Method::DELETE, &format!("/api/keys/{own_id}")).bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(key(&list(&web, &jwt), &own_id)["is_active"], false);

    // Revoked by an administrator.
    assert_eq!(key(&list(&web, &jwt), &ops_id)["is_active"], true);
    d.admin(AdminRequest::KeysRevoke { key_id: ops_id.clone() });
    assert_eq!(key(&list(&web, &jwt), &ops_id)["is_active"], false);

    // The allowance changed by an administrator.
    assert_eq!(list(&web, &jwt)["max_tier"], "free");
    d.admin(AdminRequest::UsersSetTier { email: EMAIL.into(), max_tier: Tier::Premium });
    assert_eq!(list(&web, &jwt)["max_tier"], "premium");
}

#[test]
fn one_users_list_is_never_served_to_another() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    let mut jwts = Vec::new();
    for (email, tenant) in [("a@example.com", None), ("b@example.com", None), ("c@example.com", Some("other"))] {
        let password = Some(Secret::new(PASSWORD.into()));
        d.admin(AdminRequest::UsersAdd { email: email.into(), tenant: tenant.map(Into::into), password });
        let jwt = web.login(email, PASSWORD);
        let r = web.send(web.req(Method::POST, "/api/keys/create").bearer_auth(&jwt).json(&json!({"name": email})));
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        jwts.push((email, jwt));
    }
    for _ in 0..2 {
        for (email, jwt) in &jwts {
            let l = list(&web, jwt);
            let names: Vec<&Value> =
                l["keys"].as_array().map(|k| k.iter().map(|k| &k["name"]).collect()).unwrap_or_default();
            assert_eq!(names, [&json!(email)], "{l}");
        }
    }
}
