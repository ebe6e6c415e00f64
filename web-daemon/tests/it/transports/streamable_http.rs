//! MCP over Streamable HTTP (`POST /mcp`): the protocol, SSE progress, JSON errors, charging.

use base64::Engine;
use chrono::DateTime;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ACCEPT_BOTH, demo, initialize, request, tool_names};
use crate::data::{TOOLS, gpx};
use crate::fixture::{Options, TestDaemon, Web};
use crate::jsonrpc::structured;

/// The JSON-RPC messages of an SSE body (`data:` lines).
fn sse_messages(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .collect()
}

#[test]
fn streamable_http_serves_mcp() {
    let demo = demo();
    let r = demo.mcp_post(&initialize(1, "2025-06-18"), None);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.expect_header("content-type").starts_with("application/json"), "{:?}", r.headers);
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-06-18", "{}", r.text);
    assert_eq!(r.expect_header("x-ratelimit-limit"), "1000");
    r.expect_header("x-ratelimit-remaining").parse::<u32>().unwrap();
    r.expect_header("x-ratelimit-reset").parse::<i64>().unwrap();

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

    // A remote transport may not make the daemon read files from its machine.
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dir.path().join("local.gpx");
    std::fs::write(&local, crate::data::gpx(chrono::Utc::now(), 20, 5, (52.0, 4.0)).0).expect("write");
    let r = demo.mcp_post(
        &request(40, "tools/call", json!({"name": "upload_activity", "arguments": {"path": local}})),
        Some("2025-06-18"),
    );
    assert_eq!(r.json()["error"]["code"], -32602, "{}", r.text);
    assert!(r.text.contains("only be uploaded through pacer-mcp"), "{}", r.text);

    // Progress notifications turn the answer into an SSE stream.
    let (file, _) = gpx(DateTime::from_timestamp(1_760_000_000, 0).expect("start"), 40, 5, (52.0, 4.0));
    let content = base64::engine::general_purpose::STANDARD.encode(file);
    let r = demo.mcp_post(
        &request(5, "tools/call", json!({
            "name": "upload_activity",
            "arguments": {"content_base64": content, "data_type": "gpx", "name": "HTTP upload", "external_id": "http-1"},
            "_meta": {"progressToken": "p-5"},
        })),
        Some("2025-06-18"),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.expect_header("content-type").starts_with("text/event-stream"), "{:?}", r.headers);
    let messages = sse_messages(&r.text);
    assert!(messages.iter().any(|m| m["method"] == "notifications/progress"), "{}", r.text);
    let answer = messages.iter().find(|m| m["id"] == 5).unwrap_or_else(|| panic!("no answer in {}", r.text));
    assert!(structured(answer)["activity_id"].as_u64().is_some(), "{answer}");
}

#[test]
fn streamable_http_errors_are_json() {
    let demo = demo();
    let body = initialize(1, "2025-06-18");

    let r = demo.web.send(demo.web.req(Method::POST, "/mcp").header("Accept", ACCEPT_BOTH).json(&body));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.error_code(), "unauthorized");
    let r = demo.web.send(demo.web.req(Method::POST, "/mcp").header("X-API-Key", "pk_live_nope").json(&body));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);

    for method in [Method::GET, Method::DELETE, Method::PUT] {
        let r = demo.web.send(demo.web.req(method.clone(), "/mcp").header("X-API-Key", &demo.key));
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}: {}", r.text);
        assert_eq!(r.error_code(), "method_not_allowed");
        assert_eq!(r.expect_header("allow"), "POST");
    }

    // rmcp's own refusals come back in the standard error shape.
    let r = demo.web.send(demo.web.req(Method::POST, "/mcp").header("X-API-Key", &demo.key).json(&body));
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE, "{}", r.text);
    assert_eq!(r.error_code(), "not_acceptable");
    let r = demo.web.send(
        demo.web
            .req(Method::POST, "/mcp")
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

#[test]
fn streamable_http_charges_a_tool_call_once() {
    // free tier at 3 per minute: three tool calls fit only if each request is charged once.
    let d =
        TestDaemon::start_with(Options { config_toml: "[limits]\nfree_per_minute = 3\n".into(), ..Default::default() });
    let (_, key) = d.user_with_key("charge@example.com", None, "free");
    let web = Web::new(&d);
    let post = |id: u64| {
        let body = request(id, "tools/call", json!({"name": "get_connection_status", "arguments": {}}));
        let r = web.send(
            web.post("/mcp")
                .header("X-API-Key", &key)
                .header("Accept", ACCEPT_BOTH)
                .header("MCP-Protocol-Version", "2025-06-18")
                .json(&body),
        );
        (r.status, r.header("x-ratelimit-remaining").map(str::to_owned), r.text)
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
