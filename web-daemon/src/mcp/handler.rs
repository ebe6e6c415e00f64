//! The rmcp `ServerHandler` of [`PacerMcp`]: server info and versions, discovery, lists,
//! prompts, app resources, tasks, and `tools/call` handed to the gate. Kept apart from the
//! session type (`server.rs`) so the gate and the tools depend on the session, not on this.

use std::borrow::Cow;

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, DiscoverResult, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool_handler};

use super::server::{HANDSHAKE_PROTOCOL_VERSION, INSTRUCTIONS, LIST_TTL_MS, MAX_PROTOCOL_VERSION, PacerMcp};
use super::{gate, tools};

#[tool_handler(router = tools::router())]
impl ServerHandler for PacerMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().enable_tasks().build(),
        )
        .with_server_info(
            Implementation::new("pacer", env!("CARGO_PKG_VERSION"))
                .with_title("pacer")
                .with_description("Fitness data (Strava) for assistants and agents"),
        )
        .with_instructions(INSTRUCTIONS)
        .with_protocol_version(HANDSHAKE_PROTOCOL_VERSION)
    }

    /// Every version rmcp knows up to 2026-07-28. rmcp validates each 2026 request's `_meta`
    /// (`-32602` naming the missing key) and answers an unsupported version with `-32022` and
    /// this list; `initialize` asking for 2026-07-28 is answered with 2025-11-25.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&MAX_PROTOCOL_VERSION))
    }

    async fn discover(&self, _context: RequestContext<RoleServer>) -> Result<DiscoverResult, ErrorData> {
        Ok(DiscoverResult::from_server_info(self.supported_protocol_versions().into_owned(), self.get_info())
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut result = ListToolsResult::with_all_items(tools::definitions());
        (result.ttl_ms, result.cache_scope) = cache_hints(&context);
        Ok(result)
    }

    /// `weekly_review` and `race_readiness`; see [`super::prompts`].
    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let mut result = ListPromptsResult::with_all_items(super::prompts::definitions());
        (result.ttl_ms, result.cache_scope) = cache_hints(&context);
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        super::prompts::get(&request.name, request.arguments.as_ref()).map(Into::into)
    }

    /// The MCP Apps (`ui://` chart pages); see [`super::apps`].
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut result = ListResourcesResult::with_all_items(super::apps::resources());
        (result.ttl_ms, result.cache_scope) = cache_hints(&context);
        Ok(result)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        match super::apps::read(&request.uri) {
            Some(contents) => {
                let mut result = ReadResourceResult::new(vec![contents]);
                (result.ttl_ms, result.cache_scope) = cache_hints(&context);
                Ok(result.into())
            }
            None => Err(ErrorData::resource_not_found(
                format!("unknown resource '{}' (pacer serves its ui://pacer/ apps)", request.uri),
                Some(serde_json::json!({ "uri": request.uri })),
            )),
        }
    }

    /// The Tasks extension: uploads and imports; see [`super::tasks`].
    async fn get_task(
        &self,
        request: rmcp::model::GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetTaskResult, ErrorData> {
        self.state().tasks.get(self.principal(), &request.task_id).map(rmcp::model::GetTaskResult::new)
    }

    async fn update_task(
        &self,
        request: rmcp::model::UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.state().tasks.update(self.principal(), &request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: rmcp::model::CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.state().tasks.cancel(self.principal(), &request.task_id)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        gate::call_tool(self, request, context).await
    }
}

/// `ttlMs`/`cacheScope` for a cacheable result: [`LIST_TTL_MS`], public, on 2026-07-28 requests;
/// absent for older versions (their schemas have no such fields).
fn cache_hints(context: &RequestContext<RoleServer>) -> (Option<u64>, Option<CacheScope>) {
    let modern = context.protocol_version().is_some_and(|v| !v.has_initialize());
    if modern { (Some(LIST_TTL_MS), Some(CacheScope::Public)) } else { (None, None) }
}
