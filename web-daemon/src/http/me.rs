//! `GET /api/me`: who an API key belongs to. Agents call it to check their key; it is limited
//! per key like every other key-authenticated route.

use actix_web::{HttpResponse, get};
use pacer_shared::{TenantId, Tier, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ApiKeyAuth, TenantHeader};

/// The identity behind an API key.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[schema(value_type = String)]
    pub tenant_id: TenantId,
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub key_id: String,
    /// `free`, `premium` or `enterprise`.
    #[schema(value_type = String, example = "free")]
    pub tier: Tier,
}

/// The tenant, user, key and tier of the presented API key.
#[utoipa::path(
    tag = "keys",
    params(TenantHeader),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The key's identity", body = Me, headers(
            ("X-RateLimit-Limit" = u32, description = "Requests per minute for this key"),
            ("X-RateLimit-Remaining" = u32, description = "Requests left now"),
            ("X-RateLimit-Reset" = i64, description = "UNIX seconds when the bucket is full again"),
        )),
        super::responses::KeyAuth,
        super::responses::RateLimited,
    )
)]
#[get("/api/me")]
pub async fn me(auth: ApiKeyAuth) -> HttpResponse {
    let ApiKeyAuth(p) = auth;
    HttpResponse::Ok().json(Me {
        tenant_id: p.tenant_id,
        user_id: p.user_id,
        key_id: p.key_id.unwrap_or_default(),
        tier: p.tier,
    })
}
