//! MCP 2026-07-28 (stateless: no `initialize`, everything in each request's `_meta`) on
//! `POST /mcp`, `/mcp/ws` and the socket through `pacer-mcp`, beside the older versions; and the
//! transport-level refusals every version shares (malformed JSON, batches, foreign `Origin`).

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{ACCEPT_BOTH, initialize, request, tool_names};
use crate::data::TOOLS;
use crate::fixture::{Options, Reply, TestDaemon, Web};
use crate::mcp_client::McpClient;

const V2026: &str = "2026-07-28";
const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `pacerd::mcp::LIST_TTL_MS`: one hour.
const LIST_TTL_MS: u64 = 3_600_000;

/// The `_meta` every 2026-07-28 request carries.
fn meta() -> Value {
    json!({
        PROTOCOL_VERSION: V2026,
        "io.modelcontextprotocol/clientInfo": {"name": "pacer-it", "version": "0"},
        CLIENT_CAPABILITIES: {},
    })
}

/// A 2026-07-28 request: `params` with the full `_meta`.
fn modern(id: u64, method: &str, mut params: Value) -> Value {
    params["_meta"] = meta();
    request(id, method, params)
}

struct Daemon {
    d: TestDaemon,
    web: Web,
    key: String,
}

fn daemon() -> Daemon {
    let d = TestDaemon::start_with(Options::default());
    let (_, key) = d.user_with_key("modern@example.com", None, "free");
    let web = Web::new(&d);
    Daemon { d, web, key }
}

impl Daemon {
    /// `POST /mcp` with the key, `Accept`, and `headers` (name, value).
    fn post(&self, body: String, headers: &[(&str, &str)]) -> Reply {
        self.post_as(&self.key, body, headers)
    }

    /// [`Self::post`] with another key.
    fn post_as(&self, key: &str, body: String, headers: &[(&str, &str)]) -> Reply {
        let mut req = self
            .web
            .post("/mcp")
            .header("X-API-Key", key)
            .header("Accept", ACCEPT_BOTH)
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.web.send(req)
    }

    /// A 2026-07-28 request with the standard headers (`MCP-Protocol-Version`, `Mcp-Method`, and
    /// `Mcp-Name` for a `name`, `uri` or `taskId`).
    fn modern(&self, message: &Value) -> Reply {
        self.modern_as(&self.key, message)
    }

    /// [`Self::modern`] with another key.
    fn modern_as(&self, key: &str, message: &Value) -> Reply {
        let method = message["method"].as_str().unwrap_or_default();
        let mut headers = vec![("MCP-Protocol-Version", V2026), ("Mcp-Method", method)];
        let params = &message["params"];
        let name = ["name", "uri", "taskId"].iter().find_map(|k| params[*k].as_str());
        if let Some(name) = name {
            headers.push(("Mcp-Name", name));
        }
        self.post_as(key, message.to_string(), &headers)
    }
}

fn error(r: &Reply) -> (i64, String) {
    let v = r.json();
    (v["error"]["code"].as_i64().unwrap_or(0), v["error"]["message"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn http_serves_2026_beside_the_handshake_versions() {
    let d = daemon();

    // server/discover: the supported versions, the capabilities, cache hints.
    let r = d.modern(&modern(1, "server/discover", json!({})));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let discover = &r.json()["result"];
    let versions: Vec<&str> =
        discover["supportedVersions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    for v in ["2025-06-18", "2025-11-25", V2026] {
        assert!(versions.contains(&v), "{v} missing: {discover}");
    }
    assert!(discover["capabilities"]["tools"].is_object() && discover["capabilities"]["prompts"].is_object());
    assert_eq!((discover["ttlMs"].as_u64(), discover["cacheScope"].as_str()), (Some(LIST_TTL_MS), Some("public")));

    // tools/list: the same tools as ever, cacheable for an hour by anyone.
    let r = d.modern(&modern(2, "tools/list", json!({})));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(tool_names(&r.json()), TOOLS);
    let list = &r.json()["result"];
    assert_eq!((list["ttlMs"].as_u64(), list["cacheScope"].as_str()), (Some(LIST_TTL_MS), Some("public")));

    // A tool call, no handshake anywhere.
    let call = modern(3, "tools/call", json!({"name": "get_connection_status", "arguments": {}}));
    let r = d.modern(&call);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["result"]["structuredContent"].is_object(), "{}", r.text);

    // The older generation on the same route: initialize still answers 2025-11-25 at most, and
    // its lists carry no 2026 fields.
    let r = d.post(initialize(4, V2026).to_string(), &[]);
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-11-25", "{}", r.text);
    let r = d.post(request(5, "tools/list", json!({})).to_string(), &[("MCP-Protocol-Version", "2025-06-18")]);
    assert_eq!(tool_names(&r.json()), TOOLS);
    assert!(r.json()["result"].get("ttlMs").is_none(), "{}", r.text);
}

#[test]
fn http_refuses_bad_2026_requests_with_the_right_codes() {
    let d = daemon();

    // A missing `_meta` key: -32602 naming it.
    let mut bare = modern(1, "tools/list", json!({}));
    bare["params"]["_meta"].as_object_mut().map(|m| m.remove(CLIENT_CAPABILITIES));
    let r = d.modern(&bare);
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let (code, message) = error(&r);
    assert_eq!(code, -32602, "{}", r.text);
    assert!(message.contains(CLIENT_CAPABILITIES), "{message}");

    // Headers that contradict the body: -32020.
    let list = modern(2, "tools/list", json!({})).to_string();
    let r = d.post(list.clone(), &[("MCP-Protocol-Version", V2026), ("Mcp-Method", "tools/call")]);
    assert_eq!((r.status, error(&r).0), (StatusCode::BAD_REQUEST, -32020), "{}", r.text);
    let call = modern(3, "tools/call", json!({"name": "get_connection_status", "arguments": {}})).to_string();
    let headers = [("MCP-Protocol-Version", V2026), ("Mcp-Method", "tools/call"), ("Mcp-Name", "disconnect_provider")];
    let r = d.post(call, &headers);
    assert_eq!((r.status, error(&r).0), (StatusCode::BAD_REQUEST, -32020), "{}", r.text);
    let r = d.post(list, &[("MCP-Protocol-Version", "2025-11-25"), ("Mcp-Method", "tools/list")]);
    assert_eq!(
        (r.status, error(&r).0),
        (StatusCode::BAD_REQUEST, -32020),
        "header and _meta versions differ: {}",
        r.text
    );

    // A version pacer does not speak: -32022 with the supported list.
    let mut future = modern(4, "tools/list", json!({}));
    future["params"]["_meta"][PROTOCOL_VERSION] = json!("2099-01-01");
    let r = d.post(future.to_string(), &[("MCP-Protocol-Version", "2099-01-01"), ("Mcp-Method", "tools/list")]);
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(error(&r).0, -32022, "{}", r.text);
    let supported = r.json()["error"]["data"]["supported"].clone();
    assert!(supported.as_array().is_some_and(|s| s.contains(&json!(V2026))), "{}", r.text);

    // An unknown method: 404 with -32601.
    let r = d.modern(&modern(5, "activities/teleport", json!({})));
    assert_eq!((r.status, error(&r).0), (StatusCode::NOT_FOUND, -32601), "{}", r.text);
}

#[test]
fn http_refuses_what_is_not_one_json_rpc_message_and_foreign_origins() {
    let d = daemon();
    let version = [("MCP-Protocol-Version", "2025-11-25")];

    // Not JSON: 400 with -32700; a batch or no JSON-RPC message at all: 400 with -32600.
    for (body, code) in [
        ("{\"jsonrpc\": \"2.0\", \"id\": 1,", -32700),
        ("not json", -32700),
        ("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}]", -32600),
        ("{\"hello\": \"world\"}", -32600),
    ] {
        let r = d.post(body.to_owned(), &version);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(error(&r).0, code, "{body}: {}", r.text);
        assert_eq!(r.json()["jsonrpc"], "2.0", "a JSON-RPC error, not the REST shape: {}", r.text);
    }

    // Origin: this daemon's own (scheme, host and port) passes; any other is 403 before the
    // key is even looked at.
    let list = request(1, "tools/list", json!({})).to_string();
    let own = d.d.http_url.clone();
    let port = own.rsplit(':').next().unwrap_or_default().to_owned();
    let r = d.post(list.clone(), &[("MCP-Protocol-Version", "2025-11-25"), ("Origin", &own)]);
    assert_eq!(r.status, StatusCode::OK, "own origin: {}", r.text);
    let other_port = format!("http://localhost:{}", port.parse::<u16>().unwrap_or(1).wrapping_add(1));
    for origin in ["https://evil.example", "null", other_port.as_str()] {
        let r = d.post(list.clone(), &[("Origin", origin)]);
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden".into()), "{origin}: {}", r.text);
    }
    let r = d.web.send(
        d.web.post("/mcp").header("Origin", "https://evil.example").header("Accept", ACCEPT_BOTH).json(&json!({})),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no key, foreign origin: {}", r.text);
}

#[test]
fn websocket_speaks_2026_and_nulls_unknown_ids() {
    let d = daemon();
    let url = format!("{}/mcp/ws", d.web.base.replacen("http://", "ws://", 1));
    d.web.block_on(async {
        let mut req = url.as_str().into_client_request().expect("request");
        req.headers_mut().insert("X-API-Key", d.key.parse().expect("key"));
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
        let mut exchange = async |text: String| -> Value {
            ws.send(Message::Text(text.into())).await.expect("send");
            loop {
                match ws.next().await.expect("open").expect("frame") {
                    Message::Text(t) => {
                        let v: Value = serde_json::from_str(&t).expect("json");
                        if v.get("method").is_none() {
                            return v;
                        }
                    }
                    _ => continue,
                }
            }
        };

        // No handshake: the first message is a 2026 request.
        let r = exchange(modern(1, "tools/list", json!({})).to_string()).await;
        assert_eq!(tool_names(&r), TOOLS, "{r}");
        assert_eq!(r["result"]["ttlMs"].as_u64(), Some(LIST_TTL_MS), "{r}");
        let r = exchange(modern(2, "server/discover", json!({})).to_string()).await;
        assert!(r["result"]["supportedVersions"].as_array().is_some_and(|v| v.contains(&json!(V2026))), "{r}");
        let r = exchange(
            modern(3, "prompts/get", json!({"name": "weekly_review", "arguments": {"weeks": "2"}})).to_string(),
        )
        .await;
        let text = r["result"]["messages"][0]["content"]["text"].as_str().unwrap_or_default().to_owned();
        assert!(text.contains("get_weekly_summary with weeks=2"), "{r}");

        // Errors whose request id is unknown carry "id": null.
        for bad in ["{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"tools/list\"}", "[1,2]", "not json"] {
            let r = exchange(bad.to_owned()).await;
            assert!(r.get("error").is_some(), "{bad}: {r}");
            assert_eq!(r.get("id"), Some(&Value::Null), "{bad}: {r}");
        }
        // ... and the session still works.
        let r = exchange(modern(4, "tools/list", json!({})).to_string()).await;
        assert_eq!(r["id"], 4, "{r}");
    });
}

#[test]
fn pacer_mcp_relays_2026_requests() {
    let d = daemon();
    let mut client = McpClient::start(d.d.home(), Some(&d.key), &[]);

    // No initialize: pacer-mcp copies the 2026 lines both ways.
    let r = client.request("server/discover", json!({"_meta": meta()}));
    assert!(r["result"]["supportedVersions"].as_array().is_some_and(|v| v.contains(&json!(V2026))), "{r}");
    let r = client.request("tools/list", json!({"_meta": meta()}));
    assert_eq!(tool_names(&r), TOOLS, "{r}");
    assert_eq!(r["result"]["cacheScope"], "public", "{r}");
    let r = client.request("tools/call", json!({"_meta": meta(), "name": "get_connection_status", "arguments": {}}));
    assert!(r["result"]["structuredContent"].is_object(), "{r}");
    let r = client.request("tools/list", json!({"_meta": {PROTOCOL_VERSION: V2026}}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(r["error"]["message"].as_str().unwrap_or_default().contains(CLIENT_CAPABILITIES), "{r}");
    let r = client.request("activities/teleport", json!({"_meta": meta()}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
}

/// `_meta` declaring the Tasks extension in the client capabilities.
fn meta_with_tasks() -> Value {
    let mut m = meta();
    m[CLIENT_CAPABILITIES] = json!({"extensions": {"io.modelcontextprotocol/tasks": {}}});
    m
}

#[test]
fn uploads_run_as_tasks_for_clients_that_declare_them() {
    use base64::Engine;
    let d = daemon();
    let (_, other_key) = d.d.user_with_key("other@example.com", None, "free");
    let upload = |key: &str, id: u64, external: &str, meta: Value| {
        let start = chrono::DateTime::from_timestamp(1_760_000_000 + id as i64 * 86_400, 0).expect("start");
        let content = base64::engine::general_purpose::STANDARD.encode(crate::data::gpx(start, 40, 5, (52.0, 4.0)).0);
        let args =
            json!({"content_base64": content, "data_type": "gpx", "name": "Task upload", "external_id": external});
        let mut message = request(id, "tools/call", json!({"name": "upload_activity", "arguments": args}));
        message["params"]["_meta"] = meta;
        d.modern_as(key, &message)
    };

    // Declared: the call answers at once with a task, polled with tasks/get until it completes.
    let r = upload(&d.key, 1, "task-1", meta_with_tasks());
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let created = r.json()["result"].clone();
    assert_eq!(created["resultType"], "task", "{created}");
    let task_id = created["taskId"].as_str().unwrap_or_else(|| panic!("no taskId: {created}")).to_owned();
    let get = |id: u64, meta: Value| {
        let mut message = request(id, "tasks/get", json!({"taskId": task_id}));
        message["params"]["_meta"] = meta;
        d.modern(&message)
    };
    let mut done = Value::Null;
    for attempt in 0..600 {
        let r = get(10 + attempt, meta_with_tasks());
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let task = r.json()["result"].clone();
        match task["status"].as_str() {
            Some("working") => std::thread::sleep(std::time::Duration::from_millis(50)),
            _ => {
                done = task;
                break;
            }
        }
    }
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["result"]["structuredContent"]["activity_id"].as_u64().is_some(), "{done}");
    let status = done["statusMessage"].as_str().unwrap_or_default();
    assert!(status.starts_with("importing"), "the tool's progress is the task's status: {done}");

    // Another person cannot see it; a client that does not declare the extension cannot ask.
    let mut message = request(2, "tasks/get", json!({"taskId": task_id}));
    message["params"]["_meta"] = meta_with_tasks();
    let r = d.modern_as(&other_key, &message);
    assert_eq!(error(&r).0, -32602, "another user's task is unknown: {}", r.text);
    let r = get(3, meta());
    assert_eq!(error(&r).0, -32021, "tasks/get without the extension: {}", r.text);

    // Not declared: the same tool is a plain call. (Another person uploads: a second own-data
    // upload by the same person currently fails on a duplicate activity id, a separate bug.)
    let r = upload(&other_key, 4, "task-2", meta());
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let answer = r.json();
    assert!(answer["result"]["structuredContent"]["activity_id"].as_u64().is_some(), "{answer}");
}
