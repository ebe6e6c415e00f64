//! A2A (agent-to-agent): a registry where a tenant's agents announce themselves, and pacer's own
//! A2A agent, whose skills are the MCP tools.
//!
//! - [`registry`]: validation and the register / discover / card operations, always within the
//!   caller's tenant (SQL in `store::a2a`).
//! - [`card`]: pacer's agent card (`GET /.well-known/agent-card.json`), skills built from
//!   [`crate::mcp::tool_definitions`]; it lists a 1.0 and a 0.3 interface.
//! - [`rpc`]: the JSON-RPC 2.0 endpoint (`POST /a2a`): `SendMessage` runs one skill through
//!   [`crate::mcp::call_tool`] (same gate, usage rows and error mapping as MCP) and answers with a
//!   Task; `GetTask` reads it back.
//! - [`wire`]: the two wire generations (0.3 and 1.0's ProtoJSON), which one a request speaks, and
//!   the one mapping of the internal model to each.
//! - [`message`]: which skill a message asks for (a data part `{skill, arguments}`, or text such
//!   as `get_activities limit 5`).
//! - [`tasks`]: the internal Task model and the bounded in-memory task map.
//! - [`error`]: JSON-RPC and A2A error codes.
//!
//! Routes live in `http/a2a.rs`.

pub mod card;
pub mod error;
pub mod message;
#[cfg(test)]
mod message_proptest;
pub mod registry;
pub mod rpc;
pub mod tasks;
pub mod wire;

pub use registry::RegistryError;
