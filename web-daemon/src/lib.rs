//! `pacerd`: the pacer daemon as a library. `main.rs` parses flags and calls [`run`].
//!
//! [`run`] opens the store (migrating it), binds HTTP and the Unix socket, serves both until the
//! shutdown future resolves (or an admin `shutdown` arrives), then stops every listener and
//! connection from that one place.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod ipc;
pub mod mcp;
pub mod provider;
pub mod sandbox;
pub mod secrets_file;
pub mod state;
pub mod store;
pub mod vault;

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

pub use config::Config;
use state::AppState;
use store::Store;

/// Opens and migrates the store for `config`, creating the home directory (0700) if needed.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    ipc::socket::ensure_private_dir(&config.home)?;
    let store = Store::open(&config.db_path()).with_context(|| format!("cannot open {}", config.db_path().display()))?;
    store.migrate()?;
    let conn = store.conn()?;
    store::tenants::get_or_create(&conn, store::tenants::DEFAULT_TENANT)?;
    Ok(store)
}

/// A daemon that is bound and ready; [`Daemon::serve`] runs it.
pub struct Daemon {
    state: Arc<AppState>,
    http: TcpListener,
    socket: tokio::net::UnixListener,
    _lock: ipc::socket::DaemonLock,
}

impl Daemon {
    /// Binds everything (fails fast on a busy port, a running daemon or an insecure home).
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config)?;
        let run_dir = pacer_shared::paths::run_dir(&config.home);
        ipc::socket::ensure_private_dir(&run_dir)?;
        let lock = ipc::socket::lock(&run_dir, &config.socket_path())?;
        let socket = ipc::socket::bind(&config.socket_path())?;
        let http = TcpListener::bind(config.http).with_context(|| format!("cannot listen on {}", config.http))?;
        http.set_nonblocking(true)?;
        let http_addr = http.local_addr()?;
        let jwt = auth::jwt::JwtKeys::load_or_create(&config.home, config.jwt_secret.as_ref())?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{http_addr}"));
        let state = AppState {
            config,
            store,
            jwt,
            started: Instant::now(),
            http_addr,
            public_url,
            shutdown: CancellationToken::new(),
        }
        .into_shared();
        Ok(Self { state, http, socket, _lock: lock })
    }

    /// The shared state (tests use it to reach the store, addresses and shutdown).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves or an admin shutdown arrives.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { state, http, socket, _lock } = self;
        let token = state.shutdown.clone();
        tokio::spawn({
            let token = token.clone();
            async move {
                shutdown.await;
                token.cancel();
            }
        });
        let data = actix_web::web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .wrap(tracing_actix())
                .configure(http::configure)
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(5)
        .listen(http)?
        .run();
        let handle = server.handle();
        let server_task = tokio::spawn(server);
        tracing::info!(http = %state.http_addr, socket = %state.config.socket_path().display(), "pacerd listening");
        let ipc_task = tokio::spawn(ipc::serve(socket, state.clone(), token.clone()));
        token.cancelled().await;
        tracing::info!("pacerd shutting down");
        handle.stop(true).await;
        let _ = ipc_task.await;
        let _ = server_task.await;
        let _ = std::fs::remove_file(state.config.socket_path());
        Ok(())
    }
}

fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%a \"%r\" %s %b %Dms").exclude("/health")
}

/// Runs the daemon until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    Daemon::bind(config).await?.serve(shutdown).await
}
