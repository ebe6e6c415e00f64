//! Happy paths: handshake, relaying, line errors, reconnect with replay.

use pacer_shared::ipc::{Channel, PROTOCOL_VERSION};
use serde_json::json;

use crate::support::{FakeDaemon, Greeting, Home, KEY, Mcp, Seen, error_of, initialize_params, initialized};

#[tokio::test]
async fn relays_initialize_and_tools_list_after_handshake() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = Mcp::spawn(home.path(), |_| {});

    let init = mcp.request(json!(0), "initialize", initialize_params()).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "fake-pacerd");
    let (conn, hello) = daemon.expect_hello().await;
    assert_eq!(hello.protocol, PROTOCOL_VERSION);
    assert_eq!(hello.channel, Channel::Mcp);
    assert!(hello.client.starts_with("pacer-mcp/"), "{}", hello.client);
    assert_eq!(hello.api_key.as_ref().map(|k| k.expose()), Some(KEY));
    let (n, line) = daemon.expect_line().await;
    assert_eq!((n, &line["method"], &line["id"]), (conn, &json!("initialize"), &json!(0)));

    mcp.send(&initialized()).await;
    let tools = mcp.request(json!("t-1"), "tools/list", json!({})).await;
    assert_eq!(tools["result"]["tools"][0]["name"], "get_athlete");
    assert_eq!(daemon.expect_line().await.1, initialized());
    assert_eq!(daemon.expect_line().await.1["method"], "tools/list");

    // Daemon-initiated messages are relayed in order.
    mcp.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "test/notify"})).await;
    assert_eq!(mcp.recv().await["method"], "notifications/message");
    assert_eq!(mcp.recv().await["id"], 2);

    let stderr = mcp.stderr();
    let (status, rest) = mcp.finish().await;
    assert!(status.success(), "{status}");
    assert!(rest.is_empty(), "unexpected stdout: {rest:?}");
    assert!(!stderr.contains(KEY), "the API key reached the log:\n{stderr}");
}

#[tokio::test]
async fn invalid_json_and_oversize_lines_are_answered_not_forwarded() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = Mcp::spawn(home.path(), |_| {});

    mcp.send_raw(b"{not json\n").await;
    let parse = mcp.recv().await;
    assert_eq!(parse["id"], json!(null));
    error_of(&parse, -32700);

    // The id comes after the huge params, as the TypeScript SDK serialises it.
    let blob = "A".repeat(pacer_shared::ipc::MAX_LINE_BYTES + 10);
    let big = json!({"jsonrpc": "2.0", "method": "tools/call",
        "params": {"name": "upload_activity", "arguments": {"content_base64": blob}}, "id": 99});
    mcp.send(&big).await;
    let too_big = mcp.recv().await;
    assert_eq!(too_big["id"], 99);
    assert!(error_of(&too_big, -32600).contains("exceeds"));

    // Blank lines are ignored; the session carries on.
    mcp.send_raw(b"\n  \n").await;
    let tools = mcp.request(json!(1), "tools/list", json!({})).await;
    assert!(tools["result"]["tools"].is_array());
    daemon.expect_hello().await;
    assert_eq!(daemon.expect_line().await.1["method"], "tools/list");
    assert!(daemon.drain().is_empty());
    assert!(mcp.finish().await.0.success());
}

#[tokio::test]
async fn lost_connection_fails_in_flight_then_replays_initialize() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = Mcp::spawn(home.path(), |_| {});

    mcp.request(json!(0), "initialize", initialize_params()).await;
    mcp.send(&initialized()).await;
    let crashed = mcp.request(json!(5), "tools/call", json!({"name": "crash", "arguments": {}})).await;
    assert!(error_of(&crashed, -32603).contains("connection lost"), "{crashed}");
    daemon.expect_hello().await;
    for method in ["initialize", "notifications/initialized", "tools/call"] {
        assert_eq!(daemon.expect_line().await.1["method"], method);
    }

    // The next request reconnects; the client sees only its own answer.
    let tools = mcp.request(json!(6), "tools/list", json!({})).await;
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    let (conn, hello) = daemon.expect_hello().await;
    assert_eq!(conn, 1);
    assert_eq!(hello.api_key.as_ref().map(|k| k.expose()), Some(KEY));
    let (n, replayed) = daemon.expect_line().await;
    assert_eq!(n, 1);
    assert_eq!(replayed["method"], "initialize");
    assert_eq!(replayed["params"], initialize_params());
    assert!(replayed["id"].as_str().is_some_and(|id| id.starts_with("pacer-mcp-replay-")), "{replayed}");
    assert_eq!(daemon.expect_line().await, (1, initialized()));
    let (n, line) = daemon.expect_line().await;
    assert_eq!((n, &line["method"], &line["id"]), (1, &json!("tools/list"), &json!(6)));

    let (status, rest) = mcp.finish().await;
    assert!(status.success());
    assert!(rest.is_empty(), "the replayed initialize's answer leaked: {rest:?}");
    assert!(daemon.drain().iter().all(|seen| !matches!(seen, Seen::Hello(..))));
}

#[tokio::test]
async fn a_session_without_initialize_reconnects_without_replay() {
    // MCP 2026-07-28: no handshake, every request carries its own `_meta`.
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = Mcp::spawn(home.path(), |_| {});

    let crashed = mcp.request(json!(1), "tools/call", json!({"name": "crash", "arguments": {}, "_meta": meta})).await;
    assert!(error_of(&crashed, -32603).contains("connection lost"), "{crashed}");
    daemon.expect_hello().await;
    assert_eq!(daemon.expect_line().await.1["method"], "tools/call");

    let tools = mcp.request(json!(2), "tools/list", json!({"_meta": meta})).await;
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    let (conn, _) = daemon.expect_hello().await;
    let (n, line) = daemon.expect_line().await;
    assert_eq!((n, &line["method"], &line["id"]), (conn, &json!("tools/list"), &json!(2)), "nothing replayed first");
    assert_eq!(line["params"]["_meta"], meta, "the line is relayed unchanged");

    let (status, rest) = mcp.finish().await;
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}

#[tokio::test]
async fn daemon_restart_between_requests_is_invisible() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = initialized_session(&home).await;
    mcp.send(&json!({"jsonrpc": "2.0", "method": "test/hangup"})).await;
    expect_session(&mut daemon, 0, "test/hangup").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let tools = mcp.request(json!(1), "tools/list", json!({})).await;
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    expect_session(&mut daemon, 1, "tools/list").await;
    let (status, rest) = mcp.finish().await;
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}

#[tokio::test]
async fn failed_write_is_resent_over_a_fresh_connection() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = initialized_session(&home).await;
    mcp.send(&json!({"jsonrpc": "2.0", "method": "test/deaf"})).await;
    expect_session(&mut daemon, 0, "test/deaf").await;

    let tools = mcp.request(json!(1), "tools/list", json!({})).await;
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    expect_session(&mut daemon, 1, "tools/list").await;
    assert!(mcp.stderr().contains("connection lost"), "{}", mcp.stderr());
    let (status, rest) = mcp.finish().await;
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}

/// `pacer-mcp` on `home`, initialized (initialize answered, `notifications/initialized` sent).
async fn initialized_session(home: &Home) -> Mcp {
    let mut mcp = Mcp::spawn(home.path(), |_| {});
    mcp.request(json!(0), "initialize", initialize_params()).await;
    mcp.send(&initialized()).await;
    mcp
}

/// The daemon sees connection `conn` say hello, then initialize, initialized and `method` on it.
async fn expect_session(daemon: &mut FakeDaemon, conn: usize, method: &str) {
    assert_eq!(daemon.expect_hello().await.0, conn);
    for expected in ["initialize", "notifications/initialized", method] {
        let (n, line) = daemon.expect_line().await;
        assert_eq!((n, line["method"].as_str()), (conn, Some(expected)));
    }
}

#[tokio::test]
async fn stdin_eof_waits_for_answers_in_flight() {
    let home = Home::new();
    let mut daemon = FakeDaemon::start(&home.socket(), Greeting::Welcome);
    let mut mcp = Mcp::spawn(home.path(), |_| {});
    mcp.request(json!(0), "initialize", initialize_params()).await;
    mcp.send(&json!({"jsonrpc": "2.0", "id": 9, "method": "test/slow"})).await;
    // The daemon has the request before stdin closes; its answer must still reach stdout.
    while !matches!(daemon.next().await, Seen::Line(_, ref v) if v["method"] == "test/slow") {}
    let (status, rest) = mcp.finish().await;
    assert!(status.success(), "{status}");
    let answers: Vec<serde_json::Value> = rest.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(answers.iter().any(|a| a["id"] == 9 && a["result"]["slow"] == true), "{rest:?}");
}
