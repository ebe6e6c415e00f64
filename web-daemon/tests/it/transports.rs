//! The HTTP-side transports against a real `pacerd demo` (sandbox Strava, connected demo user):
//! MCP over WebSocket (`GET /mcp/ws`), MCP over Streamable HTTP (`POST /mcp`), and the web page
//! (`/`, its assets and the JSON routes it uses).

use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::fixture::{Options, TestDaemon, http};

const TOOLS: [&str; 9] = [
    "connect_provider",
    "disconnect_provider",
    "get_activities",
    "get_activity",
    "get_activity_streams",
    "get_athlete",
    "get_athlete_stats",
    "get_connection_status",
    "upload_activity",
];
const ACCEPT_BOTH: &str = "application/json, text/event-stream";

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Demo {
    d: TestDaemon,
    key: String,
    email: String,
    password: String,
    rt: tokio::runtime::Runtime,
}

fn demo() -> Demo {
    let d = TestDaemon::start_with(Options { demo: true, sandbox: true, ..Default::default() });
    let facts = d.demo_facts();
    let s = |k: &str| facts[k].as_str().unwrap_or_else(|| panic!("demo.json lacks {k}")).to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    Demo { key: s("api_key"), email: s("email"), password: s("password"), d, rt }
}

/// One HTTP response, fully read.
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
    }
    fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_string()
    }
}

impl Demo {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.d.http_url)
    }
    fn ws_url(&self, path: &str) -> String {
        self.url(path).replacen("http://", "ws://", 1)
    }
    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        http().request(method, self.url(path))
    }
    fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        self.rt.block_on(async {
            let res = req.send().await.expect("request");
            let (status, headers) = (res.status(), res.headers().clone());
            Reply { status, headers, text: res.text().await.expect("body") }
        })
    }
    /// Logs in; returns the `pacer_session=…` cookie pair.
    fn login_cookie(&self) -> String {
        let r = self.send(
            self.req(Method::POST, "/api/auth/login").json(&json!({"email": self.email, "password": self.password})),
        );
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let set = r.header("set-cookie");
        let pair = set.split(';').next().unwrap().to_string();
        assert!(pair.starts_with("pacer_session=") && pair.len() > 20, "{set}");
        pair
    }
    /// A JWT for the demo user.
    fn jwt(&self) -> String {
        self.login_cookie().trim_start_matches("pacer_session=").to_string()
    }
    /// `POST /mcp` with the demo key.
    fn mcp_post(&self, message: &Value, version: Option<&str>) -> Reply {
        let mut req =
            self.req(Method::POST, "/mcp").header("X-API-Key", &self.key).header("Accept", ACCEPT_BOTH).json(message);
        if let Some(v) = version {
            req = req.header("MCP-Protocol-Version", v);
        }
        self.send(req)
    }
}

fn initialize(id: u64, version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "pacer-it", "version": "0"},
    }})
}

fn request(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn tool_names(r: &Value) -> Vec<String> {
    let mut names: Vec<String> = r["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {r}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn structured(r: &Value) -> &Value {
    assert!(r.get("error").is_none(), "unexpected error: {r}");
    assert_ne!(r["result"]["isError"], true, "tool error: {r}");
    &r["result"]["structuredContent"]
}

// ---------------------------------------------------------------------------------------------
// WebSocket

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
    let created =
        demo.send(demo.req(Method::POST, "/api/keys/create").bearer_auth(&jwt).json(&json!({"name": "ws-revoked"})));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let revoked_key = created.json()["api_key"].as_str().unwrap().to_string();
    let id = created.json()["key_info"]["id"].as_str().unwrap().to_string();
    let r = demo.send(demo.req(Method::DELETE, &format!("/api/keys/{id}")).bearer_auth(&jwt));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    demo.rt.block_on(async {
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
    let r = demo.send(demo.req(Method::GET, "/mcp/ws").header("X-API-Key", &demo.key));
    assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED, "{}", r.text);
    assert_eq!(r.error_code(), "upgrade_required");
}

#[test]
fn websocket_serves_mcp_and_survives_bad_json() {
    let demo = demo();
    let url = demo.ws_url("/mcp/ws");
    demo.rt.block_on(async {
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
    demo.rt.block_on(async {
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
    demo.rt.block_on(async {
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
    demo.rt.block_on(async {
        let (mut ws, _) = ws_connect(&url, Some(&demo.key)).await.expect("upgrade");
        ws_send(&mut ws, &initialize(1, "2025-06-18")).await;
        ws_answer(&mut ws, 1).await;
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        assert_eq!(ws_close_code(&mut ws).await, CloseCode::Away);
    });
    assert!(demo.d.stop(), "the daemon did not exit cleanly");
}

// ---------------------------------------------------------------------------------------------
// Streamable HTTP

/// The JSON-RPC messages of an SSE body (`data:` lines).
fn sse_messages(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .collect()
}

fn gpx(points: usize, start_epoch: i64) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="pacer-it" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>WS run</name><type>running</type><trkseg>"#,
    );
    for i in 0..points {
        let t = chrono::DateTime::from_timestamp(start_epoch + i as i64 * 5, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        s.push_str(&format!(
            r#"<trkpt lat="{:.6}" lon="4.000000"><ele>10.0</ele><time>{t}</time></trkpt>"#,
            52.0 + i as f64 * 0.0001
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    s
}

#[test]
fn streamable_http_serves_mcp() {
    let demo = demo();
    let r = demo.mcp_post(&initialize(1, "2025-06-18"), None);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("content-type").starts_with("application/json"), "{:?}", r.headers);
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-06-18", "{}", r.text);
    assert_eq!(r.header("x-ratelimit-limit"), "1000");
    r.header("x-ratelimit-remaining").parse::<u32>().unwrap();
    r.header("x-ratelimit-reset").parse::<i64>().unwrap();

    let r = demo.mcp_post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), Some("2025-06-18"));
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);

    let r = demo.mcp_post(&request(2, "tools/list", json!({})), Some("2025-06-18"));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(tool_names(&r.json()), TOOLS);

    let r = demo.mcp_post(
        &request(3, "tools/call", json!({"name": "get_activities", "arguments": {"limit": 2}})),
        Some("2025-06-18"),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(structured(&r.json())["activities"].as_array().map(Vec::len), Some(2), "{}", r.text);

    // Bad arguments: a JSON-RPC error naming the field, over HTTP 200.
    let r = demo.mcp_post(
        &request(4, "tools/call", json!({"name": "get_activities", "arguments": {"limit": 0}})),
        Some("2025-06-18"),
    );
    assert_eq!(r.json()["error"]["code"], -32602, "{}", r.text);
    assert!(r.json()["error"]["message"].as_str().unwrap_or_default().contains("limit"), "{}", r.text);

    // Progress notifications turn the answer into an SSE stream.
    let content = base64::engine::general_purpose::STANDARD.encode(gpx(40, 1_760_000_000));
    let r = demo.mcp_post(
        &request(5, "tools/call", json!({
            "name": "upload_activity",
            "arguments": {"content_base64": content, "data_type": "gpx", "name": "HTTP upload", "external_id": "http-1"},
            "_meta": {"progressToken": "p-5"},
        })),
        Some("2025-06-18"),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("content-type").starts_with("text/event-stream"), "{:?}", r.headers);
    let messages = sse_messages(&r.text);
    assert!(messages.iter().any(|m| m["method"] == "notifications/progress"), "{}", r.text);
    let answer = messages.iter().find(|m| m["id"] == 5).unwrap_or_else(|| panic!("no answer in {}", r.text));
    assert!(structured(answer)["activity_id"].as_u64().is_some(), "{answer}");
}

#[test]
fn streamable_http_errors_are_json() {
    let demo = demo();
    let body = initialize(1, "2025-06-18");

    let r = demo.send(demo.req(Method::POST, "/mcp").header("Accept", ACCEPT_BOTH).json(&body));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.error_code(), "unauthorized");
    let r = demo.send(demo.req(Method::POST, "/mcp").header("X-API-Key", "pk_live_nope").json(&body));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);

    for method in [Method::GET, Method::DELETE, Method::PUT] {
        let r = demo.send(demo.req(method.clone(), "/mcp").header("X-API-Key", &demo.key));
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}: {}", r.text);
        assert_eq!(r.error_code(), "method_not_allowed");
        assert_eq!(r.header("allow"), "POST");
    }

    // rmcp's own refusals come back in the standard error shape.
    let r = demo.send(demo.req(Method::POST, "/mcp").header("X-API-Key", &demo.key).json(&body));
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE, "{}", r.text);
    assert_eq!(r.error_code(), "not_acceptable");
    let r = demo.send(
        demo.req(Method::POST, "/mcp")
            .header("X-API-Key", &demo.key)
            .header("Accept", ACCEPT_BOTH)
            .header("Content-Type", "text/plain")
            .body(body.to_string()),
    );
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(r.error_code(), "unsupported_media_type");

    // Bigger than the app-wide 64 KiB JSON cap, smaller than the /mcp cap: accepted.
    let padding = "x".repeat(200 * 1024);
    let big = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {"_meta": {"pad": padding}}});
    let r = demo.mcp_post(&big, Some("2025-06-18"));
    assert_eq!(r.status, StatusCode::OK, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(tool_names(&r.json()), TOOLS);
}

// ---------------------------------------------------------------------------------------------
// Web page

#[test]
fn web_page_signs_in_and_manages_the_connection() {
    let demo = demo();

    let r = demo.send(demo.req(Method::GET, "/"));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.text.contains("id=\"login-form\""), "{}", r.text);
    assert!(r.header("content-security-policy").contains("default-src 'none'"));
    assert_eq!(r.header("cache-control"), "no-store");
    for (path, ty) in [("/static/pacer.css", "text/css"), ("/static/pacer.js", "text/javascript")] {
        let r = demo.send(demo.req(Method::GET, path));
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.header("content-type").starts_with(ty), "{path}");
        assert!(r.text.len() > 500, "{path}");
    }
    // A stale or forged cookie shows the form too.
    let r = demo.send(demo.req(Method::GET, "/").header("Cookie", "pacer_session=forged"));
    assert!(r.text.contains("id=\"login-form\""));

    let cookie = demo.login_cookie();
    let r = demo.send(demo.req(Method::GET, "/").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("id=\"login-form\""), "{}", r.text);
    assert!(r.text.contains(&demo.email), "the page names the user");
    assert!(r.text.contains("API keys") && r.text.contains("Connect Strava"));
    assert!(r.text.contains(&format!("{}/mcp", demo.d.http_url)));
    assert!(!r.text.contains("{{"), "unfilled placeholder");

    // The JSON the page uses.
    let r = demo.send(demo.req(Method::GET, "/api/connection"));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");
    let r = demo.send(demo.req(Method::GET, "/api/connection").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = r.json();
    assert_eq!(c["connected"], true, "{c}");
    assert!(c["athlete_id"].as_u64().is_some(), "{c}");
    assert!(c["scopes"].as_array().is_some_and(|s| !s.is_empty()), "{c}");
    assert!(c["expires_at"].as_str().is_some_and(|s| s.ends_with('Z')), "{c}");
    assert!(!r.text.contains("token\""), "no token in {c}");
    let r = demo.send(demo.req(Method::GET, "/api/keys/list").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.json()["keys"].as_array().unwrap().is_empty());

    // Connect Strava: the browser follows a redirect to the provider, authenticated by the cookie.
    let r = demo.send(demo.req(Method::GET, "/oauth/strava/authorize").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
    assert!(r.header("location").contains("/oauth/authorize"), "{}", r.header("location"));

    let r = demo.send(demo.req(Method::DELETE, "/api/connection").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["was_connected"], true);
    let r = demo.send(demo.req(Method::GET, "/api/connection").header("Cookie", &cookie));
    assert_eq!(r.json()["connected"], false, "{}", r.text);
    assert!(r.json()["athlete_id"].is_null());

    let r = demo.send(demo.req(Method::POST, "/api/auth/logout").header("Cookie", &cookie));
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let set = r.header("set-cookie");
    assert!(set.starts_with("pacer_session=;") && set.contains("Max-Age=0"), "{set}");

    let r = demo.send(demo.req(Method::GET, "/api/openapi.json"));
    let doc = r.json();
    for (path, method) in [
        ("/mcp/ws", "get"),
        ("/mcp", "post"),
        ("/", "get"),
        ("/static/pacer.css", "get"),
        ("/static/pacer.js", "get"),
        ("/api/connection", "get"),
        ("/api/connection", "delete"),
        ("/api/auth/logout", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{path} {method} missing from OpenAPI");
    }
}

#[test]
fn streamable_http_charges_a_tool_call_once() {
    // free tier at 3 per minute: three tool calls fit only if each request is charged once.
    let d =
        TestDaemon::start_with(Options { config_toml: "[limits]\nfree_per_minute = 3\n".into(), ..Default::default() });
    let (_, key) = d.user_with_key("charge@example.com", None, "free");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let post = |id: u64| {
        let body = request(id, "tools/call", json!({"name": "get_connection_status", "arguments": {}}));
        rt.block_on(async {
            let res = crate::fixture::http()
                .post(format!("{}/mcp", d.http_url))
                .header("X-API-Key", &key)
                .header("Accept", ACCEPT_BOTH)
                .header("MCP-Protocol-Version", "2025-06-18")
                .json(&body)
                .send()
                .await
                .expect("post");
            let status = res.status();
            let remaining = res.headers().get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()).map(str::to_owned);
            (status, remaining, res.text().await.unwrap_or_default())
        })
    };
    for (id, left) in [(1, "2"), (2, "1"), (3, "0")] {
        let (status, remaining, text) = post(id);
        assert_eq!(status, StatusCode::OK, "{text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["result"]["structuredContent"]["connected"], false, "{text}");
        assert_eq!(remaining.as_deref(), Some(left), "{text}");
    }
    let (status, _, text) = post(4);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
}
