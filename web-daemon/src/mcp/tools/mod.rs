//! pacer's MCP tools, one file per group. Each group is a `#[tool_router]` impl block on
//! [`PacerMcp`]; [`router`] joins them once per process.

mod activities;
mod analytics;
mod athlete;
mod connection;
mod format;
mod import;
mod progress;
mod upload;
mod upload_file;

use std::sync::LazyLock;

use rmcp::handler::server::router::tool::ToolRouter;

pub use upload_file::MAX_UPLOAD_BYTES;

use super::server::PacerMcp;

/// Every tool, built once.
pub fn router() -> &'static ToolRouter<PacerMcp> {
    static ROUTER: LazyLock<ToolRouter<PacerMcp>> = LazyLock::new(|| {
        PacerMcp::activity_tools()
            + PacerMcp::analytics_tools()
            + PacerMcp::athlete_tools()
            + PacerMcp::upload_tools()
            + PacerMcp::import_tools()
            + PacerMcp::connection_tools()
    });
    &ROUTER
}

/// Every tool's definition (name, title, description, input and output schema, annotations),
/// sorted by name: what `tools/list` returns (A2A agent-card skills are built from it).
pub fn definitions() -> Vec<rmcp::model::Tool> {
    router().list_all()
}

/// The tool names, sorted.
pub fn names() -> Vec<String> {
    router().list_all().into_iter().map(|t| t.name.into_owned()).collect()
}
