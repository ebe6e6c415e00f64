//! The little JSON-RPC this relay needs: classifying a line by its `id`/`method` without building
//! a tree, building error responses, and re-addressing the replayed `initialize`.

use std::borrow::Cow;

use pacer_shared::rpc_codes;
use serde::Deserialize;
use serde_json::{Value, json};

/// JSON-RPC: the line is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the message is not a valid request (here: over the line-size cap).
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: internal error (here: the daemon connection was lost mid-request).
pub const INTERNAL_ERROR: i64 = -32603;
/// pacer: the daemon cannot be reached.
pub const DAEMON_UNREACHABLE: i64 = rpc_codes::DAEMON_UNREACHABLE as i64;
/// pacer: the daemon (or this relay) refused the API key.
pub const UNAUTHORIZED: i64 = rpc_codes::UNAUTHORIZED as i64;
/// pacer: the daemon speaks another socket-protocol version.
pub const VERSION_MISMATCH: i64 = rpc_codes::VERSION_MISMATCH as i64;

/// The MCP method that opens a session.
pub const INITIALIZE: &str = "initialize";
/// The notification that completes session set-up.
pub const INITIALIZED: &str = "notifications/initialized";

/// What one JSON-RPC line is, judged only by its `id` and `method` members.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `method` and a non-null `id`: expects exactly one response.
    Request { id: Value, method: String },
    /// `method` without `id`: no response.
    Notification { method: String },
    /// `id` without `method`: an answer to the peer's request.
    Response { id: Value },
    /// Valid JSON of another shape (a batch, a scalar, wrongly typed members). Relayed as-is.
    Other,
}

impl Kind {
    /// The method, for requests and notifications.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Request { method, .. } | Self::Notification { method } => Some(method),
            Self::Response { .. } | Self::Other => None,
        }
    }
}

/// The line is not JSON at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotJson(serde_json::Error);

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, borrow)]
    method: Option<Cow<'a, str>>,
}

/// Classifies one line. Other members (`params`, `result` …) are validated but not kept.
pub fn inspect(line: &[u8]) -> Result<Kind, NotJson> {
    // Derived struct impls also accept arrays (positionally); only objects are messages.
    if line.trim_ascii_start().first() != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
            Ok(_) => Ok(Kind::Other),
            Err(e) => Err(NotJson(e)),
        };
    }
    match serde_json::from_slice::<Envelope<'_>>(line) {
        Ok(Envelope { id, method }) => Ok(match (id.filter(|id| !id.is_null()), method) {
            (Some(id), Some(method)) => Kind::Request { id, method: method.into_owned() },
            (None, Some(method)) => Kind::Notification { method: method.into_owned() },
            (Some(id), None) => Kind::Response { id },
            (None, None) => Kind::Other,
        }),
        // Syntactically valid JSON that is not an object of the expected shape.
        Err(e) if e.is_data() => Ok(Kind::Other),
        Err(e) => Err(NotJson(e)),
    }
}

/// An error to answer one request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcFailure {
    /// JSON-RPC error code.
    pub code: i64,
    /// One human-readable line.
    pub message: String,
}

/// A JSON-RPC error response line (no trailing newline).
pub fn error_line(id: &Value, code: i64, message: &str) -> Vec<u8> {
    let response = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    response.to_string().into_bytes()
}

/// A stable text key for an id, so ids can live in a map (`1` and `"1"` stay distinct).
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

/// The same request line with its `id` replaced, or `None` when `line` is not a JSON object.
pub fn with_id(line: &[u8], id: &str) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(line).ok()?;
    value.as_object_mut()?.insert("id".to_owned(), Value::from(id));
    serde_json::to_vec(&value).ok()
}

/// The `error.message` of a response line, if it is an error response.
pub fn error_message(line: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorOnly {
        error: Option<ErrorBody>,
    }
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        message: String,
    }
    serde_json::from_slice::<ErrorOnly>(line).ok()?.error.map(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_id_and_method() {
        let k = inspect(br#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"x":[1,{"y":2}]}}"#);
        assert_eq!(k.unwrap(), Kind::Request { id: json!(7), method: "tools/list".into() });
        let k = inspect(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(k, Kind::Notification { method: INITIALIZED.into() });
        let k = inspect(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap();
        assert_eq!(k, Kind::Response { id: json!("a") });
        let k = inspect(br#"{"jsonrpc":"2.0","id":null,"method":"m"}"#).unwrap();
        assert_eq!(k, Kind::Notification { method: "m".into() });
        assert_eq!(inspect(br#"[{"id":1,"method":"m"}]"#).unwrap(), Kind::Other);
        assert_eq!(inspect(br#"{"id":1,"method":5}"#).unwrap(), Kind::Other);
        assert_eq!(inspect(br#" "text""#).unwrap(), Kind::Other);
        assert_eq!(inspect(br#"{"method":"esc\"aped"}"#).unwrap().method(), Some("esc\"aped"));
    }

    #[test]
    fn rejects_non_json() {
        assert!(inspect(b"{not json").is_err());
        assert!(inspect(br#"{"id":1} trailing"#).is_err());
        assert!(inspect(b"").is_err());
    }

    #[test]
    fn builds_errors_and_replay_lines() {
        let line = error_line(&Value::Null, PARSE_ERROR, "bad");
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v, json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}));
        assert_eq!(error_message(&line).as_deref(), Some("bad"));
        assert_eq!(error_message(br#"{"id":1,"result":{}}"#), None);

        let replay = with_id(br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#, "r-1").unwrap();
        let v: Value = serde_json::from_slice(&replay).unwrap();
        assert_eq!(v["id"], "r-1");
        assert_eq!(v["method"], "initialize");
        assert_eq!(with_id(b"[1]", "r"), None);
        assert_ne!(id_key(&json!(1)), id_key(&json!("1")));
    }
}
