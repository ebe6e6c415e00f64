//! Admin subcommands: build the request, send it, print the answer (human text or `--json`).

use std::io::BufRead;
use std::path::Path;

use pacer_shared::ipc::{AdminRequest, AdminResponse};
use pacer_shared::{Secret, Tier};

use super::admin_client;
use super::{KeysAction, UsersAction};

/// What to print on success.
pub(super) fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    let s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    println!("{s}");
    Ok(())
}

pub(super) async fn call(socket: &Path, req: AdminRequest) -> Result<AdminResponse, String> {
    match admin_client::request(socket, req).await? {
        AdminResponse::Error { message, .. } => Err(message),
        other => Ok(other),
    }
}

pub(super) fn unexpected(r: AdminResponse) -> String {
    format!("unexpected answer from pacerd: {r:?}")
}

/// `pacerd users …`.
pub async fn users(socket: &Path, action: UsersAction) -> Result<(), String> {
    match action {
        UsersAction::Add { email, tenant, password_stdin, json } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read password from stdin: {e}"))?;
                Some(Secret::new(line.trim_end_matches(['\r', '\n']).to_string()))
            } else {
                None
            };
            match call(socket, AdminRequest::UsersAdd { email, tenant, password }).await? {
                AdminResponse::User(u) if json => print_json(&u),
                AdminResponse::User(u) => {
                    println!("created user {} ({}) in tenant {}", u.email, u.id, u.tenant);
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
        UsersAction::List { json } => match call(socket, AdminRequest::UsersList).await? {
            AdminResponse::Users { users } if json => print_json(&serde_json::json!({ "users": users })),
            AdminResponse::Users { users } => {
                println!("{:<36}  {:<32}  {:<16}  CREATED", "ID", "EMAIL", "TENANT");
                for u in users {
                    println!("{:<36}  {:<32}  {:<16}  {}", u.id.as_str(), u.email, u.tenant, u.created_at);
                }
                Ok(())
            }
            other => Err(unexpected(other)),
        },
        UsersAction::SetTier { email, max_tier, json } => {
            let max_tier: Tier = max_tier.parse().map_err(|e: String| format!("--max-tier: {e}"))?;
            match call(socket, AdminRequest::UsersSetTier { email, max_tier }).await? {
                AdminResponse::UserTier { email, max_tier } if json => {
                    print_json(&serde_json::json!({ "email": email, "max_tier": max_tier }))
                }
                AdminResponse::UserTier { email, max_tier } => {
                    println!("{email} may now create keys up to tier {max_tier}");
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
        UsersAction::LoginLink { email, json } => match call(socket, AdminRequest::UsersLoginLink { email }).await? {
            AdminResponse::LoginLink { url, expires_at } if json => {
                print_json(&serde_json::json!({ "url": url, "expires_at": expires_at }))
            }
            AdminResponse::LoginLink { url, expires_at } => {
                println!("{url}\n(one use, expires {expires_at})");
                Ok(())
            }
            other => Err(unexpected(other)),
        },
    }
}

/// `pacerd keys …`.
pub async fn keys(socket: &Path, action: KeysAction) -> Result<(), String> {
    match action {
        KeysAction::Create { user, name, description, tier, json } => {
            let tier: Tier = tier.parse().map_err(|e: String| format!("--tier: {e}"))?;
            match call(socket, AdminRequest::KeysCreate { user, name, description, tier }).await? {
                AdminResponse::KeyCreated(k) if json => print_json(&k),
                AdminResponse::KeyCreated(k) => {
                    println!("{}", k.api_key.expose());
                    eprintln!(
                        "created key {} ({}, tier {}, prefix {})\n{}",
                        k.key_info.id, k.key_info.name, k.key_info.tier, k.key_info.key_prefix, k.warning
                    );
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
        KeysAction::List { user, json } => match call(socket, AdminRequest::KeysList { user }).await? {
            AdminResponse::Keys { keys } if json => print_json(&serde_json::json!({ "keys": keys })),
            AdminResponse::Keys { keys } => {
                println!("{:<36}  {:<20}  {:<10}  {:<14}  {:<6}  LAST USED", "ID", "NAME", "TIER", "PREFIX", "ACTIVE");
                for k in keys {
                    println!(
                        "{:<36}  {:<20}  {:<10}  {:<14}  {:<6}  {}",
                        k.id,
                        k.name,
                        k.tier.as_str(),
                        k.key_prefix,
                        if k.is_active { "yes" } else { "no" },
                        k.last_used_at.as_deref().unwrap_or("never")
                    );
                }
                Ok(())
            }
            other => Err(unexpected(other)),
        },
        KeysAction::Revoke { key_id, json } => match call(socket, AdminRequest::KeysRevoke { key_id }).await? {
            AdminResponse::KeyRevoked { id, is_active } if json => {
                print_json(&serde_json::json!({ "id": id, "is_active": is_active }))
            }
            AdminResponse::KeyRevoked { id, .. } => {
                println!("revoked key {id}");
                Ok(())
            }
            other => Err(unexpected(other)),
        },
    }
}

/// `pacerd status`.
pub async fn status(socket: &Path, json: bool) -> Result<(), String> {
    match call(socket, AdminRequest::Status).await? {
        AdminResponse::Status(s) if json => print_json(&s),
        AdminResponse::Status(s) => {
            println!("pacerd {} (pid {}, up {} s)", s.version, s.pid, s.uptime_s);
            println!("  http:     http://{}", s.http_addr);
            println!("  socket:   {}", s.socket);
            println!("  database: {}", s.db_path);
            println!(
                "  tenants {}, users {}, API keys {} ({} active)",
                s.tenants, s.users, s.api_keys, s.active_api_keys
            );
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// `pacerd stop`.
pub async fn stop(socket: &Path) -> Result<(), String> {
    match call(socket, AdminRequest::Shutdown).await? {
        AdminResponse::ShuttingDown => {
            println!("pacerd is shutting down");
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}
