//! pacer's MCP tools, one file per group. Each group is a `#[tool_router]` impl block on
//! [`PacerMcp`]; [`router`] joins them once per process.

mod activities;
mod analytics;
mod athlete;
mod connection;
mod format;
mod import;
mod progress;
#[cfg(test)]
mod proof;
mod upload;
mod upload_file;

use std::sync::LazyLock;

use rmcp::handler::server::router::tool::ToolRouter;

pub use upload_file::MAX_UPLOAD_BYTES;

use super::server::PacerMcp;

/// Every tool, built once.
pub fn router() -> &'static ToolRouter<PacerMcp> {
    static ROUTER: LazyLock<ToolRouter<PacerMcp>> = LazyLock::new(|| {
        let mut router = PacerMcp::activity_tools()
            + PacerMcp::analytics_tools()
            + PacerMcp::athlete_tools()
            + PacerMcp::upload_tools()
            + PacerMcp::import_tools()
            + PacerMcp::connection_tools();
        for route in router.map.values_mut() {
            let tool = &mut route.attr;
            let mut input = (*tool.input_schema).clone();
            super::schema_tidy::input(&mut input);
            tool.input_schema = std::sync::Arc::new(input);
            if let Some(schema) = &tool.output_schema {
                let mut output = (**schema).clone();
                super::schema_tidy::output(&mut output);
                tool.output_schema = Some(std::sync::Arc::new(output));
            }
            if let Some(app) = super::apps::for_tool(&tool.name) {
                let meta = serde_json::json!({ "ui": { "resourceUri": app.uri } });
                tool.meta = serde_json::from_value(meta).ok();
            }
        }
        router
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

#[cfg(test)]
mod tests {
    #[test]
    fn tools_list_fits_the_result_budget() {
        let tools = super::definitions();
        let mut sizes: Vec<(usize, String)> =
            tools.iter().map(|t| (serde_json::to_vec(t).map(|v| v.len()).unwrap_or(0), t.name.to_string())).collect();
        sizes.sort();
        let total = crate::mcp::budget::size_of(&serde_json::json!({ "tools": tools }));
        assert!(total <= crate::mcp::budget::DEFAULT_RESULT_BUDGET, "tools/list is {total} bytes: {sizes:?}");
    }
}
