//! The per-call gate, the error mapping and the tools against a scripted provider.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::fixture::Fixture;
use crate::store::usage;

fn text(response: &serde_json::Value) -> String {
    response["result"]["content"]
        .as_array()
        .map(|c| c.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

fn in_an_hour() -> i64 {
    chrono::Utc::now().timestamp() + 3600
}

#[tokio::test]
async fn not_connected_is_a_tool_error_with_the_connect_url() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    let response = client.call("get_activities", json!({})).await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    let text = text(&response);
    assert!(text.starts_with("Strava is not connected for this account."), "{text}");
    assert!(text.contains("https://fake.example/oauth/authorize?state="), "{text}");
}

#[tokio::test]
async fn failed_refresh_is_the_exact_json_rpc_error() {
    let fixture = Fixture::new(100);
    fixture.connect(chrono::Utc::now().timestamp() - 10).await;
    fixture.provider.fail_refresh.store(true, Ordering::SeqCst);
    let mut client = fixture.client();
    client.initialize("2025-11-25").await;
    let response = client.call("get_athlete", json!({})).await;
    assert_eq!(response["error"], json!({"code": -32603, "message": "Token refresh failed"}), "{response}");
}

#[tokio::test]
async fn data_tools_return_structured_content_and_a_summary() {
    let fixture = Fixture::new(100);
    fixture.connect(in_an_hour()).await;
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;

    let response = client.call("get_activities", json!({"limit": 2, "after": "2026-01-01"})).await;
    let result = &response["result"];
    assert_eq!(result["structuredContent"]["count"], 2, "{response}");
    assert_eq!(result["structuredContent"]["next_page"], 2);
    assert_eq!(result["structuredContent"]["activities"][0]["distance_m"], 10020.0);
    let summary = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(summary.starts_with("2 activities on page 1"), "{summary}");
    // The data comes once, as structuredContent; the only text is the summary.
    assert_eq!(result["content"].as_array().map(Vec::len), Some(1), "{response}");

    let response = client.call("get_activities", json!({"sport_type": "run"})).await;
    assert_eq!(response["result"]["structuredContent"]["count"], 1, "{response}");

    let response = client.call("get_activity", json!({"activity_id": 9})).await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    assert_eq!(text(&response), "not found: activity 9");

    let response =
        client.call("get_activity_streams", json!({"activity_id": 2, "keys": ["heartrate"], "max_points": 100})).await;
    let streams = &response["result"]["structuredContent"];
    assert_eq!(
        (streams["returned_points"].as_u64(), streams["original_points"].as_u64()),
        (Some(100), Some(1000)),
        "{response}"
    );

    let response = client.call("get_athlete_stats", json!({})).await;
    assert_eq!(response["result"]["structuredContent"]["athlete_id"], 77, "{response}");

    let response = client.call("get_connection_status", json!({})).await;
    let status = &response["result"]["structuredContent"];
    assert_eq!(status["connected"], true, "{response}");
    assert_eq!(status["scopes"], json!(["read", "activity:read_all", "activity:write"]));

    let response = client.call("disconnect_provider", json!({})).await;
    assert_eq!(response["result"]["structuredContent"]["was_connected"], true, "{response}");
    let response = client.call("get_connection_status", json!({"provider": "strava"})).await;
    assert_eq!(response["result"]["structuredContent"]["connected"], false, "{response}");

    let response = client.call("connect_provider", json!({})).await;
    let link = &response["result"]["structuredContent"];
    assert_eq!(link["expires_in_s"], 600, "{response}");
    assert!(link["authorize_url"].as_str().is_some_and(|u| u.starts_with("https://fake.example/")));

    let p = &fixture.principal;
    let (tenant, key) = (p.tenant_id.clone(), p.key_id.clone().unwrap_or_default());
    let rows = fixture.state.store.call(move |c| usage::list_for_key(c, &tenant, &key)).await.expect("usage");
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0], ("get_activities".to_owned(), "ok".to_owned()));
    assert_eq!(rows[2], ("get_activity".to_owned(), "tool_error".to_owned()));
}

#[tokio::test]
async fn upload_polls_sends_progress_and_reports_duplicates_verbatim() {
    let fixture = Fixture::new(100);
    fixture.connect(in_an_hour()).await;
    let file = fixture.home.path().parent().map(|p| p.join(format!("pacer-mcp-test-{}.gpx", std::process::id())));
    let file = file.expect("temp dir has a parent");
    std::fs::write(&file, b"<gpx version=\"1.1\"></gpx>").expect("write file");
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    let params = json!({
        "name": "upload_activity",
        "arguments": {"path": file.display().to_string(), "name": "Test"},
        "_meta": {"progressToken": "up-1"}
    });
    let response = client.request("tools/call", params.clone()).await;
    let result = &response["result"]["structuredContent"];
    assert_eq!((result["upload_id"].as_u64(), result["activity_id"].as_u64()), (Some(901), Some(4242)), "{response}");
    let progress: Vec<_> = client.notifications.iter().filter(|n| n["method"] == "notifications/progress").collect();
    assert!(progress.len() >= 3, "{:?}", client.notifications);
    assert!(progress.iter().all(|n| n["params"]["progressToken"] == "up-1"));
    let last = fixture.provider.last_upload.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(last, Some((25, "gpx".to_owned())));

    let response = client.request("tools/call", params).await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    assert!(text(&response).starts_with(&format!("{file_name} duplicate of activity 555\n")), "{response}");
    std::fs::remove_file(&file).ok();

    let response =
        client.call("upload_activity", json!({"content_base64": "PGdweD48L2dweD4=", "external_id": "b64"})).await;
    assert_eq!(response["result"]["structuredContent"]["activity_id"], 4242, "{response}");
}

#[tokio::test]
async fn deactivating_the_key_stops_the_session() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    let response = client.call("get_connection_status", json!({})).await;
    assert_eq!(response["result"]["structuredContent"]["connected"], false, "{response}");
    let p = fixture.principal.clone();
    let key = p.key_id.clone().unwrap_or_default();
    // The revocation path every surface uses (it also drops the key from the key cache).
    crate::accounts::revoke_key(&fixture.state.store, &p.tenant_id, &p.user_id, &key).await.expect("deactivate");
    let response = client.call("get_connection_status", json!({})).await;
    assert_eq!(response["error"]["code"], -32001, "{response}");
    assert_eq!(response["error"]["message"], "API key is deactivated");
}

#[tokio::test]
async fn rate_limit_says_when_to_retry() {
    let fixture = Fixture::new(2);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    for _ in 0..2 {
        let response = client.call("get_connection_status", json!({})).await;
        assert!(response["result"].is_object(), "{response}");
    }
    let response = client.call("get_connection_status", json!({})).await;
    let error = &response["error"];
    assert_eq!(error["code"], -32029, "{response}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("rate limit exceeded: 2 requests per minute for this free API key; retry after "),
        "{message}"
    );
    assert!(error["data"]["retry_after_s"].as_u64().is_some_and(|s| s >= 1), "{response}");
}

#[tokio::test]
async fn an_oversized_line_ends_the_session() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{{\"pad\":\"{}\"}}}}\n",
        "x".repeat(pacer_shared::ipc::MAX_LINE_BYTES)
    );
    client.write.write_all(big.as_bytes()).await.ok();
    assert_eq!(client.next().await, None);
    tokio::time::timeout(std::time::Duration::from_secs(10), &mut client.session).await.expect("session ended").ok();
}

#[tokio::test]
async fn shutdown_ends_the_session() {
    let fixture = Fixture::new(100);
    let mut client = fixture.client();
    client.initialize("2025-06-18").await;
    fixture.state.shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(10), &mut client.session).await.expect("session ended").ok();
}

#[tokio::test]
async fn direct_calls_share_the_gate_and_the_mapping() {
    let fixture = Fixture::new(100);
    fixture.connect(in_an_hour()).await;
    let call = |name: &'static str, args: serde_json::Value| {
        let (state, principal) = (fixture.state.clone(), fixture.principal.clone());
        let args = args.as_object().cloned().unwrap_or_default();
        async move { crate::mcp::call_tool(state, principal, name, args).await }
    };
    let result = call("get_activities", json!({"limit": 1})).await.expect("tool result");
    let structured = result.structured_content.unwrap_or_default();
    assert_eq!(structured["count"], 1);
    let error = call("get_activities", json!({"limit": 0})).await.expect_err("bad argument");
    assert_eq!(error.message, "limit: must be between 1 and 200");
    let result = call("get_activity", json!({"activity_id": 9})).await.expect("tool result");
    assert_eq!(result.is_error, Some(true));
    let error = call("nope", json!({})).await.expect_err("unknown tool");
    assert!(error.message.starts_with("name: unknown tool 'nope'"));
}
