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
    /// Usage rows, written in batches ([`crate::store::usage_writer`]).
    pub usage: crate::store::usage_writer::UsageWriter,
}

/// What only the caller can supply; [`AppState::new`] derives or defaults the rest. The one way
/// to build an [`AppState`]: the daemon (`lib.rs`) and the test fixtures all use it.
pub struct StateParts {
    pub config: Config,
    pub store: Store,
    pub jwt: JwtKeys,
    pub http_addr: SocketAddr,
    pub public_url: String,
    pub limiter: Arc<dyn RateLimiter>,
    pub tokens: Arc<TokenService>,
    pub sandbox: Option<SandboxStrava>,
}

impl AppState {
    /// The state from its parts: allowed hosts and origins from the address and `public_url`,
    /// a fresh shutdown token, MCP ready, empty in-memory maps (login backoff, tasks). The
    /// browser flows awaiting a person live in the store (`store::pending_flows`).
    pub fn new(parts: StateParts) -> Self {
        let StateParts { config, store, jwt, http_addr, public_url, limiter, tokens, sandbox } = parts;
        Self {
            allowed_hosts: crate::http::names::allowed_hosts(&http_addr, &public_url),
            allowed_origins: crate::http::names::allowed_origins(&http_addr, &public_url),
            config,
            store,
            jwt,
            started: Instant::now(),
            http_addr,
            public_url,
            shutdown: CancellationToken::new(),
            mcp_ready: tokio::sync::watch::Sender::new(true),
            limiter,
            tokens,
            sandbox,
            logins: Default::default(),
            tasks: Default::default(),
            usage: Default::default(),
        }
    }

    /// Shared handle.
    pub fn into_shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}
