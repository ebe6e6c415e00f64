//! `pacerd` binary: parse flags, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use pacerd::cli::{Cli, Command, MigrateAction, commands};
use pacerd::config::{Config, DatabaseUrl, Overrides};
use pacerd::store::migrate::{Applied, Migrator, Status};

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
        database_url: cli.global.database_url.clone(),
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
        // The PostgreSQL client is synchronous (it runs its own small runtime): off the workers.
        Command::Migrate { action } => tokio::task::spawn_blocking(move || migrate(&config, action))
            .await
            .map_err(|e| format!("migration task failed: {e}"))?,
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
    match &config.database_url {
        DatabaseUrl::Sqlite(path) => migrate_sqlite(config, path, action),
        DatabaseUrl::Postgres(url) => {
            // No home lock here: replicas on other machines share the database, so the
            // migrator's advisory lock in PostgreSQL is what serializes migrations.
            let mut client = url.connect().map_err(|e| {
                format!("cannot connect to {}: {}", url.redacted(), pacerd::store::sql::postgres_message(&e))
            })?;
            let migrator = Migrator::postgres();
            let e = |e: pacerd::store::StoreError| e.to_string();
            match action {
                MigrateAction::Status { json } => print_status(migrator.status(&mut client).map_err(e)?, json),
                MigrateAction::Up { to } => print_up(migrator.up(&mut client, to).map_err(e)?),
                MigrateAction::Down { to } => print_down(migrator.down(&mut client, to).map_err(e)?),
            }
        }
    }
}

fn migrate_sqlite(config: &Config, path: &std::path::Path, action: MigrateAction) -> Result<(), String> {
    // Holding the daemon lock keeps a running daemon's schema from changing under it; `status`
    // only reads, so it runs beside a daemon too.
    let read_only = matches!(action, MigrateAction::Status { .. });
    let _lock = if read_only {
        pacerd::ipc::socket::ensure_home_dir(&config.home).map_err(|e| e.to_string())?;
        None
    } else {
        Some(lock_for_migrate(config)?)
    };
    let store = pacerd::store::Store::open(path).map_err(|e| e.to_string())?;
    let pacerd::store::Conn::Sqlite(mut conn) = store.conn().map_err(|e| e.to_string())? else {
        return Err("a SQLite store opened on another engine".into());
    };
    let migrator = Migrator::embedded();
    let e = |e: pacerd::store::StoreError| e.to_string();
    match action {
        MigrateAction::Status { json } => print_status(migrator.status(&conn).map_err(e)?, json),
        MigrateAction::Up { to } => print_up(migrator.up(&mut conn, to).map_err(e)?),
        MigrateAction::Down { to } => print_down(migrator.down(&mut conn, to).map_err(e)?),
    }
}

fn print_status(status: Vec<Status>, json: bool) -> Result<(), String> {
    if json {
        println!("{}", serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?);
    } else {
        for s in status {
            let file = format!("{:03}_{}.sql", s.version, s.name);
            println!("{file:<32} {}", s.applied_at.as_deref().unwrap_or("pending"));
        }
    }
    Ok(())
}

fn print_up(applied: Vec<Applied>) -> Result<(), String> {
    if applied.is_empty() {
        println!("nothing to apply");
    }
    for a in applied {
        println!("applied {:03}_{}.sql", a.version, a.name);
    }
    Ok(())
}

fn print_down(reverted: Vec<Applied>) -> Result<(), String> {
    if reverted.is_empty() {
        println!("nothing to revert");
    }
    for a in reverted {
        println!("reverted {:03}_{}.sql", a.version, a.name);
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
