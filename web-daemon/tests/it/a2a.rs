//! A2A against a real `pacerd demo` (sandbox Strava): the agent registry with tenant isolation,
//! pacer's agent card, and JSON-RPC `SendMessage` / `GetTask` running the MCP tools as skills, in
//! A2A 0.3's wire shapes (1.0's: `a2a_v1.rs`).

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::fixture::{Options, TestDaemon, http};
use crate::jsonrpc::error_code;

/// A demo daemon, its key, and a key of user `b@example.com` in tenant `other`.
pub(crate) fn demo() -> (TestDaemon, String, String) {
    let d = TestDaemon::start_with(Options { demo: true, sandbox: true, ..Default::default() });
    let key = d.demo_facts()["api_key"].as_str().expect("api_key").to_string();
    let (_, other) = d.user_with_key("b@example.com", Some("other"), "free");
    (d, key, other)
}

pub(crate) struct Client {
    pub(crate) base: String,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Client {
    pub(crate) fn new(d: &TestDaemon) -> Self {
        let base = d.demo_facts()["http_url"].as_str().map_or_else(|| d.http_url.clone(), str::to_string);
        Self::at(base)
    }

    /// A client for a daemon that is not a demo.
    fn at(base: String) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Self { base, rt, http: http() }
    }

    pub(crate) fn req(&self, method: Method, path: &str, key: Option<&str>) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match key {
            Some(k) => req.header("X-API-Key", k),
            None => req,
        }
    }

    pub(crate) fn send(&self, req: RequestBuilder) -> (StatusCode, Value) {
        self.rt.block_on(async {
            let res = req.send().await.expect("request");
            let status = res.status();
            let bytes = res.bytes().await.expect("body");
            (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        })
    }

    pub(crate) fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        self.send(self.req(Method::GET, path, key))
    }

    fn register(&self, key: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(Method::POST, "/a2a/register", Some(key)).json(&body))
    }

    /// One JSON-RPC call; asserts HTTP 200 and returns the JSON-RPC response.
    pub(crate) fn rpc(&self, key: &str, method: &str, params: Value) -> Value {
        self.rpc_as(None, key, method, params)
    }

    /// One JSON-RPC call with an `A2A-Version` header (when `version` is given).
    pub(crate) fn rpc_as(&self, version: Option<&str>, key: &str, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": "req-1", "method": method, "params": params});
        let mut req = self.req(Method::POST, "/a2a", Some(key)).json(&body);
        if let Some(v) = version {
            req = req.header("A2A-Version", v);
        }
        let (status, reply) = self.send(req);
        assert_eq!(status, StatusCode::OK, "{reply}");
        assert_eq!((reply["jsonrpc"].as_str(), reply["id"].as_str()), (Some("2.0"), Some("req-1")), "{reply}");
        reply
    }

    /// A2A 0.3 `message/send`.
    fn send_message(&self, key: &str, parts: Value) -> Value {
        let message = json!({"role": "user", "messageId": "m-1", "kind": "message", "parts": parts});
        self.rpc(key, "message/send", json!({ "message": message }))
    }
}

pub(crate) fn result(reply: &Value) -> &Value {
    assert!(reply.get("error").is_none(), "unexpected error: {reply}");
    &reply["result"]
}

/// The data part of a completed task's first artifact.
fn data_part(task: &Value) -> &Value {
    assert_eq!(task["status"]["state"], "completed", "{task}");
    let parts = task["artifacts"][0]["parts"].as_array().expect("parts");
    let part = parts.iter().find(|p| p["kind"] == "data").unwrap_or_else(|| panic!("no data part: {task}"));
    &part["data"]
}

fn agent(id: &str, capabilities: &[&str]) -> Value {
    json!({
        "agent_id": id,
        "capabilities": capabilities,
        "metadata": {
            "name": format!("Agent {id}"),
            "version": "1.0.0",
            "description": "Real-time fitness analytics",
            "endpoints": ["/webhook/activity", "/analytics/summary"],
            "schemas": {"summary": {"type": "object"}},
            "team": "coaching"
        }
    })
}

#[test]
fn registry_register_discover_card_and_tenant_isolation() {
    let (d, key, other) = demo();
    let c = Client::new(&d);

    // Register: 201 with the seed flow's shape.
    let (status, body) = c.register(
        &key,
        json!({
            "agent_id": "discord-bot-001",
            "capabilities": ["webhook", "notification"],
            "metadata": {"name": "Discord Training Bot", "version": "1.0.0"}
        }),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["agent_id"].as_str(), body["status"].as_str()), (Some("discord-bot-001"), Some("registered")));
    let at = body["registered_at"].as_str().expect("registered_at");
    chrono::DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{at} is not RFC 3339: {e}"));

    // Duplicate id in the same tenant → 409; bad or missing key → 401.
    let (status, body) = c.register(&key, agent("discord-bot-001", &["other"]));
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let bad_key = "pk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(c.register(bad_key, agent("x", &[])).0, StatusCode::UNAUTHORIZED);
    let (status, _) = c.send(c.req(Method::POST, "/a2a/register", None).json(&agent("x", &[])));
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Bad input → 400 naming the field.
    let too_many: Vec<String> = (0..33).map(|i| format!("c{i}")).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    for (body, field) in [
        (agent("has space", &[]), "agent_id"),
        (agent(&"x".repeat(101), &[]), "agent_id"),
        (agent("ok-id", &refs), "capabilities"),
        (json!({"agent_id": "ok-id", "metadata": {"version": "1"}}), "metadata.name"),
        (json!({"agent_id": "ok-id", "metadata": {"name": "n"}}), "metadata.version"),
        (json!({"agent_id": "ok-id"}), "metadata"),
    ] {
        let (status, reply) = c.register(&key, body);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
        let message = reply["error"]["message"].as_str().expect("message");
        assert!(message.starts_with(&format!("{field}:")), "{field}: {message}");
    }

    // Discover by capability, within the tenant.
    assert_eq!(c.register(&key, agent("analytics-001", &["webhook", "analytics"])).0, StatusCode::CREATED);
    let ids = |v: &Value| -> Vec<String> {
        v["agents"].as_array().expect("agents").iter().map(|a| a["agent_id"].as_str().unwrap().to_string()).collect()
    };
    let (status, found) = c.get("/a2a/agents/discover?capability=webhook", Some(&key));
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(ids(&found), ["discord-bot-001", "analytics-001"]);
    let (_, found) = c.get("/a2a/agents/discover?capability=analytics", Some(&key));
    assert_eq!(ids(&found), ["analytics-001"]);
    let analytics = &found["agents"][0];
    assert_eq!(analytics["capabilities"], json!(["analytics", "webhook"]));
    assert_eq!(analytics["metadata"]["name"], "Agent analytics-001");
    assert_eq!(analytics["metadata"]["team"], "coaching", "extra metadata is kept");
    let (_, found) = c.get("/a2a/agents/discover?capability=nothing-has-this", Some(&key));
    assert_eq!(found, json!({"agents": []}));
    let (_, all) = c.get("/a2a/agents/discover", Some(&key));
    assert_eq!(ids(&all).len(), 2);
    assert_eq!(c.get("/a2a/agents/discover?capability=bad%20cap", Some(&key)).0, StatusCode::BAD_REQUEST);
    assert_eq!(c.get("/a2a/agents/discover?capability=webhook", None).0, StatusCode::UNAUTHORIZED);

    // Card.
    let (status, card) = c.get("/a2a/agents/analytics-001/card", Some(&key));
    assert_eq!(status, StatusCode::OK, "{card}");
    let card = &card["agent_card"];
    assert_eq!(card["agent_id"], "analytics-001");
    assert_eq!(card["name"], "Agent analytics-001");
    assert_eq!(card["description"], "Real-time fitness analytics");
    assert_eq!(card["endpoints"], json!(["/webhook/activity", "/analytics/summary"]));
    assert_eq!(card["schemas"], json!({"summary": {"type": "object"}}));
    assert_eq!(c.get("/a2a/agents/unknown-agent/card", Some(&key)).0, StatusCode::NOT_FOUND);

    // Another tenant sees none of it, and may use the same id for its own agent.
    let (status, found) = c.get("/a2a/agents/discover?capability=webhook", Some(&other));
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found, json!({"agents": []}));
    assert_eq!(c.get("/a2a/agents/discover", Some(&other)).1, json!({"agents": []}));
    let (status, body) = c.get("/a2a/agents/analytics-001/card", Some(&other));
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(c.register(&other, agent("analytics-001", &["private"])).0, StatusCode::CREATED);
    let (_, found) = c.get("/a2a/agents/discover?capability=private", Some(&other));
    assert_eq!(ids(&found), ["analytics-001"]);
    let (_, found) = c.get("/a2a/agents/discover?capability=private", Some(&key));
    assert_eq!(found, json!({"agents": []}));
    let (_, card) = c.get("/a2a/agents/analytics-001/card", Some(&key));
    assert_eq!(card["agent_card"]["capabilities"], json!(["analytics", "webhook"]), "tenant demo keeps its own");

    // X-Tenant-ID naming another tenant → 403.
    let req = c.req(Method::GET, "/a2a/agents/discover", Some(&key)).header("X-Tenant-ID", "other");
    assert_eq!(c.send(req).0, StatusCode::FORBIDDEN);

    // The routes are documented.
    let (_, doc) = c.get("/api/openapi.json", None);
    for path in
        ["/a2a/register", "/a2a/agents/discover", "/a2a/agents/{agent_id}/card", "/.well-known/agent-card.json", "/a2a"]
    {
        assert!(doc["paths"][path].is_object(), "{path} missing from OpenAPI");
    }
}

#[test]
fn agent_card_and_json_rpc_skills() {
    let (d, key, other) = demo();
    let c = Client::new(&d);

    // pacer's own card: no auth, every MCP tool as a skill.
    let (status, card) = c.get("/.well-known/agent-card.json", None);
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["name"], "pacer");
    assert_eq!(card["url"], format!("{}/a2a", c.base));
    assert!(card["protocolVersion"].is_string() && card["version"].is_string());
    assert_eq!(card["capabilities"]["streaming"], false);
    assert_eq!(card["securitySchemes"]["apiKey"]["name"], "X-API-Key");
    assert!(card["defaultInputModes"].as_array().is_some_and(|m| !m.is_empty()));
    let skills = card["skills"].as_array().expect("skills");
    assert_eq!(skills.len(), crate::data::TOOLS.len(), "{card}");
    let activities = skills.iter().find(|s| s["id"] == "get_activities").expect("get_activities skill");
    assert!(activities["name"].is_string() && activities["description"].is_string());
    assert!(activities["tags"].is_array() && activities["inputSchema"]["properties"]["limit"].is_object());

    // message/send with a data part.
    let reply =
        c.send_message(&key, json!([{"kind": "data", "data": {"skill": "get_activities", "arguments": {"limit": 3}}}]));
    let task = result(&reply).clone();
    assert_eq!(task["kind"], "task");
    assert!(task["id"].is_string() && task["contextId"].is_string() && task["status"]["timestamp"].is_string());
    assert!(task["artifacts"][0]["artifactId"].is_string());
    let activities = data_part(&task)["activities"].as_array().expect("activities");
    assert_eq!(activities.len(), 3, "{task}");
    assert!(activities[0]["id"].is_u64() && activities[0]["distance_m"].is_number());

    // Integers sent as whole floats (protobuf-based clients) are integers.
    let reply = c.send_message(
        &key,
        json!([{"kind": "data", "data": {"skill": "get_activities", "arguments": {"limit": 2.0}}}]),
    );
    assert_eq!(data_part(result(&reply))["activities"].as_array().expect("activities").len(), 2, "{reply}");

    // A plain text part, the context id carried over.
    let message = json!({"role": "user", "messageId": "m-2", "contextId": "ctx-42",
        "parts": [{"kind": "text", "text": "get_activities limit 2"}]});
    let reply = c.rpc(&key, "message/send", json!({ "message": message }));
    let text_task = result(&reply).clone();
    assert_eq!(data_part(&text_task)["activities"].as_array().expect("activities").len(), 2);
    assert_eq!(text_task["contextId"], "ctx-42");
    // A part without `kind` (1.0's shape) is read too.
    let reply = c.send_message(&key, json!([{"data": {"skill": "get_athlete"}}]));
    assert!(data_part(result(&reply))["id"].is_number(), "{reply}");
    // A 1.0 method name with `A2A-Version: 0.3`: the header chooses the shapes.
    let message = json!({"role": "user", "messageId": "m-3", "parts": [{"kind": "text", "text": "get_athlete"}]});
    let reply = c.rpc_as(Some("0.3"), &key, "SendMessage", json!({ "message": message }));
    assert_eq!(result(&reply)["kind"], "task", "{reply}");
    assert!(data_part(result(&reply))["id"].is_number(), "{reply}");

    // Unknown skill in a data part and bad arguments → -32602 naming the field.
    let reply =
        c.send_message(&key, json!([{"kind": "data", "data": {"skill": "delete_everything", "arguments": {}}}]));
    assert_eq!(error_code(&reply), -32602);
    assert!(reply["error"]["message"].as_str().unwrap().contains("unknown skill 'delete_everything'"), "{reply}");
    let reply = c.send_message(&key, json!([{"kind": "text", "text": "get_activities limit 0"}]));
    assert_eq!(error_code(&reply), -32602);
    assert!(reply["error"]["message"].as_str().unwrap().starts_with("limit"), "{reply}");
    let reply = c.send_message(&key, json!([{"kind": "text", "text": "get_activities limit"}]));
    assert_eq!(error_code(&reply), -32602);
    assert_eq!(error_code(&c.rpc(&key, "message/send", json!({}))), -32602);
    let upload = json!([{"data": {"skill": "upload_activity", "arguments": {"path": "/etc/hosts.gpx"}}}]);
    let reply = c.send_message(&key, upload);
    assert_eq!(error_code(&reply), -32602);
    assert_eq!(reply["error"]["data"]["field"], "arguments.path", "no host files over A2A: {reply}");
    let reply = c.send_message(&key, json!([{"kind": "text", "text": "get_activities limit 0"}]));
    assert_eq!(reply["error"]["data"], json!({"field": "limit"}), "0.3 error data: {reply}");
    assert_eq!(error_code(&c.send_message(&key, json!([{"kind": "file", "file": {}}]))), -32602);

    // A plain-language text names no skill: a Message listing the skills, not a parse error.
    let reply = c.send_message(&key, json!([{"kind": "text", "text": "How far did I run \"last week?"}]));
    let answer = result(&reply);
    assert_eq!((answer["kind"].as_str(), answer["role"].as_str()), (Some("message"), Some("agent")), "{reply}");
    let text = answer["parts"][0]["text"].as_str().expect("text part");
    assert!(text.starts_with("unknown skill 'How'") && text.contains("get_activities"), "{text}");
    assert_eq!(answer["parts"][1]["data"]["skills"].as_array().map(Vec::len), Some(crate::data::TOOLS.len()));

    // GetTask returns the same task, for its tenant only.
    let reply = c.rpc(&key, "tasks/get", json!({"id": task["id"]}));
    assert_eq!(result(&reply), &task);
    let reply = c.rpc(&key, "tasks/get", json!({"id": text_task["id"]}));
    assert_eq!(result(&reply), &text_task);
    assert_eq!(error_code(&c.rpc(&other, "tasks/get", json!({"id": task["id"]}))), -32001);
    let reply = c.rpc(&key, "tasks/get", json!({"id": "no-such-task"}));
    assert_eq!(error_code(&reply), -32001);
    assert_eq!(reply["error"]["data"], json!({"taskId": "no-such-task"}));
    assert_eq!(error_code(&c.rpc(&key, "tasks/get", json!({}))), -32602);
    assert_eq!(error_code(&c.rpc(&key, "tasks/cancel", json!({"id": task["id"]}))), -32002);

    // The other tenant's user has no Strava connection: a failed task explaining how to connect.
    let reply = c.send_message(&other, json!([{"kind": "text", "text": "get_athlete"}]));
    let failed = result(&reply);
    assert_eq!(failed["status"]["message"]["role"], "agent", "{failed}");
    assert_eq!(failed["status"]["state"], "failed", "{failed}");
    let reason = failed["status"]["message"]["parts"][0]["text"].as_str().expect("text part");
    assert!(reason.contains("not connected"), "{reason}");

    // Protocol errors.
    let raw = |body: &str, key: Option<&str>| {
        c.send(c.req(Method::POST, "/a2a", key).header("Content-Type", "application/json").body(body.to_string()))
    };
    let (status, reply) = raw("{not json", Some(&key));
    assert_eq!((status, error_code(&reply)), (StatusCode::OK, -32700));
    assert_eq!(error_code(&raw("[]", Some(&key)).1), -32600);
    assert_eq!(error_code(&c.rpc(&key, "tasks/explode", json!({}))), -32601);
    assert_eq!(error_code(&c.rpc(&key, "message/stream", json!({}))), -32004);
    let (status, _) = raw(r#"{"jsonrpc":"2.0","method":"GetTask","params":{"id":"x"}}"#, Some(&key));
    assert_eq!(status, StatusCode::NO_CONTENT, "a notification gets no answer");
    assert_eq!(raw(r#"{"jsonrpc":"2.0","id":1,"method":"GetTask"}"#, None).0, StatusCode::UNAUTHORIZED);
    let (status, _) =
        raw(&format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":"{}"}}"#, "a".repeat(70_000)), Some(&key));
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "64 KiB body cap");
}

#[test]
fn registry_quotas_metadata_cap_and_owner_only_unregister() {
    let d = TestDaemon::start();
    let (_, ada) = d.user_with_key("ada@example.com", Some("club"), "premium");
    let (_, bob) = d.user_with_key("bob@example.com", Some("club"), "premium");
    let (_, carol) = d.user_with_key("carol@example.com", Some("other"), "premium");
    let c = Client::at(d.http_url.clone());

    for i in 0..50 {
        let (status, body) = c.register(&ada, agent(&format!("ada-{i}"), &["webhook"]));
        assert_eq!(status, StatusCode::CREATED, "agent {i}: {body}");
    }
    let (status, body) = c.register(&ada, agent("ada-50", &["webhook"]));
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "quota_exceeded");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("50"), "{body}");
    // Another user of the same tenant has a quota of their own.
    assert_eq!(c.register(&bob, agent("bob-0", &[])).0, StatusCode::CREATED);

    let mut big = agent("ada-big", &[]);
    big["metadata"]["schemas"] = json!({"blob": "x".repeat(9 * 1024)});
    let (status, body) = c.register(&bob, big);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().starts_with("metadata:"), "{body}");

    let delete = |key: &str, id: &str| c.send(c.req(Method::DELETE, &format!("/a2a/agents/{id}"), Some(key)));
    let (missing_status, missing) = delete(&ada, "nobody-here");
    assert_eq!(missing_status, StatusCode::NOT_FOUND);
    for (who, key) in [("same tenant, other user", &bob), ("other tenant", &carol)] {
        let (status, body) = delete(key, "ada-0");
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {body}");
        assert_eq!(body["error"]["code"], missing["error"]["code"], "{who}");
    }
    assert_eq!(c.get("/a2a/agents/ada-0/card", Some(&ada)).0, StatusCode::OK, "still there");
    let (status, body) = delete(&ada, "ada-0");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"agent_id": "ada-0", "status": "unregistered"}));
    assert_eq!(c.get("/a2a/agents/ada-0/card", Some(&ada)).0, StatusCode::NOT_FOUND);
    assert_eq!(delete(&ada, "ada-0").0, StatusCode::NOT_FOUND, "gone");
    assert_eq!(c.register(&ada, agent("ada-50", &[])).0, StatusCode::CREATED, "the freed slot is usable");
}
