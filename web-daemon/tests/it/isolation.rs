//! Multi-tenant data isolation (seed: "Multi-Tenant Data Isolation Flow"): two tenants, each
//! with a user, a key and a Strava connection to a different sandbox athlete (1001 and 1002,
//! picked on the consent form). Over MCP (the real `pacer-mcp`) and HTTP each sees only its own
//! athlete, activities and keys; a tenant header that disagrees with the credentials is 403; and
//! a token row relabelled to the other tenant's user fails closed instead of serving its data.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixture::{TestDaemon, Web, open_db};
use crate::flows::{ATHLETE_A, ATHLETE_B, PASSWORD, connect, sandbox_daemon, sandbox_get, stored_tokens};
use crate::mcp_client::McpClient;

/// One tenant's user, key, session and connected athlete.
struct Member {
    email: String,
    tenant_id: String,
    user_id: String,
    key: String,
    key_id: String,
    jwt: String,
    athlete: u64,
}

impl Member {
    fn mcp(&self, d: &TestDaemon) -> McpClient {
        let mut c = McpClient::start(d.home(), Some(&self.key), &[]);
        c.initialize("2025-11-25");
        c
    }
}

fn member(d: &TestDaemon, web: &Web, email: &str, tenant: &str, athlete: u64) -> Member {
    let user = d.user_with_password(email, Some(tenant), PASSWORD);
    let key = d.cli_json(&["keys", "create", "--user", email, "--name", &format!("{tenant} key"), "--tier", "premium"]);
    let jwt = web.login(email, PASSWORD);
    let body = connect(web, &jwt, athlete);
    assert_eq!(body["token_type"], "Bearer", "{body}");
    Member {
        email: email.into(),
        tenant_id: user["tenant_id"].as_str().expect("tenant_id").into(),
        user_id: user["id"].as_str().expect("id").into(),
        key: key["api_key"].as_str().expect("api_key").into(),
        key_id: key["key_info"]["id"].as_str().expect("key id").into(),
        jwt,
        athlete,
    }
}

/// A daemon with tenant `a` (athlete 1001) and tenant `b` (athlete 1002), both connected.
fn two_tenants() -> (TestDaemon, Web, Member, Member) {
    let d = sandbox_daemon(&[]);
    let web = Web::new(&d);
    let a = member(&d, &web, "ann@a.example", "a", ATHLETE_A);
    let b = member(&d, &web, "ben@b.example", "b", ATHLETE_B);
    assert_ne!(a.tenant_id, b.tenant_id);
    (d, web, a, b)
}

/// The athlete's profile and every activity id, straight from the sandbox with the tokens
/// stored for `m` (decrypted in-process): the ground truth.
fn truth(d: &TestDaemon, web: &Web, m: &Member) -> (Value, BTreeSet<u64>) {
    let tokens = stored_tokens(d.home(), &m.tenant_id, &m.user_id).expect("tokens stored");
    let athlete = sandbox_get(web, &tokens.access_token, "/athlete");
    assert_eq!(athlete["id"], m.athlete);
    let mut ids = BTreeSet::new();
    for page in 1.. {
        let list = sandbox_get(web, &tokens.access_token, &format!("/athlete/activities?per_page=200&page={page}"));
        let list = list.as_array().expect("activities");
        ids.extend(list.iter().map(|a| a["id"].as_u64().expect("id")));
        if list.len() < 200 {
            break;
        }
    }
    assert!(!ids.is_empty(), "athlete {} has seeded activities", m.athlete);
    (athlete, ids)
}

fn structured(r: &Value) -> &Value {
    assert!(r.get("error").is_none(), "unexpected error: {r}");
    assert_ne!(r["result"]["isError"], true, "tool error: {r}");
    &r["result"]["structuredContent"]
}

/// Every activity id the MCP session can list, following `next_cursor` (pages are cut to the
/// result budget, so a page may hold fewer than `limit`).
fn mcp_activity_ids(c: &mut McpClient) -> BTreeSet<u64> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut args = json!({"limit": 200});
        if let Some(next) = &cursor {
            args["cursor"] = json!(next);
        }
        let r = c.call("get_activities", args);
        let page = structured(&r).clone();
        ids.extend(page["activities"].as_array().expect("activities").iter().map(|a| a["id"].as_u64().expect("id")));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    ids
}

/// A tool answer that carries no data: a JSON-RPC error or an `isError` result.
fn assert_refused(r: &Value, what: &str) {
    let refused = r.get("error").is_some() || r["result"]["isError"] == true;
    assert!(refused, "{what}: expected a refusal, got {r}");
    assert!(r["result"]["structuredContent"].is_null(), "{what}: data in a refusal: {r}");
}

/// Asserts `r` mentions nothing that identifies `athlete`'s profile.
fn assert_no_trace_of(r: &Value, athlete: &Value, what: &str) {
    let text = r.to_string();
    for field in ["username", "lastname", "city"] {
        let v = athlete[field].as_str().expect(field);
        assert!(!text.contains(v), "{what}: leaks the other athlete's {field} ({v}): {r}");
    }
}

#[test]
fn mcp_tools_see_only_the_tenants_own_athlete() {
    let (d, web, a, b) = two_tenants();
    let (athlete_a, ids_a) = truth(&d, &web, &a);
    let (athlete_b, ids_b) = truth(&d, &web, &b);
    assert!(ids_a.is_disjoint(&ids_b), "the sandbox athletes share no activity");

    for (m, own, other, own_ids, other_ids) in
        [(&a, &athlete_a, &athlete_b, &ids_a, &ids_b), (&b, &athlete_b, &athlete_a, &ids_b, &ids_a)]
    {
        let mut c = m.mcp(&d);
        let r = c.call("get_athlete", json!({}));
        assert_eq!(structured(&r)["id"], m.athlete, "{}: {r}", m.email);
        assert_eq!(structured(&r)["username"], own["username"]);
        assert_no_trace_of(&r, other, &m.email);

        let listed = mcp_activity_ids(&mut c);
        assert_eq!(&listed, own_ids, "{} lists exactly its athlete's activities", m.email);
        assert!(listed.is_disjoint(other_ids));

        let r = c.call("get_athlete_stats", json!({}));
        assert_eq!(structured(&r)["athlete_id"], m.athlete, "{r}");

        let r = c.call("get_connection_status", json!({}));
        assert_eq!(structured(&r)["athlete_id"], m.athlete, "{r}");

        // Its own activity: fine. One of the other tenant's: refused, no data.
        let mine = *own_ids.iter().next().expect("an own activity");
        let r = c.call("get_activity", json!({"activity_id": mine}));
        assert_eq!(structured(&r)["id"], mine);
        for theirs in other_ids.iter().take(3) {
            let r = c.call("get_activity", json!({"activity_id": theirs}));
            assert_refused(&r, &format!("{} get_activity {theirs}", m.email));
            assert!(r.to_string().to_lowercase().contains("not found"), "{r}");
            let r = c.call("get_activity_streams", json!({"activity_id": theirs, "keys": ["heartrate"]}));
            assert_refused(&r, &format!("{} get_activity_streams {theirs}", m.email));
        }
    }
}

#[test]
fn http_keys_and_tenant_header_are_isolated() {
    let (d, web, a, b) = two_tenants();
    let me = |key: &str, tenant: Option<&str>| {
        let mut req = web.get("/api/me").header("X-API-Key", key);
        if let Some(t) = tenant {
            req = req.header("X-Tenant-ID", t);
        }
        web.send(req)
    };
    let key_ids = |jwt: &str| -> Vec<(String, bool)> {
        let r = web.send(web.get("/api/keys/list").bearer_auth(jwt));
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| (k["id"].as_str().unwrap().to_string(), k["is_active"] == true))
            .collect()
    };

    for (m, other) in [(&a, &b), (&b, &a)] {
        let r = me(&m.key, None);
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json()["tenant_id"], m.tenant_id.as_str());
        assert_eq!(r.json()["user_id"], m.user_id.as_str());
        assert_eq!(key_ids(&m.jwt), [(m.key_id.clone(), true)], "{} sees only its key", m.email);
        let listed = web.send(web.get("/api/keys/list").bearer_auth(&m.jwt)).text;
        assert!(!listed.contains(&other.key_id) && !listed.contains(&other.tenant_id), "{listed}");

        // The header agreeing with the credentials is fine; naming the other tenant is 403.
        assert_eq!(me(&m.key, Some(&m.tenant_id)).status, StatusCode::OK);
        let r = me(&m.key, Some(&other.tenant_id));
        assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "forbidden"), "{}", r.text);
        let r = me(&m.key, Some("no-such-tenant"));
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        for (method, path, body) in [
            (Method::GET, "/api/keys/list".to_string(), None),
            (Method::POST, "/api/keys/create".to_string(), Some(json!({"name": "sneaky"}))),
            (Method::DELETE, format!("/api/keys/{}", m.key_id), None),
            (Method::GET, "/oauth/strava/authorize".to_string(), None),
        ] {
            let mut req = web.req(method.clone(), &path).bearer_auth(&m.jwt).header("X-Tenant-ID", &other.tenant_id);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let r = web.send(req);
            assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "forbidden"), "{method} {path}");
        }
        let r = web.send(web.get("/api/keys/list").bearer_auth(&m.jwt).header("X-Tenant-ID", &m.tenant_id));
        assert_eq!(r.status, StatusCode::OK);
    }
    // Nothing above created or revoked a key.
    assert_eq!(key_ids(&a.jwt), [(a.key_id.clone(), true)]);

    // A cannot revoke B's key: 404 (as if it did not exist), and B's key keeps working.
    let r = web.send(web.req(Method::DELETE, &format!("/api/keys/{}", b.key_id)).bearer_auth(&a.jwt));
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::NOT_FOUND, "not_found"), "{}", r.text);
    let missing = web.send(web.req(Method::DELETE, "/api/keys/no-such-key").bearer_auth(&a.jwt));
    assert_eq!((missing.status, missing.error_code()), (r.status, r.error_code()), "another tenant's key looks absent");
    assert_eq!(me(&b.key, None).status, StatusCode::OK);
    assert_eq!(key_ids(&b.jwt), [(b.key_id.clone(), true)]);
    let active: bool = open_db(d.home())
        .query_row("SELECT is_active FROM api_keys WHERE id = ?1", [&b.key_id], |r| r.get(0))
        .expect("B's key row");
    assert!(active);

    // Unknown keys: 401 over HTTP and refused over MCP.
    let unknown = format!("pk_live_{}", "Q".repeat(40));
    let r = me(&unknown, None);
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let r = me(&unknown, Some(&a.tenant_id));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mut c = McpClient::start(d.home(), Some(&unknown), &[]);
    let r = c.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}),
    );
    assert!(r.get("error").is_some(), "an unknown key opens no session: {r}");
}

#[test]
fn token_rows_are_bound_to_their_owner() {
    let (d, web, a, b) = two_tenants();
    let (athlete_a, _) = truth(&d, &web, &a);
    let db = open_db(d.home());
    let rows: Vec<(String, String, String, i64)> = db
        .prepare("SELECT tenant_id, user_id, provider, athlete_id FROM provider_tokens ORDER BY athlete_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            (a.tenant_id.clone(), a.user_id.clone(), "strava".to_string(), ATHLETE_A as i64),
            (b.tenant_id.clone(), b.user_id.clone(), "strava".to_string(), ATHLETE_B as i64),
        ],
        "one row per (tenant, user)"
    );

    // Replace B's row by a copy of A's whose user_id is B's user (tenant still A): B's queries
    // are filtered by B's tenant, so B is simply not connected.
    db.execute("DELETE FROM provider_tokens WHERE tenant_id = ?1 AND user_id = ?2", [&b.tenant_id, &b.user_id])
        .unwrap();
    let copied = db
        .execute(
            "INSERT INTO provider_tokens (tenant_id, user_id, provider, nonce, ciphertext, expires_at, athlete_id, scopes, updated_at)
             SELECT tenant_id, ?3, provider, nonce, ciphertext, expires_at, athlete_id, scopes, updated_at
             FROM provider_tokens WHERE tenant_id = ?1 AND user_id = ?2",
            [&a.tenant_id, &a.user_id, &b.user_id],
        )
        .unwrap();
    assert_eq!(copied, 1);
    let mut cb = b.mcp(&d);
    let r = cb.call("get_athlete", json!({}));
    assert_refused(&r, "user_id swapped");
    assert_no_trace_of(&r, &athlete_a, "user_id swapped");
    let r = cb.call("get_connection_status", json!({}));
    assert_eq!(structured(&r)["connected"], false, "{r}");

    // Now relabel the copy as B's own row (tenant too): A's ciphertext under B's (tenant, user)
    // fails to open (the AAD binds it to A), so B's calls fail instead of serving A's athlete.
    let moved = db
        .execute(
            "UPDATE provider_tokens SET tenant_id = ?2 WHERE tenant_id = ?1 AND user_id = ?3",
            [&a.tenant_id, &b.tenant_id, &b.user_id],
        )
        .unwrap();
    assert_eq!(moved, 1);
    for (tool, args) in [
        ("get_athlete", json!({})),
        ("get_activities", json!({"limit": 5})),
        ("get_athlete_stats", json!({})),
        ("get_activity", json!({"activity_id": 1})),
    ] {
        let r = cb.call(tool, args);
        assert_refused(&r, &format!("relabelled row, {tool}"));
        assert_no_trace_of(&r, &athlete_a, tool);
    }
    // The row's plain columns (athlete id, scopes) are not authenticated: a row that does not
    // open is no connection, so its athlete id is not reported either.
    let r = cb.call("get_connection_status", json!({}));
    let status = structured(&r);
    assert_eq!((&status["connected"], &status["athlete_id"]), (&json!(false), &Value::Null), "{r}");

    // A is unaffected.
    let mut ca = a.mcp(&d);
    let r = ca.call("get_athlete", json!({}));
    assert_eq!(structured(&r)["id"], ATHLETE_A, "{r}");
}
