//! Tool results: typed data with a one-line summary, or a failure.
//!
//! rmcp's `Json<T>` puts `T` in `structuredContent` and the same JSON again as the only text
//! block, doubling every result. pacer's [`Json`] sends the data once, in `structuredContent`,
//! and as text only a short human summary carrying the numbers that matter (clients that read
//! only `content` still get the answer; the model is not fed the data twice). It is called `Json` on
//! purpose: rmcp's `#[tool]` macro derives the tool's `outputSchema` from `T` when the return
//! type is spelled `Json<T>` or `Result<Json<T>, E>` (an alias would hide it from the macro).

use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;

/// Structured tool output (`structuredContent`, schema from `T`) plus a summary line.
pub struct Json<T> {
    pub value: T,
    pub summary: String,
}

impl<T> Json<T> {
    pub fn new(value: T, summary: impl Into<String>) -> Self {
        Self { value, summary: summary.into() }
    }
}

impl<T: Serialize + 'static> IntoCallToolResult for Json<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        let value = serde_json::to_value(&self.value)
            .map_err(|e| ErrorData::internal_error(format!("cannot serialize the result: {e}"), None))?;
        let mut result = CallToolResult::success(vec![ContentBlock::text(self.summary)]);
        result.structured_content = Some(value);
        Ok(result.into())
    }
}

/// Why a tool did not produce its result.
#[derive(Debug)]
pub enum ToolError {
    /// The tool ran and failed in a way the model should read and act on: an `isError: true`
    /// result whose text explains what to do (connect first, fix the file, …).
    Failed(String),
    /// A JSON-RPC error (bad arguments, token refresh failure, rate limits, internal errors).
    Rpc(ErrorData),
}

impl From<ErrorData> for ToolError {
    fn from(e: ErrorData) -> Self {
        Self::Rpc(e)
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        match self {
            Self::Failed(text) => Ok(CallToolResult::error(vec![ContentBlock::text(text)]).into()),
            Self::Rpc(e) => Err(e),
        }
    }
}
