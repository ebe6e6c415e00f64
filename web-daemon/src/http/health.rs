//! `GET /health`: liveness.

use actix_web::{HttpResponse, get};
use serde::Serialize;

/// Liveness answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` while the daemon serves.
    pub status: &'static str,
    /// pacerd version.
    pub version: &'static str,
}

/// Liveness probe.
#[utoipa::path(tag = "meta", responses((status = 200, body = Health)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}
