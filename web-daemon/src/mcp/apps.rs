//! MCP Apps (the `io.modelcontextprotocol/ui` extension): charts for clients that render them.
//! `get_training_load` and `get_activity` carry `_meta.ui.resourceUri` pointing at a `ui://`
//! resource: a self-contained HTML page (inline script and style, no network access) that draws
//! the tool's `structuredContent`, which the host posts to it (`ui/notifications/tool-result`).
//! Clients without MCP Apps get the same numbers as structured data.

use rmcp::model::{Resource, ResourceContents};

/// The MIME type of MCP App HTML resources.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

/// One app: its URI, the tool it belongs to, a title and the page.
pub struct App {
    pub uri: &'static str,
    pub tool: &'static str,
    pub title: &'static str,
    pub html: &'static str,
}

/// Every app pacer serves.
pub const APPS: [App; 2] = [
    App {
        uri: "ui://pacer/training-load.html",
        tool: "get_training_load",
        title: "Fitness, fatigue and form chart",
        html: include_str!("apps/training-load.html"),
    },
    App {
        uri: "ui://pacer/activity.html",
        tool: "get_activity",
        title: "Activity card",
        html: include_str!("apps/activity.html"),
    },
];

/// `resources/list`.
pub fn resources() -> Vec<Resource> {
    APPS.iter()
        .map(|app| {
            let mut r = Resource::new(app.uri, app.uri.trim_start_matches("ui://pacer/"));
            r.title = Some(app.title.to_owned());
            r.mime_type = Some(MIME_TYPE.to_owned());
            r.size = u64::try_from(app.html.len()).ok();
            r
        })
        .collect()
}

/// `resources/read` of `uri`, if it is one of the apps.
pub fn read(uri: &str) -> Option<ResourceContents> {
    let app = APPS.iter().find(|a| a.uri == uri)?;
    Some(ResourceContents::text(app.html, app.uri).with_mime_type(MIME_TYPE))
}

/// The app linked to `tool`, if any.
pub fn for_tool(tool: &str) -> Option<&'static App> {
    APPS.iter().find(|a| a.tool == tool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_self_contained() {
        for app in &APPS {
            let lower = app.html.to_ascii_lowercase();
            for external in ["src=\"http", "href=\"http", "fetch(", "xmlhttprequest", "websocket", "@import", "url("] {
                assert!(!lower.contains(external), "{} loads from the network: {external}", app.uri);
            }
            assert!(read(app.uri).is_some() && for_tool(app.tool).is_some());
        }
        assert_eq!(resources().len(), APPS.len());
        assert!(read("ui://pacer/nope.html").is_none());
    }
}
