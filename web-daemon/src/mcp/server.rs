//! [`PacerMcp`]: the MCP server of one session, bound to the caller (its rmcp handler is in
//! `handler.rs`).

use std::future::Future;
use std::sync::Arc;

use pacer_shared::ProviderId;
use rmcp::model::ProtocolVersion;

use super::errors;
use super::output::ToolError;
use crate::auth::Principal;
use crate::provider::{ActivityData, ProviderError};
use crate::state::AppState;

/// The newest protocol version pacer implements: 2026-07-28, stateless (no handshake;
/// `server/discover`, protocol version, client info and capabilities in every request's `_meta`).
/// Every older version rmcp knows (2024-11-05 … 2025-11-25, all with `initialize`) is served too.
pub const MAX_PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::V_2026_07_28;

/// The newest version with an `initialize` handshake: what `initialize` answers when a client
/// asks for a version it cannot negotiate that way, and what direct (A2A) calls run as.
pub const HANDSHAKE_PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::LATEST_WITH_INITIALIZE;

/// How long a 2026-07-28 client may cache `tools/list`, `prompts/list`, `resources/list`,
/// `resources/read` of an app and `server/discover` (`ttlMs`): they change only when the daemon
/// is upgraded. `cacheScope` is `public`: they are the same for every caller.
pub const LIST_TTL_MS: u64 = 60 * 60 * 1000;

/// What the model is told about pacer at `initialize`.
pub const INSTRUCTIONS: &str = "\
pacer gives you this person's fitness data from Strava and can upload activity files.

Reading: call get_activities to list activities (newest first; narrow with after/before as \
ISO-8601 or epoch seconds, and page through with page), then get_activity for one activity's \
details, then get_activity_streams for its time series (heartrate, watts, cadence, altitude, \
latlng, ...) downsampled to max_points. get_athlete returns the profile; get_athlete_stats the \
recent (4 weeks), year-to-date and all-time totals for runs, rides and swims.

Units are part of every field name: distance_m (meters), moving_time_s (seconds), \
average_speed_mps (meters per second), average_heartrate_bpm, average_watts, \
total_elevation_gain_m. Convert for the person (km, miles, min/km pace). Dates are ISO-8601: \
start_date is UTC, start_date_local carries the athlete's UTC offset.

Uploading: upload_activity takes a path to a FIT, TCX or GPX file (optionally .gz) that the \
pacer daemon can read, or content_base64 plus data_type for small files. It waits until Strava \
has processed the file (sending progress notifications) and returns the new activity_id, or \
Strava's reason for refusing it (for example a duplicate).

Connecting: when a tool says Strava is not connected, give the person the link it contains (or \
call connect_provider), ask them to open it and approve access, then retry. \
get_connection_status shows whether Strava is connected, the granted scopes, the token expiry \
and Strava's API rate-limit usage; disconnect_provider removes the connection.

Errors: invalid arguments are JSON-RPC -32602 naming the field; rate limits (-32029) say when \
to retry.";

/// The MCP server for one session: every tool call runs as `principal` (tenant, user, key).
///
/// Construct one per connection (socket, WebSocket) or per request (stateless Streamable HTTP);
/// it is cheap: the tool router is built once per process.
#[derive(Clone)]
pub struct PacerMcp {
    state: Arc<AppState>,
    principal: Principal,
    /// The transport already charged this request to the key's rate limit (one HTTP request
    /// carries at most one tool call: `POST /mcp`, A2A `SendMessage`), so the gate must not
    /// charge it again.
    prepaid: bool,
    /// `upload_activity` may read `path` from this machine: only sessions over the Unix socket
    /// (`pacer-mcp`, same machine, socket 0600). Remote transports send `content_base64`.
    local_files: bool,
}

impl PacerMcp {
    pub fn new(state: Arc<AppState>, principal: Principal) -> Self {
        Self { state, principal, prepaid: false, local_files: false }
    }

    /// A handler for one HTTP request that the HTTP layer has already rate-limited.
    pub fn prepaid(state: Arc<AppState>, principal: Principal) -> Self {
        Self { prepaid: true, ..Self::new(state, principal) }
    }

    /// Allows `upload_activity` to read local files (Unix-socket sessions only).
    pub fn with_local_files(self) -> Self {
        Self { local_files: true, ..self }
    }

    /// Whether `upload_activity` may read `path` from this machine.
    pub(crate) fn allows_local_files(&self) -> bool {
        self.local_files
    }

    /// Whether the rate limit was charged before the handler ran.
    pub(crate) fn is_prepaid(&self) -> bool {
        self.prepaid
    }

    /// Who this session acts for.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub(crate) fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs `f` with the person's data at `provider` (the tenant's client and a fresh access
    /// token, refreshed transparently) and maps provider failures through
    /// [`errors::provider_failure`].
    pub(crate) async fn with_data<T, F, Fut>(&self, provider: ProviderId, f: F) -> Result<T, ToolError>
    where
        F: Fn(Arc<dyn ActivityData>) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let p = &self.principal;
        match self.state.tokens.with_session(provider, &p.tenant_id, &p.user_id, f).await {
            Ok(value) => Ok(value),
            Err(e) => Err(self.provider_error(provider, e).await),
        }
    }

    /// This person's activities: the local store first, the provider API for what it lacks.
    pub(crate) fn activities(&self) -> crate::activities::ActivityService<'_> {
        crate::activities::ActivityService::new(&self.state, &self.principal)
    }

    /// Own-data mode: the local store as this person's data source when no provider is
    /// connected (`None` when one is). With `need_data`, an empty store counts as no source.
    pub(crate) async fn own_data(
        &self,
        need_data: bool,
    ) -> Result<Option<crate::activities::local::LocalFiles>, ToolError> {
        let p = &self.principal;
        let provider = ProviderId::default();
        match self.state.tokens.connection(provider, &p.tenant_id, &p.user_id).await {
            Ok(Some(_)) => return Ok(None),
            Ok(None) => {}
            Err(e) => return Err(self.provider_error(provider, e).await),
        }
        let local = crate::activities::local::LocalFiles::new(
            self.state.store.clone(),
            self.state.config.home.clone(),
            p.tenant_id.clone(),
            p.user_id.clone(),
        );
        if need_data && self.or_provider_error(local.is_empty().await).await? {
            return Ok(None);
        }
        Ok(Some(local))
    }

    /// Maps a failure of the activity service (whose provider is the default one).
    pub(crate) async fn or_provider_error<T>(&self, result: Result<T, ProviderError>) -> Result<T, ToolError> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => Err(self.provider_error(ProviderId::default(), e).await),
        }
    }

    /// [`errors::provider_failure`] for this session.
    pub(crate) async fn provider_error(&self, provider: ProviderId, e: ProviderError) -> ToolError {
        errors::provider_failure(&self.state, &self.principal, provider, e).await
    }
}
