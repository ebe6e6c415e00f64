//! `connect_provider`, `get_connection_status`, `disconnect_provider`.

use pacer_shared::ProviderId;
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::mcp::errors;
use crate::mcp::output::{Json, ToolError};
use crate::mcp::params::{Parameters, Validate, provider_id, rfc3339};
use crate::mcp::server::PacerMcp;
use crate::oauth::{OAuthError, STATE_TTL_SECS};
use crate::provider::RateLimitUsage;

/// Arguments of the connection tools.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderParams {
    /// Only `strava` (the default).
    #[schemars(default = "default_provider")]
    provider: Option<String>,
}

fn default_provider() -> &'static str {
    ProviderId::default().as_str()
}

impl Validate for ProviderParams {
    type Output = ProviderId;
    fn validate(self) -> Result<ProviderId, ErrorData> {
        provider_id(self.provider)
    }
}

/// A link that connects the provider to this person's pacer account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectLink {
    /// The provider, e.g. `strava`.
    #[schemars(with = "String")]
    pub provider: ProviderId,
    /// The URL the person opens in a browser to approve access.
    pub authorize_url: String,
    /// Seconds the link stays valid.
    pub expires_in_s: i64,
    /// When the link expires, RFC 3339 UTC.
    pub expires_at: String,
}

/// Whether and how the provider is connected. Never contains a token.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionStatus {
    /// The provider, e.g. `strava`.
    #[schemars(with = "String")]
    pub provider: ProviderId,
    /// Whether tokens are stored for this person.
    pub connected: bool,
    /// The provider's id of the connected athlete, if known.
    pub athlete_id: Option<u64>,
    /// Granted scopes, e.g. `["read", "activity:read_all", "activity:write"]`.
    pub scopes: Vec<String>,
    /// When the current access token expires, RFC 3339 UTC; pacer renews it automatically.
    pub token_expires_at: Option<String>,
    /// When the tokens were last stored or renewed, RFC 3339.
    pub updated_at: Option<String>,
    /// The provider's API rate-limit usage as last reported (shared by all of pacer's users).
    pub rate_limit: Option<RateLimitUsage>,
}

/// The result of disconnecting.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Disconnected {
    /// The provider, e.g. `strava`.
    #[schemars(with = "String")]
    pub provider: ProviderId,
    /// Whether a connection existed (its tokens are now deleted and access revoked).
    pub was_connected: bool,
}

fn oauth_error(e: OAuthError) -> ToolError {
    match e {
        OAuthError::Provider(p @ crate::provider::ProviderError::NotConfigured(_)) => ToolError::Failed(p.to_string()),
        other => ToolError::Rpc(errors::internal("internal error: cannot start the connection", other)),
    }
}

#[tool_router(router = connection_tools, vis = "pub(super)")]
impl PacerMcp {
    /// A link the person opens in a browser to connect their Strava account to pacer (for this
    /// person only, valid 10 minutes). Needed before any data tool works.
    #[tool(
        title = "Connect Strava",
        annotations(read_only_hint = false, destructive_hint = false, open_world_hint = true)
    )]
    async fn connect_provider(
        &self,
        Parameters(provider, _): Parameters<ProviderParams>,
    ) -> Result<Json<ConnectLink>, ToolError> {
        let url = crate::oauth::begin_connect(self.state(), self.principal(), provider).await.map_err(oauth_error)?;
        let summary = format!(
            "Open this link to connect {} (valid {} minutes): {url}",
            provider.display_name(),
            STATE_TTL_SECS / 60
        );
        let link = ConnectLink {
            provider,
            authorize_url: url,
            expires_in_s: STATE_TTL_SECS,
            expires_at: rfc3339(crate::store::now_epoch().saturating_add(STATE_TTL_SECS)),
        };
        Ok(Json::new(link, summary))
    }

    /// Whether the provider is connected for this person: athlete id, granted scopes, token
    /// expiry and the provider's API rate-limit usage.
    #[tool(title = "Connection status", annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_connection_status(
        &self,
        Parameters(provider, _): Parameters<ProviderParams>,
    ) -> Result<Json<ConnectionStatus>, ToolError> {
        let principal = self.principal();
        let tokens = &self.state().tokens;
        let connection = match tokens.connection(provider, &principal.tenant_id, &principal.user_id).await {
            Ok(c) => c,
            Err(e) => return Err(self.provider_error(provider, e).await),
        };
        let name = provider.display_name();
        let rate_limit = tokens.rate_limit_usage(provider, &principal.tenant_id);
        let status = match connection {
            None => ConnectionStatus {
                provider,
                connected: false,
                athlete_id: None,
                scopes: Vec::new(),
                token_expires_at: None,
                updated_at: None,
                rate_limit,
            },
            Some(c) => ConnectionStatus {
                provider,
                connected: true,
                athlete_id: c.athlete_id,
                scopes: c.scopes.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                token_expires_at: Some(rfc3339(c.expires_at)),
                updated_at: Some(c.updated_at),
                rate_limit,
            },
        };
        let summary = if status.connected {
            format!(
                "{name} is connected (athlete {}, scopes: {}).",
                status.athlete_id.map_or_else(|| "unknown".to_owned(), |id| id.to_string()),
                if status.scopes.is_empty() { "unknown".to_owned() } else { status.scopes.join(", ") }
            )
        } else {
            format!("{name} is not connected; call connect_provider to get a link.")
        };
        Ok(Json::new(status, summary))
    }

    /// Disconnect the provider: revoke pacer's access and delete the stored tokens; data tools
    /// stop working until the person connects again.
    #[tool(
        title = "Disconnect Strava",
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn disconnect_provider(
        &self,
        Parameters(provider, _): Parameters<ProviderParams>,
    ) -> Result<Json<Disconnected>, ToolError> {
        let principal = self.principal();
        let tokens = &self.state().tokens;
        let was_connected = match tokens.disconnect(provider, &principal.tenant_id, &principal.user_id).await {
            Ok(existed) => existed,
            Err(e) => return Err(self.provider_error(provider, e).await),
        };
        let name = provider.display_name();
        let summary = if was_connected {
            format!("{name} is disconnected; its tokens were deleted.")
        } else {
            format!("{name} was not connected; nothing to do.")
        };
        Ok(Json::new(Disconnected { provider, was_connected }, summary))
    }
}
