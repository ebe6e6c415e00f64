//! `pacer-shared`: the wire protocol between `pacer-mcp` and `pacerd`, and the domain types
//! both sides need. No I/O policy and no SQL live here.

pub mod domain;
pub mod import;
pub mod ipc;
pub mod paths;
pub mod rpc_codes;

pub use domain::{KeyCreated, KeyInfo, NewKeyInfo, ProviderId, Secret, StatusInfo, TenantId, Tier, UserId, UserInfo};
