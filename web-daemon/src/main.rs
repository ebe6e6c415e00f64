//! `pacerd` binary: parse flags, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use pacerd::cli::{Cli, Command, MigrateAction, commands};
use pacerd::config::{Config, Overrides};
use pacerd::store::migrate::Migrator;

fn main() -> ExitCode {
    // Everything pacerd creates (database, WAL, key files, socket) is private to this user.
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe { libc::umask(0o077) };
    let cli = Cli::parse();
    let overrides = Overrides {
        home: cli.global.home.clone(),
        config_file: cli.global.config.clone(),
        http: match &cli.command {
            Command::Serve(a) | Command::Demo(a) => a.http.clone(),
            _ => None,
        },
        sandbox: matches!(cli.command, Command::Demo(_)).then_some(true),
        redis_url: match &cli.command {
            Command::Serve(a) | Command::Demo(a) => a.redis_url.clone().map(pacer_shared::Secret::new),
            _ => None,
        },
    };
    let config = match Config::load(overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pacerd: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pacerd: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pacerd: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| !is_mcp_message_dump(meta)));
    let _ = tracing_subscriber::registry().with(filter).with(output).try_init();
}

/// rmcp logs every MCP request and result at debug (and every event at trace), and whole
/// `InitializeRequestParams` at info. Results carry secrets (`connect_provider`'s URL holds a
/// one-time OAuth state), so only rmcp's warnings and errors are written, whatever `PACER_LOG`
/// says; pacerd logs each session and tool call itself.
fn is_mcp_message_dump(meta: &tracing::Metadata<'_>) -> bool {
    (meta.target() == "rmcp" || meta.target().starts_with("rmcp::")) && *meta.level() > tracing::Level::WARN
}

async fn dispatch(command: Command, config: Config) -> Result<(), String> {
    let socket = config.socket_path();
    match command {
        // A home set up by `pacerd demo` (demo.json present) is always served as a demo: its user
        // is connected to the built-in sandbox, which must run (and be reconnected) for it to
        // work. This matters when pacer-mcp autostarts `pacerd serve` on a demo home.
        Command::Serve(_) if config.home.join("demo.json").exists() => {
            tracing::info!("this home was set up by `pacerd demo`: serving it as a demo (sandbox Strava)");
            pacerd::demo::run(config, shutdown_signal()).await.map_err(|e| format!("{e:#}"))
        }
        Command::Serve(_) => pacerd::run(config, shutdown_signal()).await.map_err(|e| format!("{e:#}")),
        Command::Demo(_) => pacerd::demo::run(config, shutdown_signal()).await.map_err(|e| format!("{e:#}")),
        Command::Sandbox { http } => {
            let addr = http.parse().map_err(|e| format!("--http '{http}': {e}"))?;
            eprintln!("pacerd: Strava sandbox on http://{addr}");
            pacer_sandbox::serve(addr, Default::default(), shutdown_signal()).await.map_err(|e| e.to_string())
        }
        Command::Migrate { action } => migrate(&config, action),
        Command::Users { action } => commands::users(&socket, action).await,
        Command::Keys { action } => commands::keys(&socket, action).await,
        Command::OAuthApps { action } => pacerd::cli::oauth_apps::run(&socket, action).await,
        Command::Status { json } => commands::status(&socket, json).await,
        Command::Import { path, user, json } => pacerd::cli::import::run(&socket, &path, user, json).await,
        Command::Stop => commands::stop(&socket).await,
    }
}

/// Takes the home's daemon lock for a migration that writes.
fn lock_for_migrate(config: &Config) -> Result<pacerd::ipc::socket::DaemonLock, String> {
    pacerd::lock_home(config).map_err(|e| {
        let e = format!("{e:#}");
        if e.contains("already running") {
            format!(
                "pacerd is running on this home; stop it first (`pacerd stop --home {}`), then migrate",
                config.home.display()
            )
        } else {
            e
        }
    })
}

fn migrate(config: &Config, action: MigrateAction) -> Result<(), String> {
    // Holding the daemon lock keeps a running daemon's schema from changing under it; `status`
    // only reads, so it runs beside a daemon too.
    let read_only = matches!(action, MigrateAction::Status { .. });
    let _lock = if read_only {
        pacerd::ipc::socket::ensure_home_dir(&config.home).map_err(|e| e.to_string())?;
        None
    } else {
        Some(lock_for_migrate(config)?)
    };
    let store = pacerd::store::Store::open(&config.db_path()).map_err(|e| e.to_string())?;
    let mut conn = store.conn().map_err(|e| e.to_string())?;
    let migrator = Migrator::embedded();
    match action {
        MigrateAction::Status { json } => {
            let status = migrator.status(&conn).map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?);
            } else {
                for s in status {
                    let file = format!("{:03}_{}.sql", s.version, s.name);
                    println!("{file:<32} {}", s.applied_at.as_deref().unwrap_or("pending"));
                }
            }
        }
        MigrateAction::Up { to } => {
            let applied = migrator.up(&mut conn, to).map_err(|e| e.to_string())?;
            if applied.is_empty() {
                println!("nothing to apply");
            }
            for a in applied {
                println!("applied {:03}_{}.sql", a.version, a.name);
            }
        }
        MigrateAction::Down { to } => {
            let reverted = migrator.down(&mut conn, to).map_err(|e| e.to_string())?;
            if reverted.is_empty() {
                println!("nothing to revert");
            }
            for a in reverted {
                println!("reverted {:03}_{}.sql", a.version, a.name);
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
