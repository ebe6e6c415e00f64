//! Handshake, tool listing and argument errors.

use serde_json::{Value, json};

use super::fixture::Fixture;

const TOOLS: [&str; 16] = [
    "connect_provider",
    "disconnect_provider",
    "get_activities",
    "get_activity",
    "get_activity_streams",
    "get_athlete",
    "get_athlete_settings",
    "get_athlete_stats",
    "get_connection_status",
    "get_personal_records",
    "get_training_load",
    "get_weekly_summary",
    "import_activities",
    "search_activities",
    "set_athlete_settings",
    "upload_activity",
];

#[tokio::test]
async fn initialize_negotiates_each_supported_version() {
    let fixture = Fixture::new(100);
    for (asked, answered) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-11-05", "2024-11-05"),
        ("2026-07-28", "2025-11-25"),
        ("2099-01-01", "2025-11-25"),
    ] {
        let mut client = fixture.client();
        let result = client.initialize(asked).await;
        assert_eq!(result["protocolVersion"], answered, "asked {asked}: {result}");
        assert_eq!(result["serverInfo"]["name"], "pacer");
        assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
        let instructions = result["instructions"].as_str().unwrap_or_default();
        for word in ["get_activities", "get_activity_streams", "upload_activity", "connect_provider", "distance_m"] {
            assert!(instructions.contains(word), "instructions mention {word}");
        }
        let pong = client.request("ping", json!({})).await;
        assert_eq!(pong["result"], json!({}), "{pong}");
    }
}

#[tokio::test]
async fn tools_list_has_every_tool_with_schemas() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    let response = client.request("tools/list", json!({})).await;
    let tools = response["result"]["tools"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, TOOLS);
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().is_some_and(|d| !d.is_empty()), "{tool}");
    }
    let list = tools.iter().find(|t| t["name"] == "get_activities").cloned().unwrap_or(Value::Null);
    let limit = &list["inputSchema"]["properties"]["limit"];
    assert_eq!((&limit["minimum"], &limit["maximum"], &limit["default"]), (&json!(1), &json!(200), &json!(10)));
    assert!(limit["description"].as_str().is_some_and(|d| d.contains("1–200")));
    assert!(list["outputSchema"]["properties"]["activities"].is_object());
    let time = &list["inputSchema"]["properties"]["after"]["anyOf"];
    assert_eq!(time, &json!([{"type": "string"}, {"type": "integer"}]), "{list}");
    let streams = tools.iter().find(|t| t["name"] == "get_activity_streams").cloned().unwrap_or(Value::Null);
    assert_eq!(streams["inputSchema"]["required"], json!(["activity_id"]));
}

#[tokio::test]
async fn unknown_tool_is_invalid_params() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-11-25").await;
    let response = client.call("get_weather", json!({})).await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("name: unknown tool 'get_weather' (available: connect_provider,"), "{message}");
}

#[tokio::test]
async fn bad_arguments_name_the_field() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    for (tool, arguments, expected) in [
        ("get_activities", json!({"limit": 0}), "limit: must be between 1 and 200"),
        ("get_activities", json!({"limit": 201}), "limit: must be between 1 and 200"),
        ("get_activities", json!({"limit": "x"}), "limit: invalid type: string \"x\", expected u32"),
        ("get_activities", json!({"limit": 5, "per_page": 5}), "per_page: unknown parameter"),
        ("get_activities", json!({"after": "last tuesday"}), "after: 'last tuesday' is not a time"),
        (
            "get_activities",
            json!({"after": "2026-11-02", "before": "2026-11-01"}),
            "after: must be earlier than before",
        ),
        ("get_activity", json!({}), "activity_id: required"),
        ("get_activity", json!({"activity_id": "abc"}), "activity_id: invalid type"),
        ("get_activity_streams", json!({"activity_id": 1, "max_points": 1}), "max_points: must be between 2 and 10000"),
        ("get_activity_streams", json!({"activity_id": 1, "keys": ["pulse"]}), "keys: unknown stream 'pulse'"),
        ("connect_provider", json!({"provider": "garmin"}), "provider: unsupported provider 'garmin'"),
        ("upload_activity", json!({}), "path: required"),
        ("upload_activity", json!({"path": "run.fit"}), "path: must be an absolute path"),
        ("upload_activity", json!({"path": "/a.fit", "content_base64": "AA=="}), "path: give either"),
        ("upload_activity", json!({"content_base64": "%%%"}), "content_base64: not valid base64"),
        ("upload_activity", json!({"content_base64": "aGVsbG8="}), "data_type: required"),
        ("upload_activity", json!({"content_base64": "aGVsbG8=", "data_type": "zip"}), "data_type: unknown data type"),
    ] {
        let response = client.call(tool, arguments.clone()).await;
        let error = &response["error"];
        assert_eq!(error["code"], -32602, "{tool} {arguments}: {response}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(expected), "{tool} {arguments}: {message}");
    }
}
