//! Strava-compatible sandbox provider.
//!
//! [`SandboxStrava`] is an in-memory imitation of the Strava API v3 with seeded athletes and
//! activities, Strava's OAuth code flow (rotating refresh tokens), uploads that are really
//! parsed (GPX, TCX, FIT, gzipped or not), Strava's rate-limit headers and switches that inject
//! faults. It is mounted inside the daemon (`/sandbox/strava`) or run alone with [`serve`].
//!
//! Routes, relative to the prefix given to [`SandboxStrava::configure`]:
//! - `GET|POST /oauth/authorize`, `POST /oauth/token`, `POST /oauth/deauthorize` (`oauth.rs`; the
//!   last two also under `/api/v3/oauth`, as Strava documents them)
//! - `GET /api/v3/athlete`, `/athlete/activities`, `/activities/{id}`, `/activities/{id}/streams`,
//!   `/athletes/{id}/stats` (`api.rs`, `stats.rs`); `POST /api/v3/uploads`, `GET /uploads/{id}`
//!   (`uploads.rs`); every `/api/v3` call passes the rate-limit and fault gate (`limits.rs`)
//! - `POST /_sandbox/faults`, `POST /_sandbox/reset`, `GET /_sandbox/state` (`faults.rs`)
//!
//! Invariants: all state lives behind one mutex that is never held across an `.await`; tokens and
//! secrets are never logged; every error is a Strava-style JSON `Fault`.

mod activity;
mod api;
mod error;
mod faults;
mod limits;
mod model;
mod oauth;
mod recipe;
mod request;
mod seed;
mod stats;
mod streams;
mod tokens;
mod track;
mod uploads;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{App, HttpServer, middleware, web};

use self::activity::Activity;
use self::faults::Faults;
use self::limits::Usage;
use self::model::Athlete;
use self::tokens::TokenStore;
use self::uploads::Upload;

/// Settings of one sandbox instance.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The only OAuth client the sandbox knows.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// Lifetime of access tokens in seconds (Strava: 6 hours).
    pub access_token_ttl_s: i64,
    /// Overall requests per 15-minute window.
    pub limit_15min: u32,
    /// Overall requests per UTC day.
    pub limit_daily: u32,
    /// Read (GET) requests per 15-minute window.
    pub read_limit_15min: u32,
    /// Read (GET) requests per UTC day.
    pub read_limit_daily: u32,
    /// How long an upload reports "still being processed", in milliseconds.
    pub upload_processing_ms: u64,
    /// The OAuth client's registered redirect URIs: the consent step redirects (with a code or
    /// an error) only to one of these (compared without their query). More can be added while
    /// running ([`SandboxStrava::register_redirect_uri`]).
    pub redirect_uris: Vec<String>,
    /// When set, the `/_sandbox/*` admin routes require this value in the
    /// [`ADMIN_TOKEN_HEADER`] header.
    pub admin_token: Option<String>,
}

/// The header carrying the sandbox admin token (`/_sandbox/*`).
pub const ADMIN_TOKEN_HEADER: &str = "x-sandbox-admin";

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            client_id: "pacer-sandbox".to_owned(),
            client_secret: "sandbox-secret".to_owned(),
            access_token_ttl_s: 21_600,
            limit_15min: 200,
            limit_daily: 2_000,
            read_limit_15min: 100,
            read_limit_daily: 1_000,
            upload_processing_ms: 300,
            redirect_uris: vec![
                "http://127.0.0.1:8081/oauth/strava/callback".to_owned(),
                "http://localhost:8081/oauth/strava/callback".to_owned(),
            ],
            admin_token: None,
        }
    }
}

/// A Strava API v3 imitation; cheap to clone (all clones share one state).
#[derive(Clone)]
pub struct SandboxStrava {
    shared: Arc<Shared>,
}

/// What every route handler gets as app data.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    state: Mutex<State>,
}

/// Call counters reported by `GET /_sandbox/state`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counters {
    pub(crate) refresh_count: u64,
    pub(crate) token_requests: u64,
    pub(crate) api_calls: u64,
}

/// Everything mutable, behind [`Shared::state`].
pub(crate) struct State {
    pub(crate) athletes: Vec<Athlete>,
    /// Every activity by id, seeded and uploaded (uploaded ones become visible when processed).
    pub(crate) activities: BTreeMap<u64, Activity>,
    pub(crate) uploads: HashMap<u64, Upload>,
    pub(crate) tokens: TokenStore,
    pub(crate) faults: Faults,
    /// Rate-limit usage per client id.
    pub(crate) usage: HashMap<String, Usage>,
    pub(crate) counters: Counters,
    pub(crate) next_activity_id: u64,
    pub(crate) next_upload_id: u64,
    /// Registered redirect URIs (see [`SandboxConfig::redirect_uris`]).
    pub(crate) redirect_uris: Vec<String>,
}

impl State {
    pub(crate) fn athlete(&self, id: u64) -> Option<&Athlete> {
        self.athletes.iter().find(|a| a.id == id)
    }
}

impl Shared {
    /// Locks the state; a poisoned lock is recovered (the state stays usable after a panic).
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SandboxStrava {
    /// Builds a sandbox seeded relative to the current time.
    pub fn new(config: SandboxConfig) -> Self {
        let now = chrono::Utc::now();
        let seeded = seed::seed(now);
        let state = State {
            athletes: seeded.athletes,
            activities: seeded.activities.into_iter().map(|a| (a.id, a)).collect(),
            uploads: HashMap::new(),
            tokens: TokenStore::default(),
            faults: Faults::default(),
            usage: HashMap::new(),
            counters: Counters::default(),
            next_activity_id: seeded.next_activity_id,
            next_upload_id: seeded.next_upload_id,
            redirect_uris: config.redirect_uris.clone(),
        };
        Self { shared: Arc::new(Shared { config, state: Mutex::new(state) }) }
    }

    /// Registers every sandbox route under `prefix` (e.g. "/sandbox/strava", or "" when standalone).
    ///
    /// Routes are grouped in scopes (`{prefix}/oauth`, `{prefix}/api/v3/oauth`,
    /// `{prefix}/api/v3`, `{prefix}/_sandbox`), each carrying its own app data, so an empty
    /// prefix never shadows the host application's other routes.
    pub fn configure(&self, prefix: &str, cfg: &mut web::ServiceConfig) {
        let prefix = prefix.trim_end_matches('/');
        let data = web::Data::from(Arc::clone(&self.shared));
        cfg.service(oauth::scope(&format!("{prefix}/oauth"), data.clone()));
        // Registered before `/api/v3` so it wins the match (outside the rate-limit gate).
        cfg.service(oauth::token_scope(&format!("{prefix}/api/v3/oauth"), data.clone()));
        cfg.service(api::scope(&format!("{prefix}/api/v3"), data.clone()));
        cfg.service(faults::scope(&format!("{prefix}/_sandbox"), data));
    }

    /// Registers one more redirect URI for the OAuth client (e.g. a tenant's own callback).
    pub fn register_redirect_uri(&self, uri: &str) {
        let mut state = self.shared.state();
        if !state.redirect_uris.iter().any(|u| u == uri) {
            state.redirect_uris.push(uri.to_owned());
        }
    }

    /// Athlete ids of the seeded athletes (at least 2), for tests and `pacerd demo`.
    pub fn athlete_ids(&self) -> Vec<u64> {
        self.shared.state().athletes.iter().map(|a| a.id).collect()
    }
}

/// Runs the sandbox alone on `addr` until `shutdown` resolves (`pacerd sandbox --http ADDR`).
pub async fn serve(
    addr: std::net::SocketAddr,
    config: SandboxConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sandbox = SandboxStrava::new(config);
    let server = HttpServer::new(move || {
        let sandbox = sandbox.clone();
        App::new().wrap(middleware::NormalizePath::trim()).configure(move |cfg| sandbox.configure("", cfg))
    })
    .workers(2)
    .disable_signals()
    .bind(addr)?
    .run();
    tracing::info!(%addr, "strava sandbox listening");
    let handle = server.handle();
    let mut server = std::pin::pin!(server);
    let shutdown = std::pin::pin!(shutdown);
    tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            // The server must keep being polled while it stops gracefully.
            let (result, ()) = futures_util::future::join(server, handle.stop(true)).await;
            result
        }
    }
}
