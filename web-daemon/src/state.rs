//! The daemon's shared state, built once in [`crate::run`] and handed to every listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use pacer_sandbox::SandboxStrava;
use tokio_util::sync::CancellationToken;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::limits::RateLimiter;
use crate::provider::TokenService;
use crate::store::Store;

/// Everything a request handler may need. Cheap to share behind an `Arc`.
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub jwt: JwtKeys,
    /// When the daemon started (for `status`).
    pub started: Instant,
    /// The bound HTTP address (differs from the configured one when port 0 was asked for).
    pub http_addr: SocketAddr,
    /// Base URL used in links (login links, OAuth redirect URIs).
    pub public_url: String,
    /// Cancel to stop the whole daemon.
    pub shutdown: CancellationToken,
    /// `true` once MCP sessions may start. `pacerd demo` holds it `false` until the demo user is
    /// (re)connected, so a client that connects during start-up never sees a stale token.
    pub mcp_ready: tokio::sync::watch::Sender<bool>,
    /// Request rate limits (per API key by tier, per client IP); in-memory unless replaced.
    pub limiter: Arc<dyn RateLimiter>,
    /// The only reader/writer of provider tokens; also owns the provider client.
    pub tokens: Arc<TokenService>,
    /// The built-in Strava sandbox, when enabled (served under `/sandbox/strava`).
    pub sandbox: Option<SandboxStrava>,
    /// `Host` names this daemon answers to ([`crate::http::host::allowed_hosts`]).
    pub allowed_hosts: Vec<String>,
    /// `Origin` values the MCP routes accept ([`crate::http::host::allowed_origins`]).
    pub allowed_origins: Vec<String>,
    /// MCP tasks (uploads and imports of clients that declare the Tasks extension).
    pub tasks: crate::mcp::tasks::Tasks,
    /// The cap on concurrent password checks and per-account login backoff.
    pub logins: crate::auth::login_guard::LoginGuard,
    /// Connect links awaiting their pacer account's confirmation (in memory).
    pub confirmations: crate::oauth::confirm::Confirmations,
    /// MCP authorization requests awaiting sign-in and consent (in memory).
    pub authorizations: crate::authz::pending::PendingAuthorizations,
}

impl AppState {
    /// Shared handle.
    pub fn into_shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}
