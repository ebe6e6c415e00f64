//! The agent registry: what a registration may contain, and register / discover / card, always
//! inside the caller's tenant. Errors name the offending field (`metadata.name: required`).

use pacer_shared::TenantId;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::store::a2a::{AgentQuota, AgentRecord, Inserted};
use crate::store::{Store, StoreError, now_rfc3339};

/// Longest agent id or capability, in characters.
pub const MAX_ID_CHARS: usize = 100;
/// Most capabilities one agent may declare.
pub const MAX_CAPABILITIES: usize = 32;
/// Longest `metadata.name`.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest `metadata.version`.
pub const MAX_VERSION_CHARS: usize = 50;
/// Longest `metadata.description`.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most `metadata.endpoints`.
pub const MAX_ENDPOINTS: usize = 32;
/// Longest endpoint.
pub const MAX_ENDPOINT_CHARS: usize = 2048;
/// Most agents one discovery returns (equal to [`MAX_AGENTS_PER_TENANT`]: discovery lists all).
pub const MAX_DISCOVERED: usize = 500;
/// Most agents one user may hold in the registry at once.
pub const MAX_AGENTS_PER_USER: u64 = 50;
/// Most agents one tenant may hold in the registry at once.
pub const MAX_AGENTS_PER_TENANT: u64 = 500;
/// Largest `metadata` object (as compact JSON, schemas and extra fields included), in bytes.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

/// The registry's quotas as the store applies them.
const QUOTA: AgentQuota = AgentQuota { per_user: MAX_AGENTS_PER_USER, per_tenant: MAX_AGENTS_PER_TENANT };

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Bad input; `field` names it (`agent_id`, `metadata.version`, `capabilities[2]`, …).
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    /// The agent id is taken in this tenant.
    #[error("agent '{0}' is already registered in this tenant")]
    Duplicate(String),
    /// No such agent in this tenant (or, for unregistering, not the caller's).
    #[error("agent '{0}' not found")]
    NotFound(String),
    /// The caller or their tenant holds the most agents allowed.
    #[error("{0}")]
    QuotaExceeded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> RegistryError {
    RegistryError::Invalid { field: field.into(), problem: problem.into() }
}

/// A registration request: `POST /a2a/register`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Registration {
    /// Unique within the tenant: 1–100 characters of `A-Z a-z 0-9 . _ -` ([`valid_id`]).
    #[schema(example = "discord-bot-001", pattern = "^[A-Za-z0-9._-]{1,100}$")]
    pub agent_id: String,
    /// What the agent can do (same character rules, at most 32; duplicates are dropped).
    #[schema(example = json!(["webhook", "notification"]), value_type = Vec<CapabilityName>, max_items = 32)]
    pub capabilities: Vec<String>,
    pub metadata: AgentMetadata,
}

/// A capability: 1–100 characters of `A-Z a-z 0-9 . _ -` ([`valid_id`]); documentation only.
pub struct CapabilityName;

impl utoipa::PartialSchema for CapabilityName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(&format!("^[A-Za-z0-9._-]{{1,{MAX_ID_CHARS}}}$"), MAX_ID_CHARS)
    }
}
impl ToSchema for CapabilityName {}

/// An endpoint URL or path: 1–2048 characters, not only spaces; documentation only.
pub struct EndpointString;

impl utoipa::PartialSchema for EndpointString {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(r"\S", MAX_ENDPOINT_CHARS)
    }
}
impl ToSchema for EndpointString {}

fn string_schema(pattern: &str, max_chars: usize) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).max_length(Some(max_chars)).into()
}

/// Who the agent is and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgentMetadata {
    /// 1–100 characters, not only spaces.
    #[schema(example = "Discord Training Bot", pattern = r"\S", max_length = 100)]
    pub name: String,
    /// 1–50 characters, not only spaces.
    #[schema(example = "1.0.0", pattern = r"\S", max_length = 50)]
    pub version: String,
    /// Up to 1000 characters.
    #[schema(max_length = 1000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Up to 32 endpoint URLs or paths.
    #[schema(example = json!(["/webhook/activity"]), value_type = Vec<EndpointString>, max_items = 32)]
    pub endpoints: Vec<String>,
    /// Any JSON object (e.g. the agent's message schemas).
    #[schema(value_type = Object)]
    pub schemas: Map<String, Value>,
    /// Any further metadata fields are kept as given.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

/// True for 1–100 characters of `A-Z a-z 0-9 . _ -`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_ID_CHARS
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Agent ids that are route names under `/a2a/agents/` (an agent so named could not be read or
/// unregistered by its id).
const RESERVED_IDS: &[&str] = &["discover"];

const ID_RULE: &str = "must be 1-100 characters of A-Z, a-z, 0-9, '.', '_' or '-'";

fn string(
    field: &str,
    value: Option<&Value>,
    max_chars: usize,
    required: bool,
) -> Result<Option<String>, RegistryError> {
    match value {
        None | Some(Value::Null) if required => Err(invalid(field, "required")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if required && s.is_empty() {
                Err(invalid(field, "must not be empty"))
            } else if s.chars().count() > max_chars {
                Err(invalid(field, format!("must be at most {max_chars} characters")))
            } else {
                Ok(Some(s.to_string()))
            }
        }
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

fn required_string(field: &str, value: Option<&Value>, max_chars: usize) -> Result<String, RegistryError> {
    string(field, value, max_chars, true).map(Option::unwrap_or_default)
}

fn capabilities(value: Option<&Value>) -> Result<Vec<String>, RegistryError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid("capabilities", "must be an array of strings")),
    };
    if list.len() > MAX_CAPABILITIES {
        return Err(invalid("capabilities", format!("at most {MAX_CAPABILITIES} capabilities")));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        match c.as_str() {
            Some(c) if valid_id(c) => out.push(c.to_string()),
            _ => return Err(invalid(format!("capabilities[{i}]"), ID_RULE)),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn endpoints(value: Option<&Value>) -> Result<Vec<String>, RegistryError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid("metadata.endpoints", "must be an array of strings")),
    };
    if list.len() > MAX_ENDPOINTS {
        return Err(invalid("metadata.endpoints", format!("at most {MAX_ENDPOINTS} endpoints")));
    }
    list.iter()
        .enumerate()
        .map(|(i, e)| match e.as_str().map(str::trim) {
            Some(e) if !e.is_empty() && e.chars().count() <= MAX_ENDPOINT_CHARS => Ok(e.to_string()),
            _ => Err(invalid(
                format!("metadata.endpoints[{i}]"),
                format!("must be a non-empty string of at most {MAX_ENDPOINT_CHARS} characters"),
            )),
        })
        .collect()
}

/// Validates a registration body, naming the first offending field.
pub fn parse_registration(body: &Value) -> Result<Registration, RegistryError> {
    let Value::Object(body) = body else {
        return Err(invalid("body", "must be a JSON object"));
    };
    let agent_id = match body.get("agent_id") {
        None | Some(Value::Null) => return Err(invalid("agent_id", "required")),
        Some(Value::String(id)) if RESERVED_IDS.contains(&id.as_str()) => {
            return Err(invalid("agent_id", format!("'{id}' is reserved (GET /a2a/agents/{id} is another route)")));
        }
        Some(Value::String(id)) if valid_id(id) => id.clone(),
        Some(_) => return Err(invalid("agent_id", ID_RULE)),
    };
    let capabilities = capabilities(body.get("capabilities"))?;
    let mut metadata = match body.get("metadata") {
        None | Some(Value::Null) => return Err(invalid("metadata", "required (an object with name and version)")),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid("metadata", "must be an object")),
    };
    let name = required_string("metadata.name", metadata.remove("name").as_ref(), MAX_NAME_CHARS)?;
    let version = required_string("metadata.version", metadata.remove("version").as_ref(), MAX_VERSION_CHARS)?;
    let description =
        string("metadata.description", metadata.remove("description").as_ref(), MAX_DESCRIPTION_CHARS, false)?
            .filter(|d| !d.is_empty());
    let endpoints = endpoints(metadata.remove("endpoints").as_ref())?;
    let schemas = match metadata.remove("schemas") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(s)) => s,
        Some(_) => return Err(invalid("metadata.schemas", "must be an object")),
    };
    let metadata = AgentMetadata { name, version, description, endpoints, schemas, extra: metadata };
    let size = serde_json::to_vec(&metadata).map_or(usize::MAX, |v| v.len());
    if size > MAX_METADATA_BYTES {
        return Err(invalid("metadata", format!("must be at most {MAX_METADATA_BYTES} bytes as JSON (is {size})")));
    }
    Ok(Registration { agent_id, capabilities, metadata })
}

/// Registers `reg` in the caller's tenant, owned by the caller.
pub async fn register(store: &Store, principal: &Principal, reg: Registration) -> Result<AgentRecord, RegistryError> {
    let metadata = serde_json::to_value(&reg.metadata).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let Registration { agent_id, capabilities, metadata: m } = reg;
    let record = AgentRecord {
        agent_id,
        owner: principal.user_id.clone(),
        name: m.name,
        description: m.description,
        version: m.version,
        metadata,
        endpoints: Value::from(m.endpoints),
        schemas: Value::Object(m.schemas),
        capabilities,
        registered_at: now_rfc3339(),
    };
    match store.insert_a2a_agent(&principal.tenant_id, record.clone(), QUOTA).await {
        Ok(Inserted::Yes) => Ok(record),
        Ok(Inserted::UserQuotaFull) => Err(RegistryError::QuotaExceeded(format!(
            "at most {MAX_AGENTS_PER_USER} registered agents per user; unregister one first (DELETE /a2a/agents/{{agent_id}})"
        ))),
        Ok(Inserted::TenantQuotaFull) => Err(RegistryError::QuotaExceeded(format!(
            "this tenant already holds the most registered agents ({MAX_AGENTS_PER_TENANT})"
        ))),
        Err(StoreError::Conflict(_)) => Err(RegistryError::Duplicate(record.agent_id)),
        Err(e) => Err(e.into()),
    }
}

/// Unregisters the caller's agent `agent_id`. Agents of other users and other tenants are
/// `NotFound`, like missing ones: the answer does not tell them apart.
pub async fn unregister(store: &Store, principal: &Principal, agent_id: &str) -> Result<(), RegistryError> {
    let shown = || agent_id.chars().take(MAX_ID_CHARS).collect::<String>();
    if !valid_id(agent_id) {
        return Err(RegistryError::NotFound(shown()));
    }
    if store.delete_a2a_agent(&principal.tenant_id, &principal.user_id, agent_id).await? {
        Ok(())
    } else {
        Err(RegistryError::NotFound(shown()))
    }
}

/// The tenant's agents declaring `capability` (all of them when `None` or empty).
pub async fn discover(
    store: &Store,
    tenant: &TenantId,
    capability: Option<&str>,
) -> Result<Vec<AgentRecord>, RegistryError> {
    let capability = capability.map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = capability
        && !valid_id(c)
    {
        return Err(invalid("capability", ID_RULE));
    }
    Ok(store.discover_a2a_agents(tenant, capability, MAX_DISCOVERED).await?)
}

/// The tenant's agent `agent_id`.
pub async fn get(store: &Store, tenant: &TenantId, agent_id: &str) -> Result<AgentRecord, RegistryError> {
    if !valid_id(agent_id) {
        return Err(RegistryError::NotFound(agent_id.chars().take(MAX_ID_CHARS).collect()));
    }
    store.get_a2a_agent(tenant, agent_id).await?.ok_or_else(|| RegistryError::NotFound(agent_id.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of(body: Value) -> String {
        match parse_registration(&body) {
            Err(RegistryError::Invalid { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_seed_example_and_keeps_extra_metadata() {
        let reg = parse_registration(&json!({
            "agent_id": "discord-bot-001",
            "capabilities": ["webhook", "notification", "webhook"],
            "metadata": {"name": " Discord Training Bot ", "version": "1.0.0", "team": "ops"}
        }))
        .expect("valid");
        assert_eq!(reg.agent_id, "discord-bot-001");
        assert_eq!(reg.capabilities, ["notification", "webhook"], "sorted, deduplicated");
        assert_eq!(reg.metadata.name, "Discord Training Bot");
        assert_eq!(reg.metadata.description, None);
        assert!(reg.metadata.endpoints.is_empty() && reg.metadata.schemas.is_empty());
        assert_eq!(
            serde_json::to_value(&reg.metadata).expect("json"),
            json!({"name": "Discord Training Bot", "version": "1.0.0", "endpoints": [], "schemas": {}, "team": "ops"})
        );
    }

    #[test]
    fn a_route_name_is_not_an_agent_id() {
        let body = json!({"agent_id": "discover", "capabilities": [], "metadata": {"name": "n", "version": "1"}});
        match parse_registration(&body) {
            Err(RegistryError::Invalid { field, problem }) => {
                assert_eq!(field, "agent_id");
                assert!(problem.contains("reserved"), "{problem}");
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn names_the_bad_field() {
        let ok = || json!({"agent_id": "a", "capabilities": [], "metadata": {"name": "n", "version": "1"}});
        let with = |path: &[&str], v: Value| {
            let mut body = ok();
            let mut at = &mut body;
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = v;
            body
        };
        assert_eq!(field_of(json!([])), "body");
        assert_eq!(field_of(with(&["agent_id"], Value::Null)), "agent_id");
        assert_eq!(field_of(with(&["agent_id"], json!(""))), "agent_id");
        assert_eq!(field_of(with(&["agent_id"], json!("has space"))), "agent_id");
        assert_eq!(field_of(with(&["agent_id"], json!("x".repeat(101)))), "agent_id");
        assert!(parse_registration(&with(&["agent_id"], json!("x".repeat(100)))).is_ok());
        assert_eq!(field_of(with(&["agent_id"], json!(7))), "agent_id");
        assert_eq!(field_of(with(&["capabilities"], json!("webhook"))), "capabilities");
        assert_eq!(field_of(with(&["capabilities"], json!(["ok", "not ok"]))), "capabilities[1]");
        let many: Vec<String> = (0..33).map(|i| format!("c{i}")).collect();
        assert_eq!(field_of(with(&["capabilities"], json!(many))), "capabilities");
        assert!(parse_registration(&with(&["capabilities"], json!(many[..32]))).is_ok());
        assert_eq!(field_of(with(&["metadata"], Value::Null)), "metadata");
        assert_eq!(field_of(with(&["metadata"], json!("x"))), "metadata");
        assert_eq!(field_of(with(&["metadata", "name"], Value::Null)), "metadata.name");
        assert_eq!(field_of(with(&["metadata", "name"], json!("  "))), "metadata.name");
        assert_eq!(field_of(with(&["metadata", "version"], json!(1))), "metadata.version");
        assert_eq!(field_of(with(&["metadata", "description"], json!("d".repeat(1001)))), "metadata.description");
        assert_eq!(field_of(with(&["metadata", "endpoints"], json!({}))), "metadata.endpoints");
        assert_eq!(field_of(with(&["metadata", "endpoints"], json!(["/a", 3]))), "metadata.endpoints[1]");
        assert_eq!(field_of(with(&["metadata", "schemas"], json!([]))), "metadata.schemas");
        let big = json!({"blob": "x".repeat(MAX_METADATA_BYTES)});
        assert_eq!(field_of(with(&["metadata", "schemas"], big.clone())), "metadata");
        assert_eq!(field_of(with(&["metadata", "team"], big)), "metadata", "extra fields count too");
    }

    #[test]
    fn id_rule() {
        for ok in ["a", "A.b_c-9", "discord-bot-001"] {
            assert!(valid_id(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", "a\n"] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }
}
