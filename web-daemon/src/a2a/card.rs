//! pacer's own A2A agent card (`GET /.well-known/agent-card.json`). Its skills are the MCP tools
//! ([`crate::mcp::tool_definitions`]): same names, descriptions and input schemas, so an A2A
//! client and an MCP client see one interface.
//!
//! The card carries both the A2A 1.0 fields (`supportedInterfaces`, `securityRequirements`, the
//! `apiKeySecurityScheme` form) and the 0.3 ones (`url`, `protocolVersion`, `preferredTransport`,
//! `security`), as the official SDKs' servers write it, so clients of either version find what they
//! look for. `supportedInterfaces` lists the JSON-RPC endpoint twice, as 1.0 (preferred) and as
//! 0.3; the 0.3 fields describe the 0.3 interface (see [`super::wire`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::wire::Version;

/// The security scheme name used in the card.
pub const SECURITY_SCHEME: &str = "apiKey";

const DESCRIPTION: &str = "pacer reads and writes a person's fitness data (Strava): activities, \
activity streams, athlete profile and totals, activity uploads and the provider connection. \
Send a message with a data part {\"skill\": \"<skill id>\", \"arguments\": {...}} (arguments as \
in the skill's inputSchema), or a text part such as \"get_activities limit 5\"; the result comes \
back as a completed task whose artifact holds a data part.";

/// One interface (A2A 1.0 `supportedInterfaces[]`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentInterface {
    pub url: String,
    /// `JSONRPC`.
    pub protocol_binding: String,
    pub protocol_version: String,
}

/// Who runs the agent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentProvider {
    pub organization: String,
    pub url: String,
}

/// Optional protocol features.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCapabilities {
    pub streaming: bool,
    pub push_notifications: bool,
    pub state_transition_history: bool,
}

/// One skill: an MCP tool.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentSkill {
    /// The tool name; use it as `skill` in a data part.
    pub id: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub examples: Vec<String>,
    pub input_modes: Vec<String>,
    pub output_modes: Vec<String>,
    /// JSON Schema of `arguments`.
    #[schema(value_type = Object)]
    pub input_schema: Value,
    /// JSON Schema of the artifact's data part, when the tool declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub output_schema: Option<Value>,
}

/// pacer's A2A agent card.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCard {
    pub name: String,
    pub description: String,
    pub version: String,
    /// A2A 0.3: the version of `url`'s interface (`0.3`).
    pub protocol_version: String,
    /// The JSON-RPC endpoint (`{public_url}/a2a`).
    pub url: String,
    pub preferred_transport: String,
    pub supported_interfaces: Vec<AgentInterface>,
    pub provider: AgentProvider,
    pub capabilities: AgentCapabilities,
    pub default_input_modes: Vec<String>,
    pub default_output_modes: Vec<String>,
    #[schema(value_type = Object)]
    pub security_schemes: BTreeMap<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub security: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub security_requirements: Vec<Value>,
    pub skills: Vec<AgentSkill>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// A skill from a tool definition.
pub fn skill(tool: &rmcp::model::Tool) -> AgentSkill {
    let name = tool.name.to_string();
    let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint).unwrap_or(false);
    let mut tags = strings(&["fitness", pacer_shared::ProviderId::Strava.as_str()]);
    tags.push(if read_only { "read-only" } else { "writes" }.to_string());
    let required = tool.input_schema.get("required").and_then(Value::as_array).map_or(0, Vec::len);
    let examples = if required == 0 { vec![name.clone()] } else { Vec::new() };
    AgentSkill {
        id: name.clone(),
        name: tool.title.clone().unwrap_or_else(|| name.clone()),
        description: tool.description.as_deref().unwrap_or_default().to_string(),
        tags,
        examples,
        input_modes: strings(&["application/json", "text/plain"]),
        output_modes: strings(&["application/json", "text/plain"]),
        input_schema: Value::Object((*tool.input_schema).clone()),
        output_schema: tool.output_schema.as_ref().map(|s| Value::Object((**s).clone())),
    }
}

/// The card for a daemon reachable at `public_url` (no trailing slash needed).
pub fn agent_card(public_url: &str) -> AgentCard {
    let base = public_url.trim_end_matches('/');
    let url = format!("{base}/a2a");
    let scheme = json!({
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A pacer API key (pk_live_…), from the web page, POST /api/keys/create or `pacerd keys create`",
        "apiKeySecurityScheme": {"location": "header", "name": "X-API-Key"},
    });
    AgentCard {
        name: "pacer".into(),
        description: DESCRIPTION.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol_version: Version::V0_3.as_str().into(),
        url: url.clone(),
        preferred_transport: "JSONRPC".into(),
        supported_interfaces: Version::ALL
            .iter()
            .map(|v| AgentInterface {
                url: url.clone(),
                protocol_binding: "JSONRPC".into(),
                protocol_version: v.as_str().into(),
            })
            .collect(),
        provider: AgentProvider { organization: "pacer".into(), url: base.to_string() },
        capabilities: AgentCapabilities {
            streaming: false,
            push_notifications: false,
            state_transition_history: false,
        },
        default_input_modes: strings(&["application/json", "text/plain"]),
        default_output_modes: strings(&["application/json", "text/plain"]),
        security_schemes: BTreeMap::from([(SECURITY_SCHEME.to_string(), scheme)]),
        security: vec![json!({ SECURITY_SCHEME: [] })],
        security_requirements: vec![json!({"schemes": { SECURITY_SCHEME: {"list": []} }})],
        skills: crate::mcp::tool_definitions().iter().map(skill).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_lists_every_tool_as_a_skill() {
        let card = serde_json::to_value(agent_card("http://127.0.0.1:8081/")).expect("json");
        assert_eq!(card["url"], "http://127.0.0.1:8081/a2a");
        assert_eq!(
            card["supportedInterfaces"],
            json!([
                {"url": "http://127.0.0.1:8081/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
                {"url": "http://127.0.0.1:8081/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
            ])
        );
        assert_eq!(card["protocolVersion"], "0.3", "the 0.3 fields describe the 0.3 interface");
        assert_eq!(card["capabilities"]["streaming"], false);
        assert_eq!(card["securitySchemes"]["apiKey"]["name"], "X-API-Key");
        assert_eq!(card["security"][0]["apiKey"], json!([]));
        let skills = card["skills"].as_array().expect("skills");
        let ids: Vec<&str> = skills.iter().map(|s| s["id"].as_str().expect("id")).collect();
        assert_eq!(ids, crate::mcp::tool_names());
        let activities = skills.iter().find(|s| s["id"] == "get_activities").expect("get_activities");
        assert!(activities["inputSchema"]["properties"]["limit"].is_object(), "{activities}");
        assert!(activities["outputSchema"].is_object());
        assert!(activities["tags"].as_array().expect("tags").contains(&json!("read-only")));
        assert!(!activities["description"].as_str().expect("description").is_empty());
        let upload = skills.iter().find(|s| s["id"] == "upload_activity").expect("upload_activity");
        assert!(upload["tags"].as_array().expect("tags").contains(&json!("writes")));
    }
}
