//! A2A JSON-RPC errors: the codes (JSON-RPC's and A2A's `-32001..`) and [`RpcError`], whose
//! `data` [`super::wire`] writes in the generation the client speaks.

use serde_json::Value;

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
/// A2A `VersionNotSupportedError` (1.0).
pub const VERSION_NOT_SUPPORTED: i32 = -32009;

/// What an error is about, for its `data`.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    None,
    /// An invalid parameter.
    Field {
        field: String,
        problem: String,
    },
    /// The task id that was not found.
    TaskNotFound(String),
    /// The `A2A-Version` asked for (bounded, printable).
    Version(String),
    /// Another error's `data`, passed on as it is (0.3 only; 1.0 requires typed details).
    Raw(Value),
}

/// A JSON-RPC error.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    pub detail: Detail,
}

impl RpcError {
    /// An error without details.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), detail: Detail::None }
    }

    /// `-32602`, message `"<field>: <problem>"`.
    pub fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        let problem = problem.to_string();
        Self {
            code: INVALID_PARAMS,
            message: format!("{field}: {problem}"),
            detail: Detail::Field { field: field.to_string(), problem },
        }
    }

    /// `-32001` for `id`.
    pub fn task_not_found(id: &str) -> Self {
        let id = echo(id);
        Self { code: TASK_NOT_FOUND, message: format!("Task not found: {id}"), detail: Detail::TaskNotFound(id) }
    }
}

/// Most characters of a client's value repeated in an answer.
pub const MAX_ECHO_CHARS: usize = 64;

/// `value` as an answer may repeat it: at most [`MAX_ECHO_CHARS`] characters (then `…`), control
/// characters as `?`.
pub fn echo(value: &str) -> String {
    let mut out: String = value.chars().take(MAX_ECHO_CHARS).map(|c| if c.is_control() { '?' } else { c }).collect();
    if value.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push('…');
    }
    out
}
