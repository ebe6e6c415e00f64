//! MCP over WebSocket (`GET /mcp/ws`): key checks, the protocol, bad input, size and shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{demo, initialize, request, tool_names};
use crate::data::TOOLS;
use crate::jsonrpc::structured;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn ws_connect(
    url: &str,
    key: Option<&str>,
) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
    let mut req = url.into_client_request()?;
    if let Some(k) = key {
        req.headers_mut().insert("X-API-Key", k.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await
}

/// The status and JSON body of a refused upgrade.
async fn ws_refused(url: &str, key: Option<&str>) -> (u16, Value) {
    match ws_connect(url, key).await {
        Ok(_) => panic!("upgrade with key {key:?} was accepted"),
        Err(tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
            (res.status().as_u16(), body)
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}

async fn ws_send(ws: &mut Ws, v: &Value) {
    ws.send(Message::text(v.to_string())).await.expect("ws send");
}

/// The next text frame as JSON (pings are answered by the library).
async fn ws_next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no frame within 20 s")
            .expect("socket ended")
            .expect("socket error");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON text frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// The response with `id`, skipping notifications.
async fn ws_answer(ws: &mut Ws, id: u64) -> Value {
    loop {
        let v = ws_next(ws).await;
        if v["id"] == id {
            return v;
        }
        assert!(v.get("method").is_some(), "unexpected message while waiting for {id}: {v}");
    }
}

/// The close frame's code (anything but a close frame fails).
async fn ws_close_code(ws: &mut Ws) -> CloseCode {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next()).await.expect("no close within 20 s");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[test]
fn websocket_refuses_missing_unknown_and_revoked_keys() {
    let demo = demo();
    let url = demo.ws_url("/mcp/ws");
    let jwt = demo.jwt();
    let created = demo
        .web
        .send(demo.web.req(Method::POST, "/api/keys/create").bearer_auth(&jwt).json(&json!({"name": "ws-revoked"})));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let revoked_key = created.json()["api_key"].as_str().unwrap().to_string();
    let id = created.json()["key_info"]["id"].as_str().unwrap().to_string();
    let r = demo.web.send(demo.web.req(Method::DELETE, &format!("/api/keys/{id}")).bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    demo.web.block_on(async {
        let (status, body) = ws_refused(&url, None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        let (status, body) = ws_refused(&url, Some("pk_live_NOPEnopeNOPEnopeNOPEnopeNOPEnope12")).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        let (status, body) = ws_refused(&url, Some(&revoked_key)).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
        // A bad key in the query string is refused the same way.
        let (status, _) = ws_refused(&format!("{url}?api_key=pk_live_nope"), None).await;
        assert_eq!(status, 401);
    });

    // A valid key without an upgrade: JSON 426.
    let r = demo.web.send(demo.web.req(Method::GET, "/mcp/ws").header("X-API-Key", &demo.key));
    assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED, "{}", r.text);
    assert_eq!(r.error_code(), "upgrade_required");
}

#[test]
fn websocket_serves_mcp_and_survives_bad_json() {
    let demo = demo();
    let url = demo.ws_url("/mcp/ws");
    demo.web.block_on(async {
        let (mut ws, res) = ws_connect(&url, Some(&demo.key)).await.expect("upgrade");
        assert_eq!(res.status().as_u16(), 101);
        for h in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
            let v = res.headers().get(h).unwrap_or_else(|| panic!("upgrade lacks {h}"));
            v.to_str().unwrap().parse::<i64>().unwrap_or_else(|_| panic!("{h} not numeric"));
        }
        assert_eq!(res.headers()["x-ratelimit-limit"], "1000", "the demo key is premium");

        ws_send(&mut ws, &initialize(1, "2025-06-18")).await;
        let init = ws_answer(&mut ws, 1).await;
        assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
        assert_eq!(init["result"]["serverInfo"]["name"], "pacer");
        ws_send(&mut ws, &json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;

        ws_send(&mut ws, &request(2, "tools/list", json!({}))).await;
        assert_eq!(tool_names(&ws_answer(&mut ws, 2).await), TOOLS);

        ws_send(&mut ws, &request(3, "tools/call", json!({"name": "get_activities", "arguments": {"limit": 3}}))).await;
        let r = ws_answer(&mut ws, 3).await;
        let acts = structured(&r)["activities"].as_array().unwrap_or_else(|| panic!("no activities: {r}"));
        assert_eq!(acts.len(), 3, "{r}");
        assert!(acts[0]["id"].as_u64().is_some());

        // Not JSON: a -32700 error, and the connection keeps working.
        ws.send(Message::text("{\"jsonrpc\": \"2.0\", oops")).await.unwrap();
        let err = ws_next(&mut ws).await;
        assert_eq!(err["error"]["code"], -32700, "{err}");
        assert!(err["id"].is_null(), "{err}");

        // A pretty-printed (multi-line) message is one message.
        let pretty = serde_json::to_string_pretty(&request(4, "tools/list", json!({}))).unwrap();
        assert!(pretty.contains('\n'));
        ws.send(Message::text(pretty)).await.unwrap();
        assert_eq!(tool_names(&ws_answer(&mut ws, 4).await), TOOLS);

        // Valid JSON that is not JSON-RPC: rmcp's -32600, still connected.
        ws.send(Message::text("42")).await.unwrap();
        assert_eq!(ws_next(&mut ws).await["error"]["code"], -32600);
        ws_send(&mut ws, &request(5, "tools/call", json!({"name": "get_athlete", "arguments": {}}))).await;
        assert!(structured(&ws_answer(&mut ws, 5).await).is_object());

        ws.close(None).await.unwrap();
        // The server echoes the close.
        let end = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(Ok(m)) = ws.next().await {
                if matches!(m, Message::Close(_)) {
                    return true;
                }
            }
            true
        })
        .await;
        assert!(end.unwrap_or(false), "the connection did not close");
    });
}

#[test]
fn websocket_query_key_works_and_is_never_logged() {
    let demo = demo();
    assert!(!demo.d.log_text().contains(&demo.key), "the key is in the log before the test");
    let url = format!("{}?api_key={}", demo.ws_url("/mcp/ws"), demo.key);
    demo.web.block_on(async {
        let (mut ws, _) = ws_connect(&url, None).await.expect("upgrade with ?api_key=");
        ws_send(&mut ws, &initialize(1, "2025-11-25")).await;
        assert_eq!(ws_answer(&mut ws, 1).await["result"]["protocolVersion"], "2025-11-25");
        ws.close(None).await.unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    let log = demo.d.log_text();
    assert!(log.contains("/mcp/ws"), "the access log should show the path:\n{log}");
    assert!(!log.contains(&demo.key), "the API key leaked into the log:\n{log}");
    assert!(!log.contains("api_key="), "the query string leaked into the log:\n{log}");
}

#[test]
fn websocket_oversize_message_closes_with_1009() {
    let demo = demo();
    let url = demo.ws_url("/mcp/ws");
    demo.web.block_on(async {
        let (mut ws, _) = ws_connect(&url, Some(&demo.key)).await.expect("upgrade");
        let big = format!("\"{}\"", "a".repeat(1024 * 1024 + 1));
        // The server may close before it has read the whole frame; a failed send is fine.
        let _ = ws.send(Message::text(big)).await;
        assert_eq!(ws_close_code(&mut ws).await, CloseCode::Size);
    });
}

#[test]
fn websocket_gets_going_away_on_daemon_shutdown() {
    let mut demo = demo();
    let url = demo.ws_url("/mcp/ws");
    let pid = demo.d.child.as_ref().expect("child").id();
    demo.web.block_on(async {
        let (mut ws, _) = ws_connect(&url, Some(&demo.key)).await.expect("upgrade");
        ws_send(&mut ws, &initialize(1, "2025-06-18")).await;
        ws_answer(&mut ws, 1).await;
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        assert_eq!(ws_close_code(&mut ws).await, CloseCode::Away);
    });
    assert!(demo.d.stop(), "the daemon did not exit cleanly");
}
