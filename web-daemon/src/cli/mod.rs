//! The `pacerd` command line: daemon commands (`serve`, `demo`, `sandbox`, `migrate`) and admin
//! commands that talk to the running daemon over the socket's admin channel.

pub mod admin_client;
pub mod commands;
pub mod import;
pub mod oauth_apps;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// pacer daemon: fitness data for AI assistants over MCP, HTTP and A2A.
#[derive(Debug, Parser)]
#[command(name = "pacerd", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Data directory (database, keys, socket). Default: $PACER_HOME, else $XDG_DATA_HOME/pacer,
    /// else ~/.local/share/pacer.
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Config file (default: $PACER_HOME/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: `sqlite:` (default, $PACER_HOME/pacer.db) or `postgres://user@host:port/db`
    /// (default: $PACER_DATABASE_URL, else `database_url` in the config file).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon (HTTP + Unix socket) in the foreground.
    Serve(ServeArgs),
    /// Run the daemon with the built-in Strava sandbox and a ready demo user, key and connection.
    Demo(ServeArgs),
    /// Run only the Strava-compatible sandbox server.
    Sandbox {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:8090")]
        http: String,
    },
    /// Database migrations (works without a running daemon).
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage users (needs a running daemon).
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Manage API keys (needs a running daemon).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Manage tenants' own OAuth applications (needs a running daemon).
    #[command(name = "oauth-apps")]
    OAuthApps {
        #[command(subcommand)]
        action: oauth_apps::OAuthAppsAction,
    },
    /// Import activity files into a user's local store (needs a running daemon): a folder of
    /// FIT/TCX/GPX files (optionally .gz), one such file, or a Strava bulk-export ZIP.
    Import {
        /// Folder, file or ZIP, on this machine.
        path: PathBuf,
        /// Whose activities these are (email). Default: the only user, or the demo user.
        #[arg(long)]
        user: Option<String>,
        /// JSON lines: progress objects, then the report.
        #[arg(long)]
        json: bool,
    },
    /// Show the running daemon's status.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Stop the running daemon gracefully.
    Stop,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// HTTP listen address (default 127.0.0.1:8081).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Redis for rate limits shared by several daemons (`redis://HOST:PORT/DB`). A URL with a
    /// password is visible to other local users here: prefer PACER_REDIS_URL_FILE.
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// List migrations and whether each is applied.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Apply pending migrations (up to --to).
    Up {
        #[arg(long)]
        to: Option<u32>,
    },
    /// Revert applied migrations above --to.
    Down {
        /// Keep migrations up to and including this version (0 reverts everything).
        #[arg(long)]
        to: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Create a user.
    Add {
        #[arg(long)]
        email: String,
        /// Tenant name (created when missing; default `default`).
        #[arg(long)]
        tenant: Option<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set the highest tier a user may give their own keys over HTTP (their allowance;
    /// default free). `pacerd keys create` is not bound by it.
    #[command(name = "set-tier")]
    SetTier {
        #[arg(long)]
        email: String,
        /// free, premium or enterprise.
        #[arg(long)]
        max_tier: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a one-time, 10-minute login URL for the web page.
    LoginLink {
        #[arg(long)]
        email: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create an API key; the key is printed once.
    Create {
        /// The owner's email.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// free, premium or enterprise.
        #[arg(long, default_value = "free")]
        tier: String,
        #[arg(long)]
        json: bool,
    },
    /// List a user's keys (never the secret).
    List {
        #[arg(long)]
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Deactivate a key by id.
    Revoke {
        key_id: String,
        #[arg(long)]
        json: bool,
    },
}
