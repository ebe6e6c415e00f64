//! `pacerd oauth-apps set|list|remove`: a tenant's own OAuth application (client id, secret,
//! redirect URI) instead of the global `strava.*` one. The secret is read from stdin, never from
//! the command line, and never printed.

use pacer_shared::ProviderId;
use std::io::BufRead;
use std::path::Path;

use clap::Subcommand;
use pacer_shared::Secret;
use pacer_shared::ipc::{AdminRequest, AdminResponse, OAuthAppInfo};

use super::commands::{call, print_json, unexpected};

#[derive(Debug, Subcommand)]
pub enum OAuthAppsAction {
    /// Set (create or replace) a tenant's OAuth app; its users connect through it. Users who
    /// connected through the previous app must reconnect.
    Set {
        /// Tenant name (must exist).
        #[arg(long)]
        tenant: String,
        /// The app's client id.
        #[arg(long)]
        client_id: String,
        /// Read the client secret from the first line of stdin (required).
        #[arg(long)]
        client_secret_stdin: bool,
        /// Callback URL registered with the app (default: the global `strava.redirect_uri`).
        #[arg(long, value_name = "URL")]
        redirect_uri: Option<String>,
        #[arg(long, default_value = "strava")]
        provider: String,
        #[arg(long)]
        json: bool,
    },
    /// List tenants' OAuth apps (never the secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a tenant's OAuth app; its users fall back to the global app.
    Remove {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "strava")]
        provider: String,
        #[arg(long)]
        json: bool,
    },
}

/// `--provider`: one line naming the supported ones when unknown.
fn parse_provider(name: &str) -> Result<ProviderId, String> {
    name.parse().map_err(|e: String| format!("provider: {e}"))
}

fn read_secret() -> Result<Secret, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the client secret from stdin: {e}"))?;
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err("no client secret on stdin (pipe it in: ... --client-secret-stdin < secret.txt)".into());
    }
    Ok(Secret::new(secret.to_owned()))
}

fn describe(app: &OAuthAppInfo) -> String {
    let redirect = app.redirect_uri.as_deref().unwrap_or("the global redirect URI");
    format!(
        "{} OAuth app of tenant {}: client id {}, redirect to {}",
        app.provider, app.tenant, app.client_id, redirect
    )
}

/// Runs one `pacerd oauth-apps …` command against the daemon at `socket`.
pub async fn run(socket: &Path, action: OAuthAppsAction) -> Result<(), String> {
    match action {
        OAuthAppsAction::Set { tenant, client_id, client_secret_stdin, redirect_uri, provider, json } => {
            if !client_secret_stdin {
                return Err("--client-secret-stdin is required: the secret is read from stdin, never from flags".into());
            }
            let client_secret = read_secret()?;
            let provider = parse_provider(&provider)?;
            let request = AdminRequest::OAuthAppsSet { tenant, provider, client_id, client_secret, redirect_uri };
            match call(socket, request).await? {
                AdminResponse::OAuthApp(app) if json => print_json(&app),
                AdminResponse::OAuthApp(app) => {
                    println!("set {}", describe(&app));
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
        OAuthAppsAction::List { json } => match call(socket, AdminRequest::OAuthAppsList).await? {
            AdminResponse::OAuthApps { apps } if json => print_json(&serde_json::json!({ "apps": apps })),
            AdminResponse::OAuthApps { apps } => {
                println!("{:<16}  {:<8}  {:<24}  {:<40}  SET AT", "TENANT", "PROVIDER", "CLIENT ID", "REDIRECT URI");
                for a in apps {
                    let redirect = a.redirect_uri.as_deref().unwrap_or("(global)");
                    println!(
                        "{:<16}  {:<8}  {:<24}  {:<40}  {}",
                        a.tenant, a.provider, a.client_id, redirect, a.created_at
                    );
                }
                Ok(())
            }
            other => Err(unexpected(other)),
        },
        OAuthAppsAction::Remove { tenant, provider, json } => {
            let provider = parse_provider(&provider)?;
            match call(socket, AdminRequest::OAuthAppsRemove { tenant, provider }).await? {
                AdminResponse::OAuthAppRemoved { tenant, provider } if json => {
                    print_json(&serde_json::json!({ "tenant": tenant, "provider": provider, "removed": true }))
                }
                AdminResponse::OAuthAppRemoved { tenant, provider } => {
                    println!("removed the {provider} OAuth app of tenant {tenant}; its users now use the global app");
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
    }
}
