//! Connected applications (MCP OAuth grants) for the web page: `GET /api/oauth/grants` and
//! `DELETE /api/oauth/grants/{grant_id}`. Session JWT (cookie or Bearer); only the caller's own
//! (tenant, user) grants.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authenticated, TenantHeader};
use crate::state::AppState;
use crate::store::authz::{self, GrantInfo};

/// The caller's connected applications.
#[derive(Serialize, ToSchema)]
pub struct GrantList {
    /// Active grants, newest first.
    pub grants: Vec<GrantInfo>,
}

/// The result of revoking.
#[derive(Serialize, ToSchema)]
pub struct GrantRevoked {
    pub id: String,
    /// Always `true`: its tokens no longer work.
    pub revoked: bool,
}

/// Lists the applications the logged-in user authorized (MCP OAuth).
#[utoipa::path(
    tag = "mcp-auth",
    params(TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Connected applications", body = GrantList),
        super::responses::SessionAuth,
    )
)]
#[get("/api/oauth/grants")]
pub async fn list_grants(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let grants = state.store.call(move |c| authz::list_grants(c, &p.tenant_id, &p.user_id)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(GrantList { grants }))
}

/// Revokes one connected application: every token of the grant stops working at once.
#[utoipa::path(
    tag = "mcp-auth",
    params(("grant_id" = String, Path, description = "The grant's `id` from the list"), TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Revoked", body = GrantRevoked),
        super::responses::SessionAuth,
        (status = 404, description = "No such active grant of this user", body = ErrorBody),
    )
)]
#[delete("/api/oauth/grants/{grant_id}")]
pub async fn revoke_grant(
    auth: Authenticated,
    state: web::Data<AppState>,
    grant_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let id = grant_id.into_inner();
    let (t, u, g) = (p.tenant_id.clone(), p.user_id.clone(), id.clone());
    let revoked = state.store.call(move |c| authz::revoke_user_grant(c, &t, &u, &g)).await?;
    if !revoked {
        return Err(ApiError::not_found("connected application not found"));
    }
    tracing::info!(tenant = %p.tenant_id, user = %p.user_id, grant = %id, "connected application revoked");
    Ok(HttpResponse::Ok().json(GrantRevoked { id, revoked: true }))
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(list_grants).service(revoke_grant);
}
