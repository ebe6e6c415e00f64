//! Key tiers and the active-key cap against a real daemon: a user's own keys stay within their
//! allowance (only the admin channel raises it), and concurrent creates never pass the cap.

use pacer_shared::Secret;
use pacer_shared::ipc::AdminRequest;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixture::{TestDaemon, Web, http};

const PASSWORD: &str = "correct horse battery";

fn daemon_with_user(email: &str) -> (TestDaemon, Web, String) {
    let d = TestDaemon::start();
    d.admin(AdminRequest::UsersAdd { email: email.into(), tenant: None, password: Some(Secret::new(PASSWORD.into())) });
    let web = Web::new(&d);
    let jwt = web.login(email, PASSWORD);
    (d, web, jwt)
}

#[test]
fn a_user_cannot_choose_a_tier_above_their_allowance() {
    let (d, web, jwt) = daemon_with_user("ada@example.com");
    let create = |tier: &str| {
        web.send(web.req(Method::POST, "/api/keys/create").bearer_auth(&jwt).json(&json!({"name": "k", "tier": tier})))
    };

    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&jwt));
    assert_eq!(r.json()["max_tier"], "free", "{}", r.text);

    for tier in ["premium", "enterprise"] {
        let r = create(tier);
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{tier}: {}", r.text);
        assert_eq!(r.error_code(), "forbidden");
        let m = r.error_message();
        assert!(m.contains(tier) && m.contains("allowance ('free')") && m.contains("pacerd users set-tier"), "{m}");
    }
    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&jwt));
    assert_eq!(r.json()["keys"], json!([]), "a refused create stores nothing");
    assert_eq!(create("free").status, StatusCode::CREATED);

    let out = d.cli_json(&["users", "set-tier", "--email", "ada@example.com", "--max-tier", "premium"]);
    assert_eq!(out, json!({"email": "ada@example.com", "max_tier": "premium"}));
    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&jwt));
    assert_eq!(r.json()["max_tier"], "premium");
    let r = create("premium");
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["key_info"]["tier"], "premium");
    assert_eq!(create("enterprise").status, StatusCode::FORBIDDEN);

    // The admin channel itself is not bound by the allowance.
    let k = d.cli_json(&["keys", "create", "--user", "ada@example.com", "--name", "ops", "--tier", "enterprise"]);
    assert_eq!(k["key_info"]["tier"], "enterprise");
    let bad = d.cli(&["users", "set-tier", "--email", "ada@example.com", "--max-tier", "platinum"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("platinum"));
}

#[test]
fn concurrent_creates_stop_exactly_at_the_active_key_cap() {
    let (d, web, jwt) = daemon_with_user("bob@example.com");
    let url = format!("{}/api/keys/create", d.http_url);
    let statuses: Vec<StatusCode> = web.block_on(async {
        let client = http();
        let tasks: Vec<_> = (0..80)
            .map(|i| {
                let req = client.post(&url).bearer_auth(&jwt).json(&json!({"name": format!("k{i}")}));
                tokio::spawn(async move { req.send().await.map(|r| r.status()) })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task").expect("request"));
        }
        out
    });
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let conflicts = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (50, 30), "{statuses:?}");
    let r = web.send(web.req(Method::GET, "/api/keys/list").bearer_auth(&jwt));
    let keys = r.json()["keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.iter().filter(|k| k["is_active"] == true).count(), 50);
}
