//! The A2A JSON-RPC 2.0 endpoint (`POST /a2a`).
//!
//! | method | does |
//! |---|---|
//! | `SendMessage` (`message/send`) | runs the skill the message names (see [`super::message`]) through [`crate::mcp::call_tool`]; answers with a finished Task |
//! | `GetTask` (`tasks/get`) | `{id}` → that Task, if the caller's tenant and user created it |
//! | `CancelTask` (`tasks/cancel`) | every task is finished already: `-32002` (or `-32001` when unknown) |
//! | streaming, push notifications | `-32004` / `-32003` (not supported; the card says so) |
//!
//! Outcomes of a skill call:
//! - success → Task `completed`, one artifact: a data part (the tool's structured result) and a
//!   text part (its one-line summary);
//! - the tool failed (`isError`: not connected, not found, provider refused) → Task `failed`, the
//!   reason in `status.message` as a text part;
//! - unknown skill or bad arguments → JSON-RPC error `-32602` naming the field (no task);
//! - any other tool-pipeline error (rate limit, token refresh failure, key deactivated,
//!   internal) → Task `failed`, `status.message` with a text part and a data part
//!   `{"error": {code, message, data}}` (MCP's codes would clash with A2A's `-32001..`).
//!
//! Protocol errors: unparsable JSON `-32700`, not a request object `-32600`, unknown method
//! `-32601`, bad params `-32602`, unknown task `-32001`.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ErrorCode};
use serde_json::{Value, json};
use tracing::Instrument;

use super::message::{self, Invalid, SkillCall};
use super::tasks::{Artifact, Part, Task, TaskState, TaskStore};
use crate::auth::Principal;
use crate::state::AppState;
use crate::untrusted::Untrusted;

pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;
pub const METHOD_NOT_FOUND: i32 = -32601;
pub const INVALID_PARAMS: i32 = -32602;
pub const INTERNAL_ERROR: i32 = -32603;
/// A2A `TaskNotFoundError`.
pub const TASK_NOT_FOUND: i32 = -32001;
/// A2A `TaskNotCancelableError`.
pub const TASK_NOT_CANCELABLE: i32 = -32002;
/// A2A `PushNotificationNotSupportedError`.
pub const PUSH_NOT_SUPPORTED: i32 = -32003;
/// A2A `UnsupportedOperationError`.
pub const UNSUPPORTED_OPERATION: i32 = -32004;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    fn new(code: i32, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        Self { code: INVALID_PARAMS, message: format!("{field}: {problem}"), data: Some(json!({ "field": field })) }
    }

    fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

impl From<Invalid> for RpcError {
    fn from(e: Invalid) -> Self {
        Self::invalid(&e.field, e.problem)
    }
}

fn response(id: Value, outcome: Result<Value, RpcError>) -> Value {
    match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(e) => json!({ "jsonrpc": "2.0", "id": id, "error": e.to_json() }),
    }
}

/// Handles one request body; `None` for a notification (a request without `id`), which gets no
/// answer.
pub async fn handle(state: Arc<AppState>, principal: Principal, body: &[u8]) -> Option<Value> {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some(response(Value::Null, Err(RpcError::new(PARSE_ERROR, format!("parse error: {e}"))))),
    };
    let Value::Object(request) = request else {
        let problem = if request.is_array() { "batch requests are not supported" } else { "expected a request object" };
        return Some(response(Value::Null, Err(RpcError::new(INVALID_REQUEST, problem))));
    };
    let id = request.get("id").cloned();
    if let Some(bad) = id.as_ref().filter(|id| !(id.is_string() || id.is_number() || id.is_null())) {
        tracing::debug!(id = %Untrusted(&bad.to_string()), "invalid JSON-RPC id");
        return Some(response(Value::Null, Err(RpcError::new(INVALID_REQUEST, "id must be a string, number or null"))));
    }
    let reply_id = id.clone().unwrap_or(Value::Null);
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(response(reply_id, Err(RpcError::new(INVALID_REQUEST, "jsonrpc must be \"2.0\""))));
    }
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return Some(response(reply_id, Err(RpcError::new(INVALID_REQUEST, "method must be a string"))));
    };
    let params = request.get("params").cloned().unwrap_or_else(|| json!({}));
    let span = tracing::info_span!("a2a_rpc", method = %Untrusted(method), tenant = %principal.tenant_id, user = %principal.user_id);
    let outcome = dispatch(state, principal, method, params).instrument(span).await;
    id.map(|id| response(id, outcome))
}

async fn dispatch(state: Arc<AppState>, principal: Principal, method: &str, params: Value) -> Result<Value, RpcError> {
    if !params.is_object() {
        return Err(RpcError::invalid("params", "must be an object"));
    }
    match method {
        "SendMessage" | "message/send" => send_message(state, principal, &params).await,
        "GetTask" | "tasks/get" => {
            let task = find_task(&principal, &params)?;
            serde_json::to_value(task).map_err(|e| RpcError::new(INTERNAL_ERROR, e.to_string()))
        }
        "CancelTask" | "tasks/cancel" => {
            let task = find_task(&principal, &params)?;
            Err(RpcError::new(TASK_NOT_CANCELABLE, format!("task {} is already finished", task.id)))
        }
        "SendStreamingMessage" | "message/stream" | "SubscribeToTask" | "tasks/resubscribe" => {
            Err(RpcError::new(UNSUPPORTED_OPERATION, "streaming is not supported; use SendMessage"))
        }
        m if m.contains("PushNotificationConfig") || m.starts_with("tasks/pushNotificationConfig/") => {
            Err(RpcError::new(PUSH_NOT_SUPPORTED, "push notifications are not supported"))
        }
        other => Err(RpcError::new(METHOD_NOT_FOUND, format!("method not found: {other}"))),
    }
}

/// `{"id": "<task id>"}` (or A2A 1.0's `{"name": "tasks/<id>"}`) → the caller's task.
fn find_task(principal: &Principal, params: &Value) -> Result<Task, RpcError> {
    let id = params
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| params.get("name").and_then(Value::as_str).map(|n| n.strip_prefix("tasks/").unwrap_or(n)))
        .ok_or_else(|| RpcError::invalid("id", "required (the task id)"))?;
    TaskStore::global()
        .get(&principal.tenant_id, &principal.user_id, id)
        .ok_or_else(|| RpcError::new(TASK_NOT_FOUND, format!("Task not found: {id}")))
}

async fn send_message(state: Arc<AppState>, principal: Principal, params: &Value) -> Result<Value, RpcError> {
    let message = params
        .get("message")
        .filter(|m| m.is_object())
        .ok_or_else(|| RpcError::invalid("message", "required (an A2A message with parts)"))?;
    let SkillCall { skill, arguments } = message::skill_call(message)?;
    let tools = crate::mcp::tool_names();
    if !tools.contains(&skill) {
        return Err(RpcError::invalid("skill", format!("unknown skill '{skill}' (available: {})", tools.join(", "))));
    }
    if skill == "upload_activity" && arguments.contains_key("path") {
        return Err(RpcError::invalid(
            "arguments.path",
            "reading files on pacer's host is not available over A2A; send the file as content_base64 with data_type",
        ));
    }
    let context_id = message
        .get("contextId")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && c.len() <= 200)
        .map_or_else(crate::store::new_id, str::to_string);
    let (tenant, user) = (principal.tenant_id.clone(), principal.user_id.clone());
    let task = match crate::mcp::call_tool(state, principal, &skill, arguments).await {
        Ok(result) => task_from_result(context_id, &skill, result),
        Err(e) if e.code == ErrorCode::INVALID_PARAMS => {
            return Err(RpcError { code: INVALID_PARAMS, message: e.message.into_owned(), data: e.data });
        }
        Err(e) => {
            tracing::info!(code = e.code.0, skill, "skill failed with a JSON-RPC error");
            let error = json!({ "error": { "code": e.code.0, "message": e.message, "data": e.data } });
            let parts = vec![Part::Text { text: e.message.into_owned() }, Part::Data { data: error }];
            Task::finished(context_id, &skill, TaskState::Failed, Vec::new(), parts)
        }
    };
    TaskStore::global().insert(&tenant, &user, task.clone());
    serde_json::to_value(task).map_err(|e| RpcError::new(INTERNAL_ERROR, e.to_string()))
}

/// The text blocks of a tool result, joined.
fn text_of(result: &CallToolResult) -> String {
    let texts: Vec<&str> = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect();
    texts.join("\n")
}

fn task_from_result(context_id: String, skill: &str, result: CallToolResult) -> Task {
    if result.is_error == Some(true) {
        let text = text_of(&result);
        return Task::finished(context_id, skill, TaskState::Failed, Vec::new(), vec![Part::Text { text }]);
    }
    // pacer's tools put a summary first and the structured result in `structuredContent`.
    let summary = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone());
    let data = match result.structured_content {
        Some(data) => data,
        None => {
            let text = text_of(&result);
            serde_json::from_str(&text).unwrap_or_else(|_| json!({ "text": text }))
        }
    };
    let mut parts = vec![Part::Data { data }];
    parts.extend(summary.map(|text| Part::Text { text }));
    let artifact = Artifact { artifact_id: crate::store::new_id(), name: skill.to_string(), parts };
    Task::finished(context_id, skill, TaskState::Completed, vec![artifact], Vec::new())
}

#[cfg(test)]
mod tests {
    use rmcp::model::ContentBlock;

    use super::*;

    #[test]
    fn result_mapping() {
        let mut ok = CallToolResult::structured(json!({"activities": [1, 2]}));
        ok.content.insert(0, ContentBlock::text("2 activities"));
        let t = serde_json::to_value(task_from_result("c".into(), "get_activities", ok)).expect("json");
        assert_eq!(t["status"]["state"], "completed");
        assert_eq!(t["artifacts"][0]["parts"][0], json!({"kind": "data", "data": {"activities": [1, 2]}}));
        assert_eq!(t["artifacts"][0]["parts"][1], json!({"kind": "text", "text": "2 activities"}));
        assert_eq!(t["metadata"]["skill"], "get_activities");

        let failed = CallToolResult::error(vec![ContentBlock::text("Strava is not connected")]);
        let t = serde_json::to_value(task_from_result("c".into(), "get_athlete", failed)).expect("json");
        assert_eq!(t["status"]["state"], "failed");
        assert_eq!(t["status"]["message"]["parts"][0]["text"], "Strava is not connected");
        assert_eq!(t["artifacts"], json!([]));

        let plain = CallToolResult::success(vec![ContentBlock::text("not json")]);
        let t = serde_json::to_value(task_from_result("c".into(), "x", plain)).expect("json");
        assert_eq!(t["artifacts"][0]["parts"][0]["data"], json!({"text": "not json"}));
    }

    #[test]
    fn error_objects() {
        let e = RpcError::invalid("message.parts", "missing");
        assert_eq!(
            response(json!(7), Err(e)),
            json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "message.parts: missing", "data": {"field": "message.parts"}}})
        );
        assert_eq!(
            response(Value::Null, Err(RpcError::new(METHOD_NOT_FOUND, "x"))),
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32601, "message": "x"}})
        );
    }
}
