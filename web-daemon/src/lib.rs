//! `pacerd`: the pacer daemon as a library. `main.rs` parses flags and calls [`run`].
//!
//! [`run`] opens the store (migrating it), binds HTTP and the Unix socket, serves both until the
//! shutdown future resolves (or an admin `shutdown` arrives), then stops every listener and
//! connection from that one place.

pub mod a2a;
pub mod accounts;
pub mod activities;
pub mod analytics;
pub mod auth;
pub mod authz;
pub mod cli;
pub mod config;
pub mod demo;
pub mod descriptors;
pub mod http;
pub mod ipc;
pub mod limits;
pub mod mcp;
pub mod oauth;
pub mod provider;
pub mod secrets_file;
pub mod state;
pub mod store;
pub mod untrusted;
pub mod vault;

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;

pub use config::Config;

/// Counts each thread's allocations in the unit-test binary, so property tests can assert a
/// peak per case (`pacer_proof::PeakAlloc`).
#[cfg(test)]
#[global_allocator]
pub(crate) static PROOF_ALLOC: pacer_proof::PeakAlloc = pacer_proof::PeakAlloc::new();
use state::AppState;
use store::Store;

/// Checks (creating when missing) the home and its socket directory, and takes the per-home
/// daemon lock: nothing else may write this home's database while the lock is held.
pub fn lock_home(config: &Config) -> anyhow::Result<ipc::socket::DaemonLock> {
    ipc::socket::ensure_home_dir(&config.home)?;
    let run_dir = pacer_shared::paths::run_dir(&config.home);
    ipc::socket::ensure_private_dir(&run_dir)?;
    Ok(ipc::socket::lock(&run_dir, &config.socket_path())?)
}

/// Opens and migrates the store for `config`. Call with the home locked ([`lock_home`]).
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = match &config.database_url {
        config::DatabaseUrl::Postgres(url) => {
            let store =
                Store::open_postgres(url.target()).with_context(|| format!("cannot connect to {}", url.redacted()))?;
            store.migrate().with_context(|| format!("cannot migrate {}", url.redacted()))?;
            store
        }
        config::DatabaseUrl::Sqlite(_) => {
            let store = Store::open(&config.db_path())
                .with_context(|| format!("cannot open {}", config.db_path().display()))?;
            store.migrate()?;
            store
        }
    };
    let conn = store.conn()?;
    store::tenants::get_or_create(&conn, store::tenants::DEFAULT_TENANT)?;
    Ok(store)
}

/// A daemon that is bound and ready; [`Daemon::serve`] runs it.
pub struct Daemon {
    state: Arc<AppState>,
    /// The soft open-file limit after raising it (sizes the HTTP connection cap).
    open_files: u64,
    http: TcpListener,
    socket: tokio::net::UnixListener,
    _lock: ipc::socket::DaemonLock,
}

impl Daemon {
    /// Binds everything (fails fast on a busy port, a running daemon or an insecure home).
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let open_files = descriptors::raise_open_file_limit().context("cannot read the open-file limit")?;
        let lock = lock_home(&config)?;
        // Opening connects (PostgreSQL's blocking client) and migrates: off the async workers.
        let (store, config) = tokio::task::spawn_blocking(move || -> anyhow::Result<(Store, Config)> {
            let mut config = config;
            let store = open_store(&config)?;
            if !config.limits_configured {
                apply_tier_limits(&store, &mut config.limits)?;
            }
            Ok((store, config))
        })
        .await
        .context("opening the store")??;
        if let config::DatabaseUrl::Postgres(url) = &config.database_url {
            store.listen_for_invalidations(url.target());
        }
        let socket = ipc::socket::bind(&config.socket_path())?;
        let http = TcpListener::bind(config.http).with_context(|| format!("cannot listen on {}", config.http))?;
        http.set_nonblocking(true)?;
        let http_addr = http.local_addr()?;
        let jwt = auth::jwt::JwtKeys::load_or_create(&config.home, config.jwt_secret.as_ref())?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{http_addr}"));
        let limiter = limits::from_config(&config)?;
        let vault = Arc::new(vault::TokenVault::load_or_create(&config.home, config.master_key.as_ref())?);
        let strava = strava_client_config(&config, &public_url)?;
        let providers = Arc::new(provider::ProviderRegistry::strava(store.clone(), vault.clone(), strava)?);
        let tenant_apps = providers.load().await?;
        tracing::debug!(tenant_apps, "provider clients ready");
        let tokens = Arc::new(provider::TokenService::with_registry(store.clone(), vault, providers));
        let sandbox = if config.sandbox {
            Some(mounted_sandbox(&config, &public_url, &providers_apps(&tokens).await?)?)
        } else {
            None
        };
        let state =
            AppState::new(state::StateParts { config, store, jwt, http_addr, public_url, limiter, tokens, sandbox })
                .into_shared();
        Ok(Self { state, open_files, http, socket, _lock: lock })
    }

    /// The shared state (tests use it to reach the store, addresses and shutdown).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves or an admin shutdown arrives.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { state, open_files, http, socket, _lock } = self;
        let token = state.shutdown.clone();
        tokio::spawn({
            let token = token.clone();
            async move {
                shutdown.await;
                token.cancel();
            }
        });
        let data = actix_web::web::Data::from(state.clone());
        let sandbox = state.sandbox.clone();
        let max_body = state.config.max_body_bytes;
        let per_worker = descriptors::connections_per_worker(state.config.max_connections, open_files, HTTP_WORKERS);
        tracing::debug!(open_files, per_worker, workers = HTTP_WORKERS, "HTTP connection cap");
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .wrap(actix_web::middleware::from_fn(http::edge))
                .wrap(access_log())
                .configure(http::body_limits(max_body))
                .configure(http::configure(sandbox.clone()))
                .default_service(http::default_service())
        })
        .workers(HTTP_WORKERS)
        .max_connections(per_worker)
        .client_request_timeout(http::deadline::CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(http::deadline::CLIENT_DISCONNECT_TIMEOUT)
        .keep_alive(http::deadline::KEEP_ALIVE)
        .disable_signals()
        .shutdown_timeout(5)
        .listen(http)?
        .run();
        let handle = server.handle();
        let server_task = tokio::spawn(server);
        tracing::info!(http = %state.http_addr, socket = %state.config.socket_path().display(), "pacerd listening");
        let ipc_task = tokio::spawn(ipc::serve(socket, state.clone(), token.clone()));
        tokio::spawn(oauth::sweep_states(state.clone(), std::time::Duration::from_secs(60)));
        tokio::spawn(activities::sweep_forever(state.clone(), activities::SWEEP_EVERY));
        token.cancelled().await;
        tracing::info!("pacerd shutting down");
        handle.stop(true).await;
        let _ = ipc_task.await;
        let _ = server_task.await;
        let _ = std::fs::remove_file(state.config.socket_path());
        Ok(())
    }
}

/// Per-tier quotas from the `tier_limits` table (used when the config file sets no `[limits]`).
fn apply_tier_limits(store: &Store, limits: &mut config::LimitSettings) -> anyhow::Result<()> {
    let conn = store.conn()?;
    for (tier, per_minute) in store::usage::tier_limits(&conn)? {
        match tier.as_str() {
            "free" => limits.free_per_minute = per_minute,
            "premium" => limits.premium_per_minute = per_minute,
            "enterprise" => limits.enterprise_per_minute = per_minute,
            _ => {}
        }
    }
    Ok(())
}

/// actix worker threads serving HTTP.
pub const HTTP_WORKERS: usize = 2;

/// Where the sandbox provider is mounted when enabled.
pub const SANDBOX_PREFIX: &str = "/sandbox/strava";

/// The file (in the run dir, 0600) holding the mounted sandbox's admin token for
/// `/sandbox/strava/_sandbox/*` (header `X-Sandbox-Admin`); new on every start.
pub fn sandbox_admin_token_path(home: &std::path::Path) -> std::path::PathBuf {
    pacer_shared::paths::run_dir(home).join("sandbox-admin.token")
}

/// The redirect URIs of the tenants' own OAuth apps.
async fn providers_apps(tokens: &provider::TokenService) -> anyhow::Result<Vec<String>> {
    Ok(tokens.registry().list().await?.into_iter().filter_map(|a| a.redirect_uri).collect())
}

/// The sandbox mounted in this daemon: its OAuth client accepts only pacer's callbacks (the
/// global one and `tenant_redirects`), and its admin routes need a fresh random token, written
/// to [`sandbox_admin_token_path`] so only this user (tests, `bench`) can read it.
fn mounted_sandbox(
    config: &Config,
    public_url: &str,
    tenant_redirects: &[String],
) -> anyhow::Result<pacer_sandbox::SandboxStrava> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let token: String = {
        use rand::Rng;
        let mut rng = rand::rng();
        (0..32).map(|_| char::from(rng.sample(rand::distr::Alphanumeric))).collect()
    };
    let path = sandbox_admin_token_path(&config.home);
    let _ = std::fs::remove_file(&path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(token.as_bytes())?;
    let global = config
        .strava
        .redirect_uri
        .clone()
        .unwrap_or_else(|| oauth::callback_url(public_url, pacer_shared::ProviderId::Strava));
    let mut redirect_uris = vec![global];
    redirect_uris.extend(tenant_redirects.iter().cloned());
    Ok(pacer_sandbox::SandboxStrava::new(pacer_sandbox::SandboxConfig {
        redirect_uris,
        admin_token: Some(token),
        ..Default::default()
    }))
}

/// Provider settings: explicit `strava.*` config wins; with the sandbox enabled the defaults point
/// at this daemon's own `/sandbox/strava`; otherwise at real Strava.
fn strava_client_config(config: &Config, public_url: &str) -> anyhow::Result<provider::StravaClientConfig> {
    let s = &config.strava;
    let (client_id, secret, api, oauth) = if config.sandbox {
        let defaults = pacer_sandbox::SandboxConfig::default();
        let base = format!("{public_url}{SANDBOX_PREFIX}");
        (
            s.client_id.clone().unwrap_or(defaults.client_id),
            s.client_secret.clone().unwrap_or_else(|| pacer_shared::Secret::new(defaults.client_secret)),
            s.api_base.clone().unwrap_or_else(|| format!("{base}/api/v3")),
            s.oauth_base.clone().unwrap_or(base),
        )
    } else {
        if s.client_id.is_none() || s.client_secret.is_none() {
            tracing::warn!(
                "Strava credentials are not configured (strava.client_id / PACER_STRAVA_CLIENT_SECRET); \
                 connecting to Strava will fail until they are set, or run `pacerd demo` for the sandbox"
            );
        }
        (
            s.client_id.clone().unwrap_or_default(),
            s.client_secret.clone().unwrap_or_else(|| pacer_shared::Secret::new(String::new())),
            s.api_base.clone().unwrap_or_else(|| provider::STRAVA_API_BASE.to_string()),
            s.oauth_base.clone().unwrap_or_else(|| provider::STRAVA_OAUTH_BASE.to_string()),
        )
    };
    let mut c = provider::StravaClientConfig::new(client_id, secret);
    c.api_base = api;
    c.oauth_base = oauth;
    Ok(c)
}

/// Access log: method and path only. Query strings can carry OAuth codes, states and login-link
/// tokens, so they are never logged. Mounted only when the log filter (`PACER_LOG`) lets its
/// lines through: actix's `Logger` formats every request before the filter sees the line, which
/// cost about 5 % of a worker's CPU on the authenticated hot path with the log at `warn`.
fn access_log() -> actix_web::middleware::Condition<actix_web::middleware::Logger> {
    let enabled = tracing::enabled!(target: "actix_web::middleware::logger", tracing::Level::INFO);
    let logger = actix_web::middleware::Logger::new("%a %{method}xi %U %s %b %Dms")
        .custom_request_replace("method", |req| req.method().to_string())
        .exclude("/health");
    actix_web::middleware::Condition::new(enabled, logger)
}

/// Runs the daemon until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    Daemon::bind(config).await?.serve(shutdown).await
}
