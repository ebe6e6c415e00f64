//! JSON-RPC response helpers shared by the MCP and A2A tests.

use serde_json::Value;

/// The `structuredContent` of a successful MCP tool result (fails on a JSON-RPC or tool error).
pub fn structured(r: &Value) -> &Value {
    assert!(r.get("error").is_none(), "unexpected error: {r}");
    assert_ne!(r["result"]["isError"], true, "tool error: {r}");
    &r["result"]["structuredContent"]
}

/// `error.code` of a JSON-RPC error response (fails on anything else).
pub fn error_code(r: &Value) -> i64 {
    r["error"]["code"].as_i64().unwrap_or_else(|| panic!("expected a JSON-RPC error, got {r}"))
}
