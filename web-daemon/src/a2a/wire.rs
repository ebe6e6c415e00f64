//! The two A2A wire generations pacer speaks on `POST /a2a`, and the one place its internal model
//! ([`super::tasks`], [`super::error`]) is written in either.
//!
//! | | A2A 0.3 | A2A 1.0 (ProtoJSON) |
//! |---|---|---|
//! | chosen by | `A2A-Version: 0.3`, or no version and a 0.3 method (`message/send`, `tasks/get`, …) | `A2A-Version: 1.0`, or no version and a 1.0 method (`SendMessage`, `GetTask`, …) |
//! | `SendMessage` result | the Task (or Message) itself | `{"task": …}` or `{"message": …}` |
//! | discriminators | `kind: "task"`, `"message"`, `"text"`, `"data"` | none: a part is `{"text"}` or `{"data"}` |
//! | task state, role | `completed`, `failed`; `agent` | `TASK_STATE_COMPLETED`, `TASK_STATE_FAILED`; `ROLE_AGENT` |
//! | error `data` | `{"field": …}` | `[{"@type": "type.googleapis.com/google.rpc.BadRequest", …}]` or `…ErrorInfo` |
//!
//! The version comes from the `A2A-Version` header (or `?A2A-Version=`); a patch part is ignored
//! (`1.0.2` is `1.0`), anything but 0.3 and 1.0 is `-32009` `VersionNotSupportedError`. Without
//! it the method name decides. Either generation's method names are accepted under either
//! version: the version chooses the shapes.

use serde_json::{Map, Value, json};

use super::error::{Detail, RpcError, VERSION_NOT_SUPPORTED, echo};
use super::tasks::{AgentMessage, Artifact, Part, Reply, Task, TaskState, TaskStatus};

/// The header (and query parameter) naming the version a client speaks.
pub const VERSION_HEADER: &str = "A2A-Version";
/// `domain` of pacer's `google.rpc.ErrorInfo` details.
const ERROR_DOMAIN: &str = "a2a-protocol.org";

/// An A2A wire generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V0_3,
    V1_0,
}

impl Version {
    /// Every version pacer speaks, the preferred first (the agent card's order).
    pub const ALL: [Version; 2] = [Version::V1_0, Version::V0_3];

    /// `Major.Minor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V0_3 => "0.3",
            Version::V1_0 => "1.0",
        }
    }

    /// An `A2A-Version` value: `Major.Minor`, a patch part ignored, a missing minor read as 0.
    pub fn parse(value: &str) -> Option<Self> {
        let numbers: Vec<u32> = value.trim().split('.').map(|n| n.parse().ok()).collect::<Option<_>>()?;
        match numbers.as_slice() {
            [0, 3] | [0, 3, _] => Some(Version::V0_3),
            [1] | [1, 0] | [1, 0, _] => Some(Version::V1_0),
            _ => None,
        }
    }

    /// The generation a method name belongs to: 0.3's are `category/action`, 1.0's PascalCase.
    pub fn of_method(method: &str) -> Self {
        if method.contains('/') { Version::V0_3 } else { Version::V1_0 }
    }

    /// The version a request speaks: `requested` (its `A2A-Version`; empty counts as absent) when
    /// given, else the generation of `method`.
    pub fn negotiate(requested: Option<&str>, method: &str) -> Result<Self, RpcError> {
        match requested.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Self::of_method(method)),
            Some(v) => Self::parse(v).ok_or_else(|| {
                let supported: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                let v = echo(v);
                let message = format!(
                    "A2A version {v} is not supported (supported: {}); send the {VERSION_HEADER} header with one of them",
                    supported.join(", ")
                );
                RpcError { code: VERSION_NOT_SUPPORTED, message, detail: Detail::Version(v) }
            }),
        }
    }

    /// A JSON-RPC `result` for `SendMessage`.
    pub fn send_result(self, reply: &Reply) -> Value {
        let (key, value) = match reply {
            Reply::Task(task) => ("task", self.task(task)),
            Reply::Message(message) => ("message", self.message(message)),
        };
        match self {
            Version::V0_3 => value,
            Version::V1_0 => json!({ key: value }),
        }
    }

    /// A Task (the `result` of `GetTask`).
    pub fn task(self, task: &Task) -> Value {
        let mut out = self.tagged("task");
        out.insert("id".into(), task.id.clone().into());
        out.insert("contextId".into(), task.context_id.clone().into());
        out.insert("status".into(), self.status(&task.status));
        out.insert("artifacts".into(), task.artifacts.iter().map(|a| self.artifact(a)).collect());
        out.insert("metadata".into(), json!({ "skill": task.skill }));
        Value::Object(out)
    }

    /// A Message from pacer.
    pub fn message(self, message: &AgentMessage) -> Value {
        let mut out = self.tagged("message");
        out.insert("messageId".into(), message.message_id.clone().into());
        out.insert("contextId".into(), message.context_id.clone().into());
        if let Some(task_id) = &message.task_id {
            out.insert("taskId".into(), task_id.clone().into());
        }
        let role = match self {
            Version::V0_3 => "agent",
            Version::V1_0 => "ROLE_AGENT",
        };
        out.insert("role".into(), role.into());
        out.insert("parts".into(), self.parts(&message.parts));
        Value::Object(out)
    }

    /// A JSON-RPC `error` object.
    pub fn error(self, error: &RpcError) -> Value {
        let mut out = json!({ "code": error.code, "message": error.message });
        if let Some(data) = self.error_data(&error.detail) {
            out["data"] = data;
        }
        out
    }

    fn error_data(self, detail: &Detail) -> Option<Value> {
        let info = |reason: &str, metadata: Value| {
            json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": ERROR_DOMAIN,
                "metadata": metadata,
            }])
        };
        let supported = || Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>();
        match (self, detail) {
            (_, Detail::None) => None,
            (Version::V0_3, Detail::Field { field, .. }) => Some(json!({ "field": field })),
            (Version::V0_3, Detail::TaskNotFound(id)) => Some(json!({ "taskId": id })),
            (Version::V0_3, Detail::Raw(data)) => Some(data.clone()),
            (Version::V1_0, Detail::Raw(_)) => None,
            (Version::V1_0, Detail::Field { field, problem }) => Some(json!([{
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{ "field": field, "description": problem }],
            }])),
            (Version::V1_0, Detail::TaskNotFound(id)) => Some(info("TASK_NOT_FOUND", json!({ "taskId": id }))),
            // The version error is a 1.0 notion: always in 1.0's shape.
            (_, Detail::Version(requested)) => Some(info(
                "VERSION_NOT_SUPPORTED",
                json!({ "requestedVersion": requested, "supportedVersions": supported().join(",") }),
            )),
        }
    }

    /// An object with 0.3's `kind` discriminator, or empty for 1.0.
    fn tagged(self, kind: &str) -> Map<String, Value> {
        let mut out = Map::new();
        if self == Version::V0_3 {
            out.insert("kind".into(), kind.into());
        }
        out
    }

    fn status(self, status: &TaskStatus) -> Value {
        let state = match (self, status.state) {
            (Version::V0_3, TaskState::Completed) => "completed",
            (Version::V0_3, TaskState::Failed) => "failed",
            (Version::V1_0, TaskState::Completed) => "TASK_STATE_COMPLETED",
            (Version::V1_0, TaskState::Failed) => "TASK_STATE_FAILED",
        };
        let mut out = json!({ "state": state, "timestamp": status.timestamp });
        if let Some(message) = &status.message {
            out["message"] = self.message(message);
        }
        out
    }

    fn artifact(self, artifact: &Artifact) -> Value {
        json!({ "artifactId": artifact.artifact_id, "name": artifact.name, "parts": self.parts(&artifact.parts) })
    }

    fn parts(self, parts: &[Part]) -> Value {
        parts.iter().map(|p| self.part(p)).collect()
    }

    fn part(self, part: &Part) -> Value {
        let (kind, key, value) = match part {
            Part::Text(text) => ("text", "text", Value::String(text.clone())),
            Part::Data(data) => ("data", "data", data.clone()),
        };
        let mut out = self.tagged(kind);
        out.insert(key.into(), value);
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::a2a::error::{INVALID_PARAMS, TASK_NOT_FOUND};

    fn task() -> Task {
        let parts = vec![Part::Data(json!({"n": 7})), Part::Text("7 things".into())];
        let artifact = Artifact { artifact_id: "a7".into(), name: "get_athlete".into(), parts };
        Task::finished("ctx".into(), "get_athlete", TaskState::Completed, vec![artifact], Vec::new())
    }

    #[test]
    fn versions_from_header_and_method() {
        for (value, version) in [
            ("1.0", Some(Version::V1_0)),
            (" 1.0.2 ", Some(Version::V1_0)),
            ("1", Some(Version::V1_0)),
            ("0.3", Some(Version::V0_3)),
            ("0.3.0", Some(Version::V0_3)),
            ("0.2", None),
            ("1.1", None),
            ("2.0", None),
            ("1.0.x", None),
            ("1.0.0.0", None),
            ("v1", None),
            ("", None),
            ("1.", None),
        ] {
            assert_eq!(Version::parse(value), version, "{value:?}");
        }
        assert_eq!(Version::negotiate(None, "SendMessage"), Ok(Version::V1_0));
        assert_eq!(Version::negotiate(None, "message/send"), Ok(Version::V0_3));
        assert_eq!(Version::negotiate(Some(""), "tasks/get"), Ok(Version::V0_3), "empty is absent");
        assert_eq!(Version::negotiate(Some("0.3"), "SendMessage"), Ok(Version::V0_3), "the header wins");
        assert_eq!(Version::negotiate(Some("1.0"), "message/send"), Ok(Version::V1_0));
        let e = Version::negotiate(Some("0.5"), "SendMessage").expect_err("0.5");
        assert_eq!(e.code, VERSION_NOT_SUPPORTED);
        let data = Version::V1_0.error(&e)["data"][0].clone();
        assert_eq!(data["reason"], "VERSION_NOT_SUPPORTED");
        assert_eq!(data["metadata"], json!({"requestedVersion": "0.5", "supportedVersions": "1.0,0.3"}));
        let long = Version::negotiate(Some(&"9".repeat(500)), "GetTask").expect_err("long");
        assert!(long.message.len() < 200, "echo is bounded: {}", long.message);
    }

    #[test]
    fn task_in_both_generations() {
        let t = task();
        let v1 = Version::V1_0.task(&t);
        assert!(v1.get("kind").is_none());
        assert_eq!(v1["status"]["state"], "TASK_STATE_COMPLETED");
        assert_eq!(v1["artifacts"][0]["parts"], json!([{"data": {"n": 7}}, {"text": "7 things"}]));
        assert_eq!(v1["metadata"], json!({"skill": "get_athlete"}));
        let v03 = Version::V0_3.task(&t);
        assert_eq!(v03["kind"], "task");
        assert_eq!(v03["status"]["state"], "completed");
        assert_eq!(v03["artifacts"][0]["parts"][0], json!({"kind": "data", "data": {"n": 7}}));
        assert_eq!((v03["id"].clone(), v03["contextId"].clone()), (v1["id"].clone(), v1["contextId"].clone()));

        let failed = Task::finished("c".into(), "x", TaskState::Failed, Vec::new(), vec![Part::Text("no".into())]);
        let v1 = Version::V1_0.task(&failed);
        assert_eq!(v1["status"]["state"], "TASK_STATE_FAILED");
        let message = &v1["status"]["message"];
        assert_eq!((message["role"].as_str(), message["taskId"].as_str()), (Some("ROLE_AGENT"), v1["id"].as_str()));
        assert_eq!(message["parts"], json!([{"text": "no"}]));
        let v03 = Version::V0_3.task(&failed);
        assert_eq!(v03["status"]["message"]["role"], "agent");
        assert_eq!(v03["status"]["message"]["kind"], "message");
    }

    #[test]
    fn send_result_envelopes() {
        let t = task();
        assert_eq!(Version::V1_0.send_result(&Reply::Task(t.clone()))["task"], Version::V1_0.task(&t));
        assert_eq!(Version::V0_3.send_result(&Reply::Task(t.clone())), Version::V0_3.task(&t));
        let m = AgentMessage::new("ctx".into(), None, vec![Part::Text("hi".into())]);
        let v1 = Version::V1_0.send_result(&Reply::Message(m.clone()));
        assert_eq!(v1["message"]["role"], "ROLE_AGENT");
        assert!(v1["message"].get("taskId").is_none());
        assert_eq!(Version::V0_3.send_result(&Reply::Message(m))["kind"], "message");
    }

    #[test]
    fn error_data_per_generation() {
        let e = RpcError::invalid("arguments.limit", "must be at least 1");
        assert_eq!(e.code, INVALID_PARAMS);
        assert_eq!(
            Version::V0_3.error(&e),
            json!({"code": -32602, "message": "arguments.limit: must be at least 1", "data": {"field": "arguments.limit"}})
        );
        let v1 = Version::V1_0.error(&e);
        assert_eq!(v1["data"][0]["@type"], "type.googleapis.com/google.rpc.BadRequest");
        assert_eq!(
            v1["data"][0]["fieldViolations"][0],
            json!({"field": "arguments.limit", "description": "must be at least 1"})
        );
        let e = RpcError::task_not_found("t-1");
        assert_eq!(e.code, TASK_NOT_FOUND);
        assert_eq!(Version::V1_0.error(&e)["data"][0]["metadata"], json!({"taskId": "t-1"}));
        let raw = RpcError { detail: Detail::Raw(json!({"x": 1})), ..RpcError::new(-1, "m") };
        assert_eq!(Version::V0_3.error(&raw)["data"], json!({"x": 1}));
        assert!(Version::V1_0.error(&raw).get("data").is_none());
    }
}
