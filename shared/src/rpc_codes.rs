//! pacer's own JSON-RPC error codes (the server-defined range −32000 … −32099): the one list the
//! daemon and `pacer-mcp` share, so that a code never means two things.
//!
//! Codes others define in that range are not reused: MCP's −32002 (resource not found) and
//! rmcp's −32020 / −32022 (2026-07-28 header mismatch / unsupported protocol version).

/// `pacer-mcp`: the daemon cannot be reached (not running and not startable, socket unusable).
pub const DAEMON_UNREACHABLE: i32 = -32000;
/// The API key was refused at the socket handshake, or deactivated during a session.
pub const UNAUTHORIZED: i32 = -32001;
/// Reserved by MCP: resource not found.
pub const MCP_RESOURCE_NOT_FOUND: i32 = -32002;
/// An OAuth access token's scopes do not cover the tool (`data.scope` names the scope).
pub const INSUFFICIENT_SCOPE: i32 = -32003;
/// `pacer-mcp` and the daemon speak different socket-protocol versions.
pub const VERSION_MISMATCH: i32 = -32004;
/// The session's OAuth grant (connected application) was revoked.
pub const GRANT_REVOKED: i32 = -32005;
/// A rate limit (pacer's per key or grant, or the provider's) is exhausted; `data` says when to
/// retry.
pub const RATE_LIMITED: i32 = -32029;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_and_in_the_server_range() {
        let codes = [
            DAEMON_UNREACHABLE,
            UNAUTHORIZED,
            MCP_RESOURCE_NOT_FOUND,
            INSUFFICIENT_SCOPE,
            VERSION_MISMATCH,
            GRANT_REVOKED,
            RATE_LIMITED,
        ];
        let mut sorted = codes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        assert!(codes.iter().all(|c| (-32099..=-32000).contains(c)));
        assert!(!codes.contains(&-32020) && !codes.contains(&-32022), "rmcp's 2026 codes");
    }
}
