//! `pacer-mcp`: the stdio MCP server desktop AI clients launch. It owns no data; it relays
//! newline-delimited JSON-RPC between stdin/stdout and `pacerd`'s Unix socket, autostarting the
//! daemon and reconnecting transparently when it restarts.
//!
//! stdout carries MCP bytes only; every log line goes to stderr.

mod autostart;
mod config;
mod connect;
mod daemon_link;
mod jsonrpc;
mod lines;
mod relay;
mod socket;

use std::io::IsTerminal;
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info};
use tracing_subscriber::EnvFilter;

use crate::config::{Command, Config};

fn main() -> ExitCode {
    let exe = std::env::current_exe().ok();
    let command = config::load(std::env::args_os().skip(1), |name| std::env::var_os(name), exe.as_deref());
    let config = match command {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            print!("{}", config::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("pacer-mcp {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("pacer-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config.log_filter);
    if let Err(problem) = &config.api_key {
        error!("{problem}; every request will be answered with this error");
    }

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(&config));
    // stdin is read on a blocking thread that cannot be interrupted; do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Relays until stdin closes or SIGTERM/SIGINT arrives.
async fn serve(config: &Config) -> anyhow::Result<()> {
    tokio::select! {
        result = relay::run(config) => result,
        name = shutdown_signal() => {
            info!("received {name}; exiting");
            Ok(())
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT with the signal's name.
async fn shutdown_signal() -> &'static str {
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        error!("cannot install signal handlers; only stdin EOF stops pacer-mcp");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// Logs to stderr at the level `filter` names (`PACER_LOG`), falling back to `warn`.
fn init_logging(filter: &str) {
    let (filter, bad) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(e) => (EnvFilter::new("warn"), Some(e)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if let Some(e) = bad {
        error!("invalid PACER_LOG filter ({e}); using 'warn'");
    }
}
