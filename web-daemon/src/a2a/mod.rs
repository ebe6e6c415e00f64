//! A2A (agent-to-agent): a registry where a tenant's agents announce themselves, and pacer's own
//! A2A agent, whose skills are the MCP tools.
//!
//! - [`registry`]: validation and the register / discover / card operations, always within the
//!   caller's tenant (SQL in `store::a2a`).
//! - [`card`]: pacer's agent card (`GET /.well-known/agent-card.json`), skills built from
//!   [`crate::mcp::tool_definitions`].
//! - [`rpc`]: the JSON-RPC 2.0 endpoint (`POST /a2a`): `SendMessage` runs one skill through
//!   [`crate::mcp::call_tool`] (same gate, usage rows and error mapping as MCP) and answers with a
//!   Task; `GetTask` reads it back.
//! - [`message`]: which skill a message asks for (a data part `{skill, arguments}`, or text such
//!   as `get_activities limit 5`).
//! - [`tasks`]: the A2A Task shapes and the bounded in-memory task map.
//!
//! Routes live in `http/a2a.rs`.

pub mod card;
pub mod message;
pub mod registry;
pub mod rpc;
pub mod tasks;

pub use registry::RegistryError;
