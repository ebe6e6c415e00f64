//! The HTTP surface (actix-web): one `configure` that mounts every route group.

pub mod error;
pub mod health;
pub mod session;

use actix_web::web;

/// Mounts every route group.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::health);
    session::configure(cfg);
}
