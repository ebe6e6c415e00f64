//! MCP Apps: the `ui://` chart pages are linked from their tools, listed, readable and
//! self-contained, over the real pacer-mcp relay.

use serde_json::json;

use crate::fixture::TestDaemon;
use crate::mcp_client::McpClient;

#[test]
fn chart_apps_are_linked_listed_readable_and_self_contained() {
    let d = TestDaemon::start();
    let (_, key) = d.user_with_key("ann@example.com", None, "free");
    let mut mcp = McpClient::start(d.home(), Some(&key), &[]);
    let init = mcp.initialize("2025-11-25");
    assert!(init["result"]["capabilities"]["resources"].is_object(), "{init}");

    let tools = mcp.request("tools/list", json!({}));
    let tools = tools["result"]["tools"].as_array().expect("tools").clone();
    let linked = |name: &str| {
        tools.iter().find(|t| t["name"] == name).expect("tool")["_meta"]["ui"]["resourceUri"]
            .as_str()
            .map(str::to_owned)
    };
    let load_app = linked("get_training_load").expect("get_training_load links an app");
    let activity_app = linked("get_activity").expect("get_activity links an app");

    let list = mcp.request("resources/list", json!({}));
    let resources = list["result"]["resources"].as_array().expect("resources").clone();
    for uri in [&load_app, &activity_app] {
        let r = resources.iter().find(|r| r["uri"] == uri.as_str()).unwrap_or_else(|| panic!("{uri} not listed"));
        assert_eq!(r["mimeType"], "text/html;profile=mcp-app");
        let read = mcp.request("resources/read", json!({"uri": uri}));
        let contents = &read["result"]["contents"][0];
        assert_eq!(contents["uri"], uri.as_str(), "{read}");
        let html = contents["text"].as_str().expect("html");
        assert!(html.starts_with("<!doctype html>") && html.contains("ui/notifications/tool-result"));
        for external in ["src=\"http", "href=\"http", "fetch(", "XMLHttpRequest", "WebSocket"] {
            assert!(!html.contains(external), "{uri} reaches the network: {external}");
        }
    }
    let missing = mcp.request("resources/read", json!({"uri": "ui://pacer/nope.html"}));
    assert_eq!(missing["error"]["code"], json!(-32002), "{missing}");
}
