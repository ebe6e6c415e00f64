//! Failure paths: refused keys, missing keys, no daemon, autostart.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use pacer_shared::ipc::RefusalCode;
use serde_json::json;

use crate::support::{FakeDaemon, Greeting, Home, Mcp, error_of, initialize_params, initialized};

#[tokio::test]
async fn refused_key_is_answered_with_the_daemons_message() {
    let home = Home::new();
    let message = "API key pk_test_01… is not valid; create one with 'pacerd keys create'";
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Refuse(RefusalCode::Unauthorized, message));
    let mut mcp = Mcp::spawn(home.path(), |_| {});

    let init = mcp.request(json!(0), "initialize", initialize_params()).await;
    let text = error_of(&init, -32001);
    assert!(text.contains(message), "{text}");
    daemon.expect_hello().await;
    // Notifications get no reply; the next request is answered (and retried against the daemon).
    mcp.send(&initialized()).await;
    let again = mcp.request(json!(1), "tools/list", json!({})).await;
    assert!(error_of(&again, -32001).contains(message));
    assert!(mcp.stderr().contains("refused"), "{}", mcp.stderr());
    assert!(mcp.finish().await.0.success());
}

#[tokio::test]
async fn version_refusal_has_its_own_code() {
    let home = Home::new();
    let _daemon = FakeDaemon::start(&home.socket(), Greeting::Refuse(RefusalCode::Version, "pacerd speaks 2"));
    let mut mcp = Mcp::spawn(home.path(), |_| {});
    let init = mcp.request(json!(0), "initialize", initialize_params()).await;
    assert!(error_of(&init, -32004).contains("pacerd speaks 2"));
}

#[tokio::test]
async fn missing_api_key_is_explained_on_every_request() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = Mcp::spawn(home.path(), |c| {
        c.env_remove("PACER_API_KEY");
    });
    for id in 0..2 {
        let response = mcp.request(json!(id), "initialize", initialize_params()).await;
        assert!(error_of(&response, -32001).contains("PACER_API_KEY"), "{response}");
    }
    assert!(mcp.stderr().contains("PACER_API_KEY is not set"), "{}", mcp.stderr());
    assert!(mcp.finish().await.0.success());
    assert!(daemon.drain().is_empty(), "a keyless pacer-mcp must not connect");
}

#[tokio::test]
async fn unreachable_daemon_names_the_socket_and_recovers_when_it_appears() {
    let home = Home::new();
    let socket = home.socket();
    let mut mcp = Mcp::spawn(home.path(), |_| {});

    let first = mcp.request(json!(0), "initialize", initialize_params()).await;
    let text = error_of(&first, -32000);
    assert!(text.contains(&format!("socket {}", socket.display())), "{text}");
    assert!(text.contains("pacerd serve") && text.contains("pacerd.log"), "{text}");
    assert!(text.contains("could not start"), "autostart failure is named: {text}");

    // No reply to a notification; the next request retries (no second autostart) and fails fast.
    mcp.send(&initialized()).await;
    let started = Instant::now();
    let second = mcp.request(json!(1), "initialize", initialize_params()).await;
    assert!(error_of(&second, -32000).contains(&socket.display().to_string()));
    assert!(started.elapsed() < Duration::from_secs(2));

    // Once a daemon listens, the next request goes through.
    let mut daemon = FakeDaemon::start(&socket, Greeting::Welcome);
    let third = mcp.request(json!(2), "initialize", initialize_params()).await;
    assert_eq!(third["result"]["serverInfo"]["name"], "fake-pacerd");
    daemon.expect_hello().await;
    assert!(mcp.finish().await.0.success());
}

#[tokio::test]
async fn socket_dir_writable_by_others_is_refused_before_sending_the_key() {
    let home = Home::new();
    let socket = home.socket();
    let mut daemon = FakeDaemon::start(&socket, Greeting::Welcome);
    let run_dir = socket.parent().expect("run dir");
    std::fs::set_permissions(run_dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let mut mcp = Mcp::spawn(home.path(), |_| {});
    let response = mcp.request(json!(0), "initialize", initialize_params()).await;
    assert!(error_of(&response, -32000).contains("refusing to send the API key"), "{response}");
    assert!(daemon.drain().is_empty(), "no Hello may be sent");
}

#[tokio::test]
async fn autostart_runs_serve_home_and_gives_up_after_five_seconds() {
    let home = Home::new();
    let argv = home.path().join("argv");
    let bin = home.script("fake-pacerd", &format!("printf '%s\\n' \"$@\" >> '{}'", argv.display()));
    let mut mcp = Mcp::spawn(home.path(), |c| {
        c.env("PACER_DAEMON_BIN", &bin);
    });

    let started = Instant::now();
    let response = mcp.request(json!(0), "initialize", initialize_params()).await;
    let waited = started.elapsed();
    let text = error_of(&response, -32000);
    assert!(text.contains(&home.socket().display().to_string()), "{text}");
    assert!(text.contains("did not open the socket within 5 s"), "{text}");
    assert!(waited >= Duration::from_millis(4900) && waited < Duration::from_secs(8), "{waited:?}");
    let expected = format!("serve\n--home\n{}\n", home.path().display());
    assert_eq!(std::fs::read_to_string(&argv).expect("argv written"), expected);

    // Autostart happens once per outage: the next request fails fast without a new spawn.
    let started = Instant::now();
    error_of(&mcp.request(json!(1), "tools/list", json!({})).await, -32000);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(std::fs::read_to_string(&argv).expect("argv"), expected);
}

#[tokio::test]
async fn autostart_failure_is_reported_early_and_logged() {
    let home = Home::new();
    let env_seen = home.path().join("env");
    let body =
        format!("echo \"${{PACER_API_KEY:-unset}}\" > '{}'\necho 'boom: cannot bind' >&2\nexit 3", env_seen.display());
    let bin = home.script("fake-pacerd", &body);
    let mut mcp = Mcp::spawn(home.path(), |c| {
        c.env("PACER_DAEMON_BIN", &bin);
    });
    let started = Instant::now();
    let response = mcp.request(json!(0), "initialize", initialize_params()).await;
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let text = error_of(&response, -32000);
    assert!(text.contains("exited (exit status: 3)"), "{text}");
    let log = std::fs::read_to_string(home.path().join("pacerd.log")).expect("pacerd.log");
    assert!(log.contains("boom: cannot bind"), "{log}");
    assert_eq!(std::fs::read_to_string(&env_seen).expect("env").trim(), "unset", "the key leaked to pacerd");
}

#[tokio::test]
async fn autostarted_daemon_is_used_once_it_listens() {
    let home = Home::new();
    let argv = home.path().join("argv");
    let bin = home.script("fake-pacerd", &format!("echo \"$@\" > '{}'", argv.display()));
    let mut mcp = Mcp::spawn(home.path(), |c| {
        c.env("PACER_DAEMON_BIN", &bin);
    });
    // Play the daemon: start listening once the script has run.
    let socket = home.socket();
    let bring_up = async {
        while !argv.exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        FakeDaemon::start(&socket, Greeting::Welcome)
    };
    let (response, mut daemon) = tokio::join!(mcp.request(json!(0), "initialize", initialize_params()), bring_up);
    assert_eq!(response["result"]["serverInfo"]["name"], "fake-pacerd", "{response}");
    daemon.expect_hello().await;
    assert!(mcp.finish().await.0.success());
}
