//! The A2A JSON-RPC 2.0 endpoint (`POST /a2a`), in either wire generation ([`super::wire`]:
//! the `A2A-Version` header, else the method name, chooses).
//!
//! | method | does |
//! |---|---|
//! | `SendMessage` (`message/send`) | runs the skill the message names (see [`super::message`]) through [`crate::mcp::call_tool`]; answers with a finished Task |
//! | `GetTask` (`tasks/get`) | `{id}` → that Task, if the caller's tenant and user created it |
//! | `CancelTask` (`tasks/cancel`) | every task is finished already: `-32002` (or `-32001` when unknown) |
//! | streaming, push notifications, extended card | `-32004` / `-32003` / `-32004` (not supported; the card says so) |
//!
//! Outcomes of `SendMessage`:
//! - success → Task `completed`, one artifact: a data part (the tool's structured result) and a
//!   text part (its one-line summary);
//! - the tool failed (`isError`: not connected, not found, provider refused) → Task `failed`, the
//!   reason in `status.message` as a text part;
//! - a text that does not start with a skill name → a Message (no task) saying so and listing the
//!   skills;
//! - unknown skill in a data part, or bad arguments → JSON-RPC error `-32602` naming the field (no
//!   task);
//! - any other tool-pipeline error (rate limit, token refresh failure, key deactivated,
//!   internal) → Task `failed`, `status.message` with a text part and a data part
//!   `{"error": {code, message, data}}` (MCP's codes would clash with A2A's `-32001..`).
//!
//! Protocol errors: unparsable JSON `-32700`, not a request object `-32600`, unknown method
//! `-32601`, bad params `-32602`, unknown task `-32001`, unsupported `A2A-Version` `-32009`.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ErrorCode};
use serde_json::{Value, json};
use tracing::Instrument;

use super::error::{
    Detail, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, PUSH_NOT_SUPPORTED,
    RpcError, TASK_NOT_CANCELABLE, UNSUPPORTED_OPERATION,
};
use super::message::{self, Asked, SkillCall};
use super::tasks::{AgentMessage, Artifact, Part, QUOTAS, Reply, Task, TaskState, TaskStore};
use super::wire::Version;
use crate::auth::Principal;
use crate::state::AppState;
use crate::untrusted::Untrusted;

fn response(version: Version, id: Value, outcome: Result<Value, RpcError>) -> Value {
    match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(e) => json!({ "jsonrpc": "2.0", "id": id, "error": version.error(&e) }),
    }
}

/// Handles one request body; `requested` is the client's `A2A-Version`, if any. `None` for a
/// notification (a request without `id`), which gets no answer.
pub async fn handle(state: Arc<AppState>, principal: Principal, body: &[u8], requested: Option<&str>) -> Option<Value> {
    // Before the method is known, errors carry no `data`: their shape is the same in both.
    let early =
        |id: Value, code: i32, message: &str| Some(response(Version::V1_0, id, Err(RpcError::new(code, message))));
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return early(Value::Null, PARSE_ERROR, &format!("parse error: {e}")),
    };
    let Value::Object(request) = request else {
        let problem = if request.is_array() { "batch requests are not supported" } else { "expected a request object" };
        return early(Value::Null, INVALID_REQUEST, problem);
    };
    let id = request.get("id").cloned();
    if let Some(bad) = id.as_ref().filter(|id| !(id.is_string() || id.is_number() || id.is_null())) {
        tracing::debug!(id = %Untrusted(&bad.to_string()), "invalid JSON-RPC id");
        return early(Value::Null, INVALID_REQUEST, "id must be a string, number or null");
    }
    let reply_id = id.clone().unwrap_or(Value::Null);
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return early(reply_id, INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    }
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return early(reply_id, INVALID_REQUEST, "method must be a string");
    };
    let version = match Version::negotiate(requested, method) {
        Ok(version) => version,
        Err(e) => return id.map(|id| response(Version::V1_0, id, Err(e))),
    };
    let params = request.get("params").cloned().unwrap_or_else(|| json!({}));
    let span = tracing::info_span!("a2a_rpc", method = %Untrusted(method), version = version.as_str(), tenant = %principal.tenant_id, user = %principal.user_id);
    let outcome = dispatch(state, principal, version, method, params).instrument(span).await;
    id.map(|id| response(version, id, outcome))
}

async fn dispatch(
    state: Arc<AppState>,
    principal: Principal,
    version: Version,
    method: &str,
    params: Value,
) -> Result<Value, RpcError> {
    if !params.is_object() {
        return Err(RpcError::invalid("params", "must be an object"));
    }
    match method {
        "SendMessage" | "message/send" => {
            send_message(state, principal, &params).await.map(|reply| version.send_result(&reply))
        }
        "GetTask" | "tasks/get" => find_task(&state, &principal, &params).await.map(|task| version.task(&task)),
        "CancelTask" | "tasks/cancel" => {
            let task = find_task(&state, &principal, &params).await?;
            Err(RpcError::new(TASK_NOT_CANCELABLE, format!("task {} is already finished", task.id)))
        }
        "SendStreamingMessage" | "message/stream" | "SubscribeToTask" | "tasks/resubscribe" => {
            Err(RpcError::new(UNSUPPORTED_OPERATION, "streaming is not supported; use SendMessage"))
        }
        "GetExtendedAgentCard" | "agent/getAuthenticatedExtendedCard" => Err(RpcError::new(
            UNSUPPORTED_OPERATION,
            "there is no extended agent card; GET /.well-known/agent-card.json is the whole card",
        )),
        m if m.contains("PushNotificationConfig") || m.starts_with("tasks/pushNotificationConfig/") => {
            Err(RpcError::new(PUSH_NOT_SUPPORTED, "push notifications are not supported"))
        }
        other => Err(RpcError::new(METHOD_NOT_FOUND, format!("method not found: {}", super::error::echo(other)))),
    }
}

/// `{"id": "<task id>"}` (or `{"name": "tasks/<id>"}`) → the caller's task.
async fn find_task(state: &AppState, principal: &Principal, params: &Value) -> Result<Task, RpcError> {
    let id = params
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| params.get("name").and_then(Value::as_str).map(|n| n.strip_prefix("tasks/").unwrap_or(n)))
        .ok_or_else(|| RpcError::invalid("id", "required (the task id)"))?;
    match TaskStore::new(state.store.clone(), QUOTAS).get(&principal.tenant_id, &principal.user_id, id).await {
        Ok(Some(task)) => Ok(task),
        Ok(None) => Err(RpcError::task_not_found(id)),
        Err(e) => {
            tracing::error!(error = %e, "reading an A2A task failed");
            Err(RpcError::new(INTERNAL_ERROR, "the task store is unavailable; try again"))
        }
    }
}

async fn send_message(state: Arc<AppState>, principal: Principal, params: &Value) -> Result<Reply, RpcError> {
    let message = params
        .get("message")
        .filter(|m| m.is_object())
        .ok_or_else(|| RpcError::invalid("message", "required (an A2A message with parts)"))?;
    let context_id = message
        .get("contextId")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && c.len() <= 200)
        .map_or_else(crate::store::new_id, str::to_string);
    let skills = crate::mcp::tool_names();
    let SkillCall { skill, arguments } = match message::skill_call(message, &skills)? {
        Asked::Call(call) => call,
        Asked::NoSkill { word } => {
            tracing::info!(word = %Untrusted(&word), "A2A text names no skill");
            let text = message::no_skill_text(&word, &skills);
            let data = json!({ "error": "unknown_skill", "skills": skills });
            return Ok(Reply::Message(AgentMessage::new(context_id, None, vec![Part::Text(text), Part::Data(data)])));
        }
    };
    if skill == "upload_activity" && arguments.contains_key("path") {
        return Err(RpcError::invalid(
            "arguments.path",
            "reading files on pacer's host is not available over A2A; send the file as content_base64 with data_type",
        ));
    }
    let (tenant, user) = (principal.tenant_id.clone(), principal.user_id.clone());
    let tasks = TaskStore::new(state.store.clone(), QUOTAS);
    let task = match crate::mcp::call_tool(state, principal, &skill, arguments).await {
        Ok(result) => task_from_result(context_id, &skill, result),
        Err(e) if e.code == ErrorCode::INVALID_PARAMS => return Err(invalid_from_mcp(e.message.into_owned(), e.data)),
        Err(e) => {
            tracing::info!(code = e.code.0, skill, "skill failed with a JSON-RPC error");
            let error = json!({ "error": { "code": e.code.0, "message": e.message, "data": e.data } });
            let parts = vec![Part::Text(e.message.into_owned()), Part::Data(error)];
            Task::finished(context_id, &skill, TaskState::Failed, Vec::new(), parts)
        }
    };
    if let Err(e) = tasks.insert(&tenant, &user, &task).await {
        // The answer still carries the task; only a later GetTask would miss it.
        tracing::error!(error = %e, "keeping an A2A task failed");
    }
    Ok(Reply::Task(task))
}

/// MCP's `-32602` (`"<field>: <problem>"`, `data.field`) as an A2A one.
fn invalid_from_mcp(message: String, data: Option<Value>) -> RpcError {
    let field = data.as_ref().and_then(|d| d.get("field")).and_then(Value::as_str).map(str::to_string);
    let detail = match (field, data) {
        (Some(field), _) => {
            let problem = message.strip_prefix(&format!("{field}: ")).unwrap_or(&message).to_string();
            Detail::Field { field, problem }
        }
        (None, Some(data)) => Detail::Raw(data),
        (None, None) => Detail::None,
    };
    RpcError { code: INVALID_PARAMS, message, detail }
}

/// The text blocks of a tool result, joined.
fn text_of(result: &CallToolResult) -> String {
    let texts: Vec<&str> = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect();
    texts.join("\n")
}

fn task_from_result(context_id: String, skill: &str, result: CallToolResult) -> Task {
    if result.is_error == Some(true) {
        let text = text_of(&result);
        return Task::finished(context_id, skill, TaskState::Failed, Vec::new(), vec![Part::Text(text)]);
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
    let mut parts = vec![Part::Data(data)];
    parts.extend(summary.map(Part::Text));
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
        let t = task_from_result("c".into(), "get_activities", ok);
        assert_eq!(t.status.state, TaskState::Completed);
        let parts = vec![Part::Data(json!({"activities": [1, 2]})), Part::Text("2 activities".into())];
        assert_eq!(t.artifacts[0].parts, parts);
        assert_eq!(t.skill, "get_activities");

        let failed = CallToolResult::error(vec![ContentBlock::text("Strava is not connected")]);
        let t = task_from_result("c".into(), "get_athlete", failed);
        assert_eq!(t.status.state, TaskState::Failed);
        let message = t.status.message.expect("message");
        assert_eq!(message.parts, vec![Part::Text("Strava is not connected".into())]);
        assert_eq!(message.task_id.as_deref(), Some(t.id.as_str()));
        assert!(t.artifacts.is_empty());

        let plain = CallToolResult::success(vec![ContentBlock::text("not json")]);
        let t = task_from_result("c".into(), "x", plain);
        assert_eq!(t.artifacts[0].parts[0], Part::Data(json!({"text": "not json"})));
    }

    #[test]
    fn error_objects() {
        let e = RpcError::invalid("message.parts", "missing");
        assert_eq!(
            response(Version::V0_3, json!(7), Err(e)),
            json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "message.parts: missing", "data": {"field": "message.parts"}}})
        );
        assert_eq!(
            response(Version::V1_0, Value::Null, Err(RpcError::new(METHOD_NOT_FOUND, "x"))),
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32601, "message": "x"}})
        );
        let mcp = invalid_from_mcp("limit: must be at least 1".into(), Some(json!({"field": "limit"})));
        let field = Detail::Field { field: "limit".into(), problem: "must be at least 1".into() };
        assert_eq!((mcp.code, mcp.message.as_str(), mcp.detail), (INVALID_PARAMS, "limit: must be at least 1", field));
    }
}
