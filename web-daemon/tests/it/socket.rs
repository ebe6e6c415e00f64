//! The Unix socket: permissions, single daemon per home, stale sockets, handshake, frames.

use std::os::unix::fs::PermissionsExt;

use pacer_shared::Secret;
use pacer_shared::ipc::{self, Channel, Hello, HelloReply, PROTOCOL_VERSION, RefusalCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::fixture::{Options, TestDaemon, cli_in, contains, new_home, raw_db_bytes};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

async fn hello(d: &TestDaemon, channel: Channel, key: Option<&str>, protocol: u32) -> HelloReply {
    let mut s = UnixStream::connect(&d.socket).await.expect("connect");
    let h = Hello { protocol, client: "it/1".into(), channel, api_key: key.map(|k| Secret::new(k.into())) };
    ipc::write_frame(&mut s, &h).await.expect("write hello");
    ipc::read_frame(&mut s, ipc::MAX_FRAME_BYTES).await.expect("read reply")
}

fn refused_code(r: HelloReply) -> Option<RefusalCode> {
    match r {
        HelloReply::Refused { code, .. } => Some(code),
        HelloReply::Welcome { .. } => None,
    }
}

#[test]
fn socket_dir_and_file_are_private() {
    let d = TestDaemon::start();
    let dir_mode = std::fs::metadata(d.socket.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    let sock_mode = std::fs::metadata(&d.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert_eq!(sock_mode, 0o600);
}

#[test]
fn refuses_group_readable_run_dir() {
    let home = new_home();
    let run = home.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = cli_in(home.path(), &["serve", "--http", "127.0.0.1:0"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("accessible by group or others") && err.contains("chmod 700"), "{err}");
}

#[test]
fn second_daemon_on_same_home_is_refused() {
    let d = TestDaemon::start();
    let out = cli_in(d.home(), &["serve", "--http", "127.0.0.1:0"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pacerd already running"), "{err}");
    // The first one is unharmed.
    assert!(d.cli(&["status"]).status.success());
}

#[test]
fn stale_socket_from_dead_daemon_is_replaced() {
    let mut d = TestDaemon::start();
    d.kill();
    assert!(d.socket.exists(), "a killed daemon leaves its socket behind");
    let home = std::mem::replace(&mut d.home, new_home());
    let d2 = TestDaemon::start_in(home, Options::default());
    assert!(d2.cli(&["status"]).status.success());
}

#[test]
fn mcp_hello_validates_keys() {
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("runner@example.com", None, "free");
    let rt = rt();
    assert!(matches!(rt.block_on(hello(&d, Channel::Mcp, Some(&key), PROTOCOL_VERSION)), HelloReply::Welcome { .. }));
    let unknown = format!("pk_live_{}", "A".repeat(40));
    assert_eq!(
        refused_code(rt.block_on(hello(&d, Channel::Mcp, Some(&unknown), PROTOCOL_VERSION))),
        Some(RefusalCode::Unauthorized)
    );
    assert_eq!(
        refused_code(rt.block_on(hello(&d, Channel::Mcp, Some("garbage"), PROTOCOL_VERSION))),
        Some(RefusalCode::Unauthorized)
    );
    assert_eq!(
        refused_code(rt.block_on(hello(&d, Channel::Mcp, None, PROTOCOL_VERSION))),
        Some(RefusalCode::Unauthorized)
    );
    assert_eq!(
        refused_code(rt.block_on(hello(&d, Channel::Mcp, Some(&key), PROTOCOL_VERSION + 1))),
        Some(RefusalCode::Version)
    );

    let keys = d.cli_json(&["keys", "list", "--user", "runner@example.com"]);
    let id = keys["keys"][0]["id"].as_str().unwrap().to_string();
    d.cli_json(&["keys", "revoke", &id]);
    assert_eq!(
        refused_code(rt.block_on(hello(&d, Channel::Mcp, Some(&key), PROTOCOL_VERSION))),
        Some(RefusalCode::Forbidden)
    );

    let raw = raw_db_bytes(d.home());
    assert!(!raw.is_empty());
    assert!(!contains(&raw, key.as_bytes()), "plaintext API key found in the database files");
    assert!(!contains(&raw, &key.as_bytes()["pk_live_".len()..]), "key body found in the database files");
}

#[test]
fn bad_frames_get_an_error_and_do_not_harm_others() {
    let d = TestDaemon::start();
    let rt = rt();
    rt.block_on(async {
        // A healthy admin connection stays open across the abuse.
        let mut good = UnixStream::connect(&d.socket).await.unwrap();
        let h = Hello { protocol: PROTOCOL_VERSION, client: "it".into(), channel: Channel::Admin, api_key: None };
        ipc::write_frame(&mut good, &h).await.unwrap();
        let _: HelloReply = ipc::read_frame(&mut good, ipc::MAX_FRAME_BYTES).await.unwrap();

        // Oversize length prefix: rejected before the body is read.
        let mut s = UnixStream::connect(&d.socket).await.unwrap();
        s.write_all(&((ipc::MAX_FRAME_BYTES as u32) + 1).to_be_bytes()).await.unwrap();
        let reply: HelloReply = ipc::read_frame(&mut s, ipc::MAX_FRAME_BYTES).await.unwrap();
        assert_eq!(refused_code(reply), Some(RefusalCode::BadFrame));
        let mut rest = Vec::new();
        assert_eq!(s.read_to_end(&mut rest).await.unwrap(), 0, "connection must close after the error frame");

        // Malformed JSON.
        let mut s = UnixStream::connect(&d.socket).await.unwrap();
        s.write_all(&5u32.to_be_bytes()).await.unwrap();
        s.write_all(b"{oops").await.unwrap();
        let reply: HelloReply = ipc::read_frame(&mut s, ipc::MAX_FRAME_BYTES).await.unwrap();
        assert_eq!(refused_code(reply), Some(RefusalCode::BadFrame));

        // Malformed admin request after a good hello.
        let mut s = UnixStream::connect(&d.socket).await.unwrap();
        ipc::write_frame(&mut s, &h).await.unwrap();
        let _: HelloReply = ipc::read_frame(&mut s, ipc::MAX_FRAME_BYTES).await.unwrap();
        ipc::write_frame(&mut s, &serde_json::json!({"op": "no_such_op"})).await.unwrap();
        let reply: ipc::AdminResponse = ipc::read_frame(&mut s, ipc::MAX_FRAME_BYTES).await.unwrap();
        assert!(matches!(reply, ipc::AdminResponse::Error { code: ipc::AdminErrorCode::BadFrame, .. }), "{reply:?}");

        // The good connection still works.
        ipc::write_frame(&mut good, &ipc::AdminRequest::Status).await.unwrap();
        let reply: ipc::AdminResponse = ipc::read_frame(&mut good, ipc::MAX_FRAME_BYTES).await.unwrap();
        assert!(matches!(reply, ipc::AdminResponse::Status(_)), "{reply:?}");
    });
}

#[test]
fn admin_channel_refused_for_other_uid() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run a client as another uid");
        return;
    }
    let d = TestDaemon::start();
    // Let the other uid reach the socket file so the daemon's SO_PEERCRED check is what refuses.
    let open = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    open(d.home(), 0o711);
    open(d.socket.parent().unwrap(), 0o711);
    open(&d.socket, 0o666);
    use std::os::unix::process::CommandExt;
    let out = std::process::Command::new(crate::fixture::pacerd_bin())
        .args(["status", "--home"])
        .arg(d.home())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    open(&d.socket, 0o600);
    open(d.socket.parent().unwrap(), 0o700);
    open(d.home(), 0o700);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only for the daemon's own user"), "{err}");
}

#[test]
fn sigterm_shuts_down_gracefully_and_removes_socket() {
    let mut d = TestDaemon::start();
    assert!(d.stop(), "daemon did not exit cleanly on SIGTERM; log:\n{}", d.log_text());
    assert!(!d.socket.exists());
}

#[test]
fn serve_on_a_demo_home_serves_the_demo() {
    let mut d = TestDaemon::start_with(Options { demo: true, sandbox: false, ..Default::default() });
    let key = d.demo_facts()["api_key"].as_str().unwrap().to_string();
    d.stop();
    let home = std::mem::replace(&mut d.home, new_home());
    // Plain `serve` (what pacer-mcp autostarts), without PACER_SANDBOX: the demo user's tools
    // must still work against the (restarted, reconnected) sandbox.
    let d2 = TestDaemon::start_in(home, Options::default());
    assert!(d2.log_text().contains("serving it as a demo"), "{}", d2.log_text());
    let mut c = crate::mcp_client::McpClient::start(d2.home(), Some(&key), &[]);
    c.initialize("2025-06-18");
    let r = c.call("get_athlete", serde_json::json!({}));
    assert!(r.get("error").is_none() && r["result"]["isError"] != true, "{r}");
    assert!(r["result"]["structuredContent"]["id"].as_u64().is_some(), "{r}");
}

#[test]
fn refuses_a_home_open_to_group_or_others() {
    for mode in [0o755, 0o750, 0o705] {
        let home = new_home();
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let out = cli_in(home.path(), &["serve", "--http", "127.0.0.1:0"], None);
        assert!(!out.status.success(), "mode {mode:o} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("accessible by group or others") && err.contains("chmod 700"), "{err}");
        assert!(!home.path().join("pacer.db").exists(), "nothing is created in a refused home");
    }
}

#[test]
fn database_files_open_to_others_are_made_private() {
    let mut d = TestDaemon::start();
    d.stop();
    let db = d.home().join("pacer.db");
    let shm = d.home().join("pacer.db-shm");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&shm, b"").unwrap();
    std::fs::set_permissions(&shm, std::fs::Permissions::from_mode(0o666)).unwrap();
    let home = std::mem::replace(&mut d.home, new_home());
    let d = TestDaemon::start_in(home, Default::default());
    for name in ["pacer.db", "pacer.db-wal", "pacer.db-shm"] {
        let mode = std::fs::metadata(d.home().join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    assert!(d.log_text().contains("database file was open to others; now 0600"), "{}", d.log_text());
}

#[test]
fn a_silent_connection_is_refused_after_the_hello_deadline() {
    let d = TestDaemon::start();
    rt().block_on(async {
        let mut s = UnixStream::connect(&d.socket).await.expect("connect");
        // Send nothing. The daemon answers within its 5 s deadline; 30 s only bounds a hang.
        let reply =
            tokio::time::timeout(std::time::Duration::from_secs(30), ipc::read_frame::<_, HelloReply>(&mut s, 4096))
                .await
                .expect("the daemon must not wait for a Hello forever")
                .expect("a refusal frame");
        match reply {
            HelloReply::Refused { code, message } => {
                assert_eq!(code, RefusalCode::BadFrame);
                assert!(message.contains("no Hello within 5 s"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let mut rest = Vec::new();
        let n = s.read_to_end(&mut rest).await.unwrap_or(0);
        assert_eq!(n, 0, "the connection is closed after the refusal");
    });
}

#[test]
fn client_strings_cannot_forge_log_lines() {
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("ada@example.com", None, "free");
    let forged = "FORGED-LINE pacerd: admin login accepted";
    rt().block_on(async {
        for (protocol, key) in [(PROTOCOL_VERSION + 7, None), (PROTOCOL_VERSION, Some(key.as_str()))] {
            let mut s = UnixStream::connect(&d.socket).await.expect("connect");
            let client = format!("evil/1\n{forged}\r\n\u{1b}[2K{}", "x".repeat(5000));
            let h = Hello { protocol, client, channel: Channel::Mcp, api_key: key.map(|k| Secret::new(k.into())) };
            ipc::write_frame(&mut s, &h).await.expect("write hello");
            let _: HelloReply = ipc::read_frame(&mut s, ipc::MAX_FRAME_BYTES).await.expect("reply");
        }
    });
    // The session log line is written after Welcome; wait for it (bounded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !d.log_text().contains("mcp session opened") {
        assert!(std::time::Instant::now() < deadline, "no session line; log:\n{}", d.log_text());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let log = d.log_text();
    assert!(log.contains("evil/1\\n"), "the client string is logged escaped:\n{log}");
    for line in log.lines() {
        assert!(!line.contains('\u{1b}'), "raw escape in the log: {line:?}");
        assert!(!line.starts_with("FORGED-LINE"), "forged line: {line:?}");
        assert!(line.len() < 2000, "client strings are bounded in the log: {} bytes", line.len());
    }
}
