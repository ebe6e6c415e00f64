//! `POST /mcp`: MCP Streamable HTTP, stateless (no `Mcp-Session-Id`).
//!
//! [`McpAuth`] first (API key or OAuth access token; 401 with `WWW-Authenticate`, 403, 429 as
//! JSON, `X-RateLimit-*` on every answer; step-up in [`super::authz_scope`]). The body is read
//! whole, up to [`MAX_HTTP_BODY_BYTES`] (room for a base64 activity upload; the app-wide 64 KiB
//! cap does not apply here, this route reads the raw payload itself), then handed as an
//! `http::Request` to rmcp's [`StreamableHttpService`](rmcp::transport::StreamableHttpService)
//! built for this principal by [`crate::mcp::streamable_http_service`]. Its answer is copied back:
//! JSON for a plain result, a streamed `text/event-stream` when the tool sends progress
//! notifications. rmcp's own plain-text HTTP errors (406 without the right `Accept`, 415, …) are
//! turned into the standard JSON error shape. Any other method on `/mcp` → 405 JSON.
//!
//! A body that is not one JSON-RPC message is answered here, before rmcp, as the transport spec
//! says: not JSON → 400 with JSON-RPC `-32700`, a batch (JSON array; MCP has no batches since
//! 2025-06-18) or anything else that is no JSON-RPC message → 400 with `-32600`, without an `id`
//! (none can be read; MCP's schema makes it optional). `Origin`, when present, must be one of
//! this daemon's own ([`super::host::require_allowed_origin`]).
//!
//! Protocol versions: 2025-03-26 … 2025-11-25 with `initialize` (stateless: every request is
//! served on its own, the version from `MCP-Protocol-Version`), and 2026-07-28 (no handshake;
//! rmcp checks each request's `_meta`, `MCP-Protocol-Version` against it and `Mcp-Method` /
//! `Mcp-Name` against the body: 400 with `-32020`, `-32602` naming a missing `_meta` key or
//! `-32022` listing the supported versions; an unknown method is 404 with `-32601`).
//!
//! Note: the HTTP request takes one token from the key's bucket, and a `tools/call` inside it
//! takes another (the MCP gate charges every tool call, whatever the transport).

use std::convert::Infallible;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use http_body_util::{BodyExt, BodyStream, Full};

use rmcp::ErrorData;
use rmcp::model::{ClientJsonRpcMessage, ErrorCode, JsonRpcError};

use super::error::{ApiError, ErrorBody};
use super::extract::{McpAuth, TenantHeader, X_API_KEY};
use crate::mcp::{MAX_HTTP_BODY_BYTES, streamable_http_service};
use crate::state::AppState;

/// Request headers not passed on to rmcp (credentials; it has no use for them).
const STRIPPED: [HeaderName; 3] = [X_API_KEY, header::AUTHORIZATION, header::COOKIE];

/// One JSON-RPC 2.0 request or notification, as `POST /mcp` takes it; documentation only.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct JsonRpcMessage {
    /// `2.0`.
    #[schema(value_type = JsonRpcVersion)]
    jsonrpc: String,
    /// A string or integer (never `null`); absent for a notification.
    #[schema(value_type = McpRequestId, required = false)]
    id: Option<serde_json::Value>,
    /// The MCP method, e.g. `initialize`, `tools/list`, `tools/call`.
    #[schema(example = "tools/list")]
    method: String,
    /// The method's parameters.
    #[schema(value_type = Option<Object>)]
    params: Option<serde_json::Value>,
}

/// An MCP protocol version pacer speaks (rmcp's known versions up to
/// [`MAX_PROTOCOL_VERSION`](crate::mcp::MAX_PROTOCOL_VERSION)); documentation only.
pub struct McpProtocolVersion;

impl utoipa::PartialSchema for McpProtocolVersion {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let known = rmcp::model::ProtocolVersion::known_up_to(&crate::mcp::MAX_PROTOCOL_VERSION);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(known.iter().map(|v| v.as_str().to_owned())))
            .into()
    }
}
impl utoipa::ToSchema for McpProtocolVersion {}

/// An MCP request id: a string or an integer; documentation only.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum McpRequestId {
    Text(String),
    Integer(i64),
}

/// The only JSON-RPC version; documentation only.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum JsonRpcVersion {
    #[schema(rename = "2.0")]
    V2,
}

// Mounted by `McpRoute` (below), which this documents.
/// MCP JSON-RPC over Streamable HTTP (stateless).
#[utoipa::path(
    post,
    path = "/mcp",
    impl_for = McpRoute,
    tag = "mcp",
    params(
        TenantHeader,
        ("Accept" = String, Header, pattern = "^(application/json, text/event-stream|text/event-stream, application/json)$", description = "Must list both `application/json` and `text/event-stream`"),
        ("MCP-Protocol-Version" = inline(Option<McpProtocolVersion>), Header, nullable = false, description = "The negotiated version, e.g. `2025-06-18`, on requests after `initialize`; on 2026-07-28 requests the version in `_meta`"),
        ("Mcp-Method" = Option<String>, Header, nullable = false, description = "2026-07-28: the JSON-RPC method of the body"),
        ("Mcp-Name" = Option<String>, Header, nullable = false, description = "2026-07-28: the tool, prompt or resource the body names"),
    ),
    request_body(content = JsonRpcMessage, content_type = "application/json", description = "One JSON-RPC message (request or notification), at most about 34 MiB: room for a base64-encoded 25 MiB activity file"),
    security(("api_key" = []), ("mcp_oauth" = ["activities:read"])),
    responses(
        (status = 200, description = "The JSON-RPC response (`application/json`), or an SSE stream (`text/event-stream`) when the tool sends progress notifications first", headers(
            ("X-RateLimit-Limit" = u32, description = "Requests per minute for this key"),
            ("X-RateLimit-Remaining" = u32, description = "Requests left now"),
            ("X-RateLimit-Reset" = i64, description = "UNIX seconds when the bucket is full again"),
        )),
        (status = 202, description = "A notification was accepted"),
        (status = 400, description = "Not JSON (JSON-RPC `-32700`), a batch or not a JSON-RPC message (`-32600`); a bad or mismatched `MCP-Protocol-Version`/`Mcp-Method`/`Mcp-Name` header (`-32020`, `-32022`); a 2026-07-28 request missing a `_meta` key (`-32602`)"),
        super::responses::McpAuth,
        (status = 404, description = "A 2026-07-28 request for a method pacer does not have (JSON-RPC `-32601`)"),
        (status = 406, description = "Accept lacks application/json or text/event-stream", body = ErrorBody),
        super::responses::BodyTooLarge,
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        super::responses::RateLimited,
    )
)]
pub async fn mcp_post(
    req: HttpRequest,
    auth: McpAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let McpAuth(principal) = auth;
    let body = super::body::read_body(&req, payload, MAX_HTTP_BODY_BYTES).await?;
    // A body declared as something else is rmcp's 415.
    if is_json(&req)
        && let Some(refusal) = not_one_message(&body)
    {
        return Ok(refusal);
    }
    super::authz_scope::check_tool_call(&state, &principal, &body)?;
    let request = to_http_request(&req, body)?;
    let service = streamable_http_service(state.into_inner(), principal);
    from_http_response(service.handle(request).await).await
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// 400 with a JSON-RPC error when `body` is not one JSON-RPC message; `None` when it is.
fn not_one_message(body: &[u8]) -> Option<HttpResponse> {
    let (code, message) = match serde_json::from_slice::<serde_json::Value>(body) {
        Err(e) => (ErrorCode::PARSE_ERROR, format!("Parse error: {e}")),
        Ok(serde_json::Value::Array(_)) => (
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: batches are not supported; POST one JSON-RPC message at a time".to_owned(),
        ),
        Ok(value) => match serde_json::from_value::<ClientJsonRpcMessage>(value) {
            Ok(_) => return None,
            Err(e) => (ErrorCode::INVALID_REQUEST, format!("Invalid Request: not a JSON-RPC 2.0 message: {e}")),
        },
    };
    let error = JsonRpcError::new(None, ErrorData::new(code, message, None));
    Some(HttpResponse::BadRequest().json(error))
}

/// Every other method on `/mcp`: 405 with `Allow: POST`.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut res = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} /mcp is not supported: this server is stateless, send each JSON-RPC message with POST /mcp (or use GET /mcp/ws for a WebSocket)",
            req.method()
        ),
    )
    .error_response();
    res.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    res
}

/// actix (http 0.2 types) → `http::Request` (http 1) for rmcp.
fn to_http_request(req: &HttpRequest, body: Bytes) -> Result<http::Request<Full<Bytes>>, ApiError> {
    let mut builder = http::Request::builder().method(http::Method::POST).uri(req.uri().to_string());
    for (name, value) in req.headers() {
        if !STRIPPED.contains(name) {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    builder.body(Full::new(body)).map_err(|e| ApiError::bad_request(format!("unusable request: {e}")))
}

/// rmcp's answer → actix: status, headers and body (SSE streamed as it comes, anything else whole).
async fn from_http_response(
    response: http::Response<http_body_util::combinators::BoxBody<Bytes, Infallible>>,
) -> Result<HttpResponse, ApiError> {
    let (parts, body) = response.into_parts();
    let status = StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let is_json = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        // rmcp's plain-text refusals; they are small, fully buffered bodies.
        let text = collect(body).await;
        let message = String::from_utf8_lossy(&text).trim().to_owned();
        return Err(ApiError::new(status, error_code(status), message));
    }
    let mut res = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        if name == http::header::CONTENT_LENGTH || name == http::header::TRANSFER_ENCODING {
            continue;
        }
        res.append_header((name.as_str(), value.as_bytes()));
    }
    let is_sse = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_sse {
        return Ok(res.body(collect(body).await));
    }
    let stream = BodyStream::new(body)
        .filter_map(|frame| std::future::ready(frame.ok().and_then(|f| f.into_data().ok()).map(Ok::<_, Infallible>)));
    Ok(res.streaming(stream))
}

async fn collect(body: http_body_util::combinators::BoxBody<Bytes, Infallible>) -> Bytes {
    match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    }
}

fn error_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid_input",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "mcp_error",
    }
}

/// `/mcp` as one resource: `POST` is [`mcp_post`], whose `#[utoipa::path]` documents this type
/// and names the path it is mounted at; every other method is [`method_not_allowed`] (405 with
/// `Allow: POST`, saying why). The `Origin` check covers them all.
pub struct McpRoute;

impl actix_web::dev::HttpServiceFactory for McpRoute {
    fn register(self, config: &mut actix_web::dev::AppService) {
        web::resource(<Self as utoipa::Path>::path())
            .wrap(actix_web::middleware::from_fn(super::host::require_allowed_origin))
            .route(web::post().to(mcp_post))
            .default_service(web::to(method_not_allowed))
            .register(config);
    }
}

/// Registers `/mcp` ([`McpRoute`]).
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(McpRoute);
}
