//! The `pacerd` admin CLI against a real daemon: every command, `--json` parsed, and errors.

use serde_json::Value;

use crate::fixture::{TestDaemon, cli_in, new_home};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn users_and_keys_round_trip() {
    let d = TestDaemon::start();
    let u = d.cli_json(&["users", "add", "--email", "Ana@Example.com", "--tenant", "club"]);
    assert_eq!(u["email"], "ana@example.com");
    assert_eq!(u["tenant"], "club");
    let users = d.cli_json(&["users", "list"]);
    assert_eq!(users["users"].as_array().unwrap().len(), 1);

    let created = d.cli_json(&[
        "keys",
        "create",
        "--user",
        "ana@example.com",
        "--name",
        "Laptop",
        "--description",
        "Claude",
        "--tier",
        "premium",
    ]);
    let obj = created.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["api_key", "key_info", "warning"]);
    let key = created["api_key"].as_str().unwrap();
    assert!(key.starts_with("pk_live_") && key.len() >= 8 + 32, "{key}");
    assert_eq!(created["warning"], "Store securely - won't be shown again");
    let info = created["key_info"].as_object().unwrap();
    let mut fields: Vec<_> = info.keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["created_at", "description", "id", "key_prefix", "name", "tier"]);
    assert_eq!(info["tier"], "premium");
    assert_eq!(info["key_prefix"].as_str().unwrap(), &key[..14]);

    let listed = d.cli_json(&["keys", "list", "--user", "ana@example.com"]);
    let k = &listed["keys"][0];
    assert_eq!(k["id"], info["id"]);
    assert_eq!(k["is_active"], true);
    let text = listed.to_string();
    assert!(!text.contains(key) && !text.contains("hash"), "list leaks the secret: {text}");

    let revoked = d.cli_json(&["keys", "revoke", info["id"].as_str().unwrap()]);
    assert_eq!(revoked, serde_json::json!({"id": info["id"], "is_active": false}));
    let listed = d.cli_json(&["keys", "list", "--user", "ana@example.com"]);
    assert_eq!(listed["keys"][0]["is_active"], false);

    let status: Value = d.cli_json(&["status"]);
    assert_eq!(status["users"], 1);
    assert_eq!(status["api_keys"], 1);
    assert_eq!(status["active_api_keys"], 0);
    assert_eq!(status["tenants"], 2, "default + club");
    assert!(status["http_addr"].as_str().unwrap().starts_with("127.0.0.1:"));

    // Human output prints the key on stdout, the rest on stderr.
    let out = d.cli(&["keys", "create", "--user", "ana@example.com", "--name", "Second"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).trim().starts_with("pk_live_"));
    assert!(stderr(&out).contains("Store securely"));
}

#[test]
fn password_from_stdin_and_login_link() {
    let d = TestDaemon::start();
    let out = cli_in(
        d.home(),
        &["users", "add", "--email", "b@example.com", "--password-stdin", "--json"],
        Some("correct horse battery\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli_in(d.home(), &["users", "add", "--email", "c@example.com", "--password-stdin"], Some("short\n"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("password"), "{}", stderr(&out));
    let link = d.cli_json(&["users", "login-link", "--email", "b@example.com"]);
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/login?token=", d.http_url)), "{url}");

    // The link works once: a session cookie that the API accepts, then a 401 page.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = crate::fixture::http();
        let res = client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 302);
        assert_eq!(res.headers()["location"], "/");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("pacer_session=") && cookie.contains("HttpOnly"), "{cookie}");
        let session = cookie.split(';').next().unwrap().to_string();
        let keys = client.get(format!("{}/api/keys/list", d.http_url)).header("cookie", &session).send().await.unwrap();
        assert_eq!(keys.status(), 200);
        let again = client.get(url).send().await.unwrap();
        assert_eq!(again.status(), 401);
        assert!(again.text().await.unwrap().contains("already used"));
    });
}

#[test]
fn bad_input_is_a_one_line_error_with_nonzero_exit() {
    let d = TestDaemon::start();
    d.cli_json(&["users", "add", "--email", "a@example.com"]);
    let cases: &[(&[&str], &str)] = &[
        (&["users", "add", "--email", "a@example.com"], "already exists"),
        (&["users", "add", "--email", "not-an-email"], "invalid email"),
        (&["users", "add", "--email", "x@example.com", "--tenant", "bad tenant!"], "invalid tenant"),
        (&["keys", "create", "--user", "nobody@example.com", "--name", "k"], "not found"),
        (&["keys", "create", "--user", "a@example.com", "--name", "  "], "name"),
        (&["keys", "create", "--user", "a@example.com", "--name", "k", "--tier", "gold"], "unknown tier"),
        (&["keys", "revoke", "no-such-id"], "not found"),
        (&["keys", "list", "--user", "nobody@example.com"], "not found"),
    ];
    for (args, expect) in cases {
        let out = d.cli(args);
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
        let err = stderr(&out);
        assert!(err.to_lowercase().contains(expect), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line expected: {err}");
    }
    let long = "n".repeat(101);
    let out = d.cli(&["keys", "create", "--user", "a@example.com", "--name", &long]);
    assert!(stderr(&out).contains("at most 100"), "{}", stderr(&out));
}

#[test]
fn commands_fail_clearly_when_daemon_is_down() {
    let home = new_home();
    for args in [
        &["status"][..],
        &["users", "list"],
        &["users", "add", "--email", "a@example.com"],
        &["keys", "list", "--user", "a@example.com"],
        &["keys", "create", "--user", "a@example.com", "--name", "k"],
        &["keys", "revoke", "k"],
        &["stop"],
    ] {
        let out = cli_in(home.path(), args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("pacerd is not running") && err.contains("pacerd serve"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1);
    }
}

#[test]
fn stop_command_shuts_the_daemon_down() {
    let mut d = TestDaemon::start();
    let out = d.cli(&["stop"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut child = d.child.take().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "log:\n{}", d.log_text());
    assert!(!d.socket.exists());
}

#[test]
fn active_keys_per_user_are_capped() {
    let d = TestDaemon::start();
    d.cli_json(&["users", "add", "--email", "many@example.com"]);
    let create = |name: &str| {
        d.try_admin(pacer_shared::ipc::AdminRequest::KeysCreate {
            user: "many@example.com".into(),
            name: name.into(),
            description: None,
            tier: pacer_shared::Tier::Free,
        })
        .expect("admin")
    };
    let mut first_id = String::new();
    for i in 0..pacerd::accounts::MAX_ACTIVE_KEYS_PER_USER {
        match create(&format!("k{i}")) {
            pacer_shared::ipc::AdminResponse::KeyCreated(k) if i == 0 => first_id = k.key_info.id,
            pacer_shared::ipc::AdminResponse::KeyCreated(_) => {}
            other => panic!("key {i}: {other:?}"),
        }
    }
    let out = d.cli(&["keys", "create", "--user", "many@example.com", "--name", "one-too-many"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("revoke one first"), "{}", stderr(&out));
    d.cli_json(&["keys", "revoke", &first_id]);
    assert!(matches!(create("after-revoke"), pacer_shared::ipc::AdminResponse::KeyCreated(_)));
}
