//! `pacerd demo`: the demo user, key and Strava connection, reused on a second run.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use pacer_shared::{ProviderId, TenantId, UserId};
use pacerd::provider::{FitnessProvider, ProviderResult, TokenService};
use pacerd::store::Store;
use pacerd::vault::TokenVault;
use serde_json::Value;

use super::{runtime, sandbox_client};
use crate::fixture::{Options, TestDaemon, http};

/// The demo user's connection, used in-process over the daemon's own database and master key.
fn demo_connection_works(d: &TestDaemon, facts: &Value) -> ProviderResult<u64> {
    let rt = runtime();
    rt.block_on(async {
        let me = http()
            .get(format!("{}/api/me", d.http_url))
            .header("x-api-key", facts["api_key"].as_str().expect("key"))
            .send()
            .await
            .expect("/api/me");
        assert_eq!(me.status(), 200, "the demo key works");
        let me: Value = me.json().await.expect("me json");
        let (tenant, user) = (
            TenantId::new(me["tenant_id"].as_str().expect("tenant")),
            UserId::new(me["user_id"].as_str().expect("user")),
        );
        let store = Store::open(&d.home().join("pacer.db")).expect("daemon store");
        let vault = Arc::new(TokenVault::load_or_create(d.home(), None).expect("master key"));
        let client = sandbox_client(&d.http_url, 0);
        let provider: Arc<dyn FitnessProvider> = client.clone();
        let service = TokenService::new(store, vault, provider);
        service
            .with_access_token(ProviderId::Strava, &tenant, &user, |t| {
                let client = client.clone();
                async move { client.athlete(&t).await.map(|a| a.id) }
            })
            .await
    })
}

fn demo_rows(d: &TestDaemon) -> (i64, i64) {
    let conn = rusqlite::Connection::open(d.home().join("pacer.db")).expect("db");
    let users: i64 =
        conn.query_row("SELECT COUNT(*) FROM users WHERE email = 'demo@pacer.local'", [], |r| r.get(0)).expect("users");
    let tokens: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM provider_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id \
             WHERE u.email = 'demo@pacer.local' AND t.provider = 'strava'",
            [],
            |r| r.get(0),
        )
        .expect("tokens");
    (users, tokens)
}

fn assert_demo_state(d: &mut TestDaemon) -> Value {
    let facts = d.demo_facts_fresh();
    assert_eq!(facts["email"], "demo@pacer.local");
    assert_eq!(facts["http_url"], d.http_url.as_str());
    assert_eq!(facts["socket"], d.socket.display().to_string().as_str());
    assert!(facts["api_key"].as_str().is_some_and(|k| k.starts_with("pk_live_")), "{facts}");
    assert!(facts["password"].as_str().is_some_and(|p| p.len() >= 12));
    let mode = std::fs::metadata(d.home().join("demo.json")).expect("demo.json").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "demo.json mode {mode:o}");

    let status = d.cli_json(&["status"]);
    assert_eq!((status["users"].as_u64(), status["api_keys"].as_u64()), (Some(1), Some(1)), "{status}");
    assert_eq!(status["active_api_keys"], 1);
    let listed = d.cli_json(&["users", "list"]);
    let emails: Vec<&str> =
        listed["users"].as_array().expect("users").iter().filter_map(|u| u["email"].as_str()).collect();
    assert_eq!(emails, ["demo@pacer.local"]);
    assert_eq!(demo_rows(d), (1, 1), "one demo user with one Strava connection");
    let athlete = demo_connection_works(d, &facts).expect("the demo connection answers");
    assert!(athlete > 0);
    facts
}

#[test]
fn demo_twice_on_one_home_reuses_everything() {
    let mut first = TestDaemon::start_with(Options { demo: true, ..Options::default() });
    let facts = assert_demo_state(&mut first);
    assert!(first.stop(), "clean exit");
    let home = std::mem::replace(&mut first.home, crate::fixture::new_home());
    drop(first);

    let mut second = TestDaemon::start_in(home, Options { demo: true, ..Options::default() });
    let again = assert_demo_state(&mut second);
    assert_eq!(again["api_key"], facts["api_key"], "same key");
    assert_eq!(again["email"], facts["email"]);
    assert_eq!(again["password"], facts["password"], "same password");
}
