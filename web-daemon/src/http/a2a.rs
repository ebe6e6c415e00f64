//! A2A routes: the agent registry (`POST /a2a/register`, `GET /a2a/agents/discover`,
//! `GET /a2a/agents/{id}/card`, `DELETE /a2a/agents/{id}`), pacer's agent card (`GET /.well-known/agent-card.json`) and the
//! JSON-RPC endpoint (`POST /a2a`). Everything but the card needs an `X-API-Key` and stays inside
//! the key's tenant: another tenant's agents are not listed and their cards are 404.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use pacer_shared::UserId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiKeyAuth, TenantHeader};
use crate::a2a::card::{self, AgentCard};
use crate::a2a::registry::{self, Registration};
use crate::a2a::{rpc, wire};
use crate::state::AppState;
use crate::store::a2a::AgentRecord;

/// A registration's outcome.
#[derive(Serialize, ToSchema)]
pub struct Registered {
    #[schema(example = "discord-bot-001")]
    pub agent_id: String,
    /// Always `registered`.
    #[schema(example = "registered")]
    pub status: String,
    /// RFC 3339.
    #[schema(example = "2026-01-15T10:30:00Z")]
    pub registered_at: String,
}

/// One agent found by discovery.
#[derive(Serialize, ToSchema)]
pub struct DiscoveredAgent {
    pub agent_id: String,
    pub capabilities: Vec<String>,
    /// The metadata it registered (name, version, description, endpoints, schemas, …).
    #[schema(value_type = Object)]
    pub metadata: Value,
}

/// Agents of the caller's tenant.
#[derive(Serialize, ToSchema)]
pub struct DiscoveredAgents {
    pub agents: Vec<DiscoveredAgent>,
}

/// A registered agent's card.
#[derive(Serialize, ToSchema)]
pub struct RegisteredAgentCard {
    pub agent_id: String,
    pub name: String,
    pub description: Option<String>,
    pub version: String,
    pub capabilities: Vec<String>,
    pub endpoints: Vec<String>,
    #[schema(value_type = Object)]
    pub schemas: Value,
    /// RFC 3339.
    pub registered_at: String,
    /// The user who registered it.
    #[schema(value_type = String)]
    pub owner_user_id: UserId,
}

/// `{agent_card: …}`.
#[derive(Serialize, ToSchema)]
pub struct AgentCardResponse {
    pub agent_card: RegisteredAgentCard,
}

impl From<AgentRecord> for DiscoveredAgent {
    fn from(a: AgentRecord) -> Self {
        Self { agent_id: a.agent_id, capabilities: a.capabilities, metadata: a.metadata }
    }
}

impl From<AgentRecord> for RegisteredAgentCard {
    fn from(a: AgentRecord) -> Self {
        let endpoints = match a.endpoints {
            Value::Array(list) => list.into_iter().filter_map(|e| e.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        Self {
            agent_id: a.agent_id,
            name: a.name,
            description: a.description,
            version: a.version,
            capabilities: a.capabilities,
            endpoints,
            schemas: a.schemas,
            registered_at: a.registered_at,
            owner_user_id: a.owner,
        }
    }
}

/// Registers an agent in the caller's tenant.
#[utoipa::path(
    tag = "a2a",
    request_body = Registration,
    params(TenantHeader),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Registered", body = Registered),
        (status = 400, description = "Invalid input (metadata at most 8 KiB as JSON); the message names the field", body = ErrorBody),
        super::responses::KeyUnauthorized,
        (status = 403, description = "Deactivated key, X-Tenant-ID names another tenant, or a quota is full (code `quota_exceeded`: 50 agents per user, 500 per tenant)", body = ErrorBody),
        (status = 409, description = "The agent id is already registered in this tenant", body = ErrorBody),
        super::responses::BodyTooLarge,
        super::responses::WrongContentType,
        super::responses::RateLimited,
    )
)]
#[post("/a2a/register")]
pub async fn register(
    auth: ApiKeyAuth,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let ApiKeyAuth(p) = auth;
    let registration = registry::parse_registration(&body)?;
    let agent = registry::register(&state.store, &p, registration).await?;
    tracing::info!(tenant = %p.tenant_id, user = %p.user_id, agent = %agent.agent_id, "A2A agent registered");
    Ok(HttpResponse::Created().json(Registered {
        agent_id: agent.agent_id,
        status: "registered".into(),
        registered_at: agent.registered_at,
    }))
}

/// `?capability=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscoverQuery {
    /// Only agents declaring this capability (1–100 characters of `A-Z a-z 0-9 . _ -`); all
    /// of the tenant's agents when absent or empty.
    #[param(pattern = "^[A-Za-z0-9._-]{0,100}$")]
    pub capability: Option<String>,
}

/// Lists the caller's tenant's agents, optionally by capability (in registration order, at most 500).
#[utoipa::path(
    tag = "a2a",
    params(DiscoverQuery, TenantHeader),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Matching agents of this tenant", body = DiscoveredAgents),
        (status = 400, description = "Invalid capability", body = ErrorBody),
        super::responses::KeyAuth,
        super::responses::RateLimited,
    )
)]
#[get("/a2a/agents/discover")]
pub async fn discover(
    auth: ApiKeyAuth,
    state: web::Data<AppState>,
    query: web::Query<DiscoverQuery>,
) -> Result<HttpResponse, ApiError> {
    let ApiKeyAuth(p) = auth;
    let agents = registry::discover(&state.store, &p.tenant_id, query.capability.as_deref()).await?;
    Ok(HttpResponse::Ok().json(DiscoveredAgents { agents: agents.into_iter().map(Into::into).collect() }))
}

/// One agent's card, from the caller's tenant.
#[utoipa::path(
    tag = "a2a",
    params(("agent_id" = String, Path, description = "The registered agent id"), TenantHeader),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The agent's card", body = AgentCardResponse),
        super::responses::KeyAuth,
        (status = 404, description = "No such agent in this tenant (including other tenants' agents)", body = ErrorBody),
        super::responses::RateLimited,
    )
)]
#[get("/a2a/agents/{agent_id}/card")]
pub async fn agent_card(
    auth: ApiKeyAuth,
    state: web::Data<AppState>,
    agent_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ApiKeyAuth(p) = auth;
    let agent = registry::get(&state.store, &p.tenant_id, &agent_id).await?;
    Ok(HttpResponse::Ok().json(AgentCardResponse { agent_card: agent.into() }))
}

/// An agent's removal.
#[derive(Serialize, ToSchema)]
pub struct Unregistered {
    #[schema(example = "discord-bot-001")]
    pub agent_id: String,
    /// Always `unregistered`.
    #[schema(example = "unregistered")]
    pub status: String,
}

/// Unregisters one of the caller's own agents (its capabilities go with it).
#[utoipa::path(
    tag = "a2a",
    params(("agent_id" = String, Path, description = "The registered agent id"), TenantHeader),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Unregistered", body = Unregistered),
        super::responses::KeyAuth,
        (status = 404, description = "No such agent of this user (other users' and other tenants' agents included)", body = ErrorBody),
        super::responses::RateLimited,
    )
)]
#[delete("/a2a/agents/{agent_id}")]
pub async fn unregister(
    auth: ApiKeyAuth,
    state: web::Data<AppState>,
    agent_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ApiKeyAuth(p) = auth;
    let agent_id = agent_id.into_inner();
    registry::unregister(&state.store, &p, &agent_id).await?;
    tracing::info!(tenant = %p.tenant_id, user = %p.user_id, agent = %agent_id, "A2A agent unregistered");
    Ok(HttpResponse::Ok().json(Unregistered { agent_id, status: "unregistered".into() }))
}

/// pacer's own A2A agent card: its skills are the MCP tools.
#[utoipa::path(
    tag = "a2a",
    responses((status = 200, description = "A2A agent card", body = AgentCard)),
)]
#[get("/.well-known/agent-card.json")]
pub async fn well_known_card(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "max-age=300")).json(card::agent_card(&state.public_url))
}

/// A JSON-RPC 2.0 request (`SendMessage`, `GetTask`, …).
#[derive(Serialize, ToSchema)]
pub struct JsonRpcRequest {
    /// `2.0`.
    #[schema(example = "2.0")]
    pub jsonrpc: String,
    /// A string or number; absent for a notification (answered 204).
    #[schema(value_type = Option<JsonRpcId>, example = 1)]
    pub id: Value,
    /// `SendMessage` (0.3: `message/send`), `GetTask` (`tasks/get`), `CancelTask` (`tasks/cancel`).
    #[schema(example = "SendMessage")]
    pub method: String,
    /// For `SendMessage`: `{"message": {"role": "ROLE_USER", "messageId": "…", "parts": [{"data": {"skill": "get_activities", "arguments": {"limit": 5}}}]}}`
    /// (0.3: `"role": "user"`, parts with `"kind": "data"`); for `GetTask`: `{"id": "<task id>"}`.
    #[schema(value_type = Object)]
    pub params: Value,
}

/// A JSON-RPC id: a string or a number; documentation only.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum JsonRpcId {
    Text(String),
    Number(f64),
}

/// A JSON-RPC 2.0 response: `result` or `error` (`{code, message, data?}`). `result` of
/// `SendMessage` is `{"task": Task}` (or `{"message": Message}` for a text that names no skill) in
/// A2A 1.0, the Task (or Message) itself in 0.3; of `GetTask`, the Task.
#[derive(Serialize, ToSchema)]
pub struct JsonRpcResponse {
    #[schema(example = "2.0")]
    pub jsonrpc: String,
    /// The request's id (a string or number), or `null` when it could not be read.
    #[schema(value_type = Option<JsonRpcId>)]
    pub id: Value,
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

/// The `A2A-Version` a request asks for: its header, else its query parameter. A value that is
/// not text is kept (as such) so that it is refused rather than ignored.
fn requested_version(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(wire::VERSION_HEADER) {
        return Some(value.to_str().unwrap_or("(not text)").to_string());
    }
    let query = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string()).ok()?;
    query.0.into_iter().find(|(k, _)| k.eq_ignore_ascii_case(wire::VERSION_HEADER)).map(|(_, v)| v)
}

/// A2A JSON-RPC: `SendMessage` runs one of pacer's skills (the MCP tools) and answers with a
/// finished Task; `GetTask` reads a task back. A2A 1.0 shapes (ProtoJSON) when the client sends
/// `A2A-Version: 1.0` or a 1.0 method name, 0.3 shapes for `A2A-Version: 0.3` or a 0.3 method
/// name; another `A2A-Version` is `-32009`. JSON-RPC errors come with HTTP 200.
#[utoipa::path(
    tag = "a2a",
    request_body = JsonRpcRequest,
    params(
        TenantHeader,
        ("A2A-Version" = Option<String>, Header, nullable = false, description = "`1.0` or `0.3` (also accepted as a query parameter); without it the method name chooses"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "JSON-RPC response", body = JsonRpcResponse),
        (status = 204, description = "Notification (no `id`): no response"),
        super::responses::KeyAuth,
        super::responses::BodyTooLarge,
        super::responses::WrongContentType,
        super::responses::RateLimited,
    )
)]
#[post("/a2a")]
pub async fn json_rpc(
    req: HttpRequest,
    auth: ApiKeyAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ApiKeyAuth(p) = auth;
    // Read here rather than with `web::Bytes`, whose 413 is plain text: the JSON error shape.
    let body = super::body::read_body(&req, payload, state.config.max_body_bytes).await?;
    let version = requested_version(&req);
    Ok(match rpc::handle(state.into_inner(), p, &body, version.as_deref()).await {
        Some(reply) => HttpResponse::Ok().json(reply),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(register)
        .service(discover)
        .service(agent_card)
        .service(unregister)
        .service(well_known_card)
        .service(json_rpc);
}
