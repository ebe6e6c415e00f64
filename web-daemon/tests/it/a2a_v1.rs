//! A2A 1.0 wire shapes (ProtoJSON, as the official SDKs read them) against a real `pacerd demo`:
//! chosen by `A2A-Version: 1.0` or by a 1.0 method name; `SendMessage` answers `{"task": …}`,
//! states are `TASK_STATE_*`, parts have no `kind`, errors carry typed `data`; an unsupported
//! `A2A-Version` is `-32009`; a text that names no skill gets `{"message": …}` listing the skills.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::a2a::{Client, demo, result};
use crate::jsonrpc::error_code;

/// A 1.0 `SendMessage` with `parts`; `version` is the `A2A-Version` header, if any.
fn send(c: &Client, key: &str, version: Option<&str>, parts: Value) -> Value {
    let message = json!({"role": "ROLE_USER", "messageId": "m-1", "parts": parts});
    c.rpc_as(version, key, "SendMessage", json!({ "message": message }))
}

/// The task of a 1.0 `SendMessage` reply, checked to be ProtoJSON (no 0.3 discriminators).
fn task(reply: &Value) -> Value {
    let result = result(reply);
    assert!(result.get("kind").is_none() && result.get("id").is_none(), "not wrapped: {reply}");
    let task = result["task"].clone();
    assert!(task.get("kind").is_none(), "{task}");
    assert!(task["id"].is_string() && task["contextId"].is_string() && task["status"]["timestamp"].is_string());
    task
}

/// The data part of a completed 1.0 task's first artifact.
fn data(task: &Value) -> &Value {
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{task}");
    let parts = task["artifacts"][0]["parts"].as_array().expect("parts");
    assert!(parts.iter().all(|p| p.get("kind").is_none()), "{task}");
    let part = parts.iter().find(|p| p.get("data").is_some()).unwrap_or_else(|| panic!("no data part: {task}"));
    &part["data"]
}

#[test]
fn v1_shapes_by_header_or_method_name() {
    let (d, key, other) = demo();
    let c = Client::new(&d);

    // The card lists the endpoint as 1.0 (first, preferred) and 0.3.
    let (_, card) = c.get("/.well-known/agent-card.json", None);
    let url = format!("{}/a2a", c.base);
    assert_eq!(
        card["supportedInterfaces"],
        json!([
            {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
        ])
    );
    assert_eq!(card["securityRequirements"], json!([{"schemes": {"apiKey": {"list": []}}}]));

    // Header 1.0 and a data part; whole floats (as protobuf clients send) are integers.
    let parts = json!([{"data": {"skill": "get_activities", "arguments": {"limit": 2.0}}}]);
    let t = task(&send(&c, &key, Some("1.0"), parts));
    assert_eq!(data(&t)["activities"].as_array().map(Vec::len), Some(2), "{t}");
    assert_eq!(t["metadata"], json!({"skill": "get_activities"}));
    let summary = &t["artifacts"][0]["parts"][1];
    assert!(summary["text"].is_string(), "{t}");

    // No header: the 1.0 method name chooses 1.0. A text part; a patch version is ignored.
    let t2 = task(&send(&c, &key, None, json!([{"text": "get_activities limit 3"}])));
    assert_eq!(data(&t2)["activities"].as_array().map(Vec::len), Some(3));
    let t3 = task(&send(&c, &key, Some("1.0.2"), json!([{"text": "get_athlete"}])));
    assert!(data(&t3)["id"].is_number(), "{t3}");

    // GetTask answers the Task itself, in 1.0 shape; 0.3's `tasks/get` with header 1.0 too.
    let reply = c.rpc_as(Some("1.0"), &key, "GetTask", json!({"id": t["id"], "historyLength": 0}));
    assert_eq!(result(&reply), &t);
    let reply = c.rpc_as(Some("1.0"), &key, "tasks/get", json!({"id": t2["id"]}));
    assert_eq!(result(&reply), &t2);
    // The same task read by a 0.3 client.
    let old = c.rpc(&key, "tasks/get", json!({"id": t["id"]}));
    assert_eq!(
        (result(&old)["kind"].as_str(), result(&old)["status"]["state"].as_str()),
        (Some("task"), Some("completed"))
    );
    assert_eq!(result(&old)["artifacts"][0]["parts"][0]["kind"], "data");

    // Unknown task: -32001 with an ErrorInfo; another tenant's task is unknown too.
    let reply = c.rpc_as(Some("1.0"), &key, "GetTask", json!({"id": "no-such-task"}));
    assert_eq!(error_code(&reply), -32001);
    let info = &reply["error"]["data"][0];
    assert_eq!(info["@type"], "type.googleapis.com/google.rpc.ErrorInfo", "{reply}");
    assert_eq!(
        (info["reason"].as_str(), info["metadata"]["taskId"].as_str()),
        (Some("TASK_NOT_FOUND"), Some("no-such-task"))
    );
    assert_eq!(error_code(&c.rpc(&other, "GetTask", json!({"id": t["id"]}))), -32001);

    // Bad arguments: -32602 with a google.rpc.BadRequest naming the field.
    let reply = send(&c, &key, None, json!([{"text": "get_activities limit 0"}]));
    assert_eq!(error_code(&reply), -32602);
    let bad = &reply["error"]["data"][0];
    assert_eq!(bad["@type"], "type.googleapis.com/google.rpc.BadRequest", "{reply}");
    assert_eq!(bad["fieldViolations"][0]["field"], "limit", "{reply}");
    let reply = send(&c, &key, None, json!([{"data": {"skill": "delete_everything"}}]));
    assert_eq!(error_code(&reply), -32602);
    assert!(reply["error"]["message"].as_str().unwrap_or_default().contains("unknown skill 'delete_everything'"));

    // A failed task (no Strava connection): TASK_STATE_FAILED, the reason from ROLE_AGENT.
    let failed = task(&send(&c, &other, Some("1.0"), json!([{"text": "get_athlete"}])));
    assert_eq!(failed["status"]["state"], "TASK_STATE_FAILED", "{failed}");
    let message = &failed["status"]["message"];
    assert_eq!((message["role"].as_str(), message["taskId"].as_str()), (Some("ROLE_AGENT"), failed["id"].as_str()));
    assert!(message["parts"][0]["text"].as_str().unwrap_or_default().contains("not connected"), "{failed}");

    // Unsupported operations keep their A2A codes.
    assert_eq!(error_code(&c.rpc(&key, "CancelTask", json!({"id": t["id"]}))), -32002);
    assert_eq!(error_code(&c.rpc(&key, "SendStreamingMessage", json!({}))), -32004);
    assert_eq!(error_code(&c.rpc(&key, "GetExtendedAgentCard", json!({}))), -32004);
    assert_eq!(error_code(&c.rpc(&key, "CreateTaskPushNotificationConfig", json!({}))), -32003);
}

#[test]
fn plain_language_gets_the_list_of_skills() {
    let (d, key, _) = demo();
    let c = Client::new(&d);
    for text in ["How far did I run last week?", "what's \"my best", "show me 5 runs", "hello"] {
        let reply = send(&c, &key, Some("1.0"), json!([{"text": text}]));
        let answer = &result(&reply)["message"];
        assert_eq!(answer["role"], "ROLE_AGENT", "{text}: {reply}");
        assert!(answer.get("taskId").is_none() && answer["messageId"].is_string() && answer["contextId"].is_string());
        let said = answer["parts"][0]["text"].as_str().expect("text part");
        let first = text.split_whitespace().next().unwrap_or_default();
        assert!(said.starts_with(&format!("unknown skill '{first}'")), "{said}");
        for tool in crate::data::TOOLS {
            assert!(said.contains(tool), "{tool} missing from {said}");
        }
        assert_eq!(answer["parts"][1]["data"]["error"], "unknown_skill");
    }
    // The context id is kept; nothing to GetTask.
    let message = json!({"role": "ROLE_USER", "messageId": "m-9", "contextId": "ctx-7", "parts": [{"text": "hi"}]});
    let reply = c.rpc(&key, "SendMessage", json!({ "message": message }));
    assert_eq!(result(&reply)["message"]["contextId"], "ctx-7");
}

#[test]
fn version_header_handling() {
    let (d, key, _) = demo();
    let c = Client::new(&d);
    let get_athlete = json!([{"text": "get_athlete"}]);

    // Unsupported versions: -32009 VersionNotSupportedError, nothing runs.
    for version in ["0.2", "0.5", "1.1", "2.0", "latest", "1.0.0.0"] {
        let reply = send(&c, &key, Some(version), get_athlete.clone());
        assert_eq!(error_code(&reply), -32009, "{version}: {reply}");
        let info = &reply["error"]["data"][0];
        assert_eq!(info["reason"], "VERSION_NOT_SUPPORTED", "{reply}");
        assert_eq!(info["metadata"]["supportedVersions"], "1.0,0.3");
        assert!(reply["error"]["message"].as_str().unwrap_or_default().contains(version));
    }
    let reply = c.rpc_as(Some("9.9"), &key, "tasks/get", json!({"id": "x"}));
    assert_eq!(error_code(&reply), -32009, "a 0.3 method with a bad header: {reply}");

    // An empty header counts as absent; the query parameter works like the header.
    assert!(task(&send(&c, &key, Some(""), get_athlete.clone()))["id"].is_string());
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "message/send",
        "params": {"message": {"role": "ROLE_USER", "messageId": "q", "parts": get_athlete}}});
    let (status, reply) = c.send(c.req(Method::POST, "/a2a?A2A-Version=1.0", Some(&key)).json(&body));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result(&reply)["task"]["status"]["state"], "TASK_STATE_COMPLETED", "{reply}");
    let (_, reply) = c.send(c.req(Method::POST, "/a2a?A2A-Version=7", Some(&key)).json(&body));
    assert_eq!(error_code(&reply), -32009, "{reply}");

    // Header 0.3 on a 1.0 method: 0.3 shapes.
    let reply = send(&c, &key, Some("0.3"), get_athlete);
    assert_eq!(
        (result(&reply)["kind"].as_str(), result(&reply)["status"]["state"].as_str()),
        (Some("task"), Some("completed"))
    );
}
