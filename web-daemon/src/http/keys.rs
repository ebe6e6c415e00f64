//! API-key management for the logged-in user: `POST /api/keys/create`, `GET /api/keys/list`,
//! `DELETE /api/keys/{key_id}`. Session JWT (Bearer or cookie) required; everything is scoped
//! to the caller's (tenant, user), so another user's key is simply not found.

use actix_web::{HttpResponse, delete, get, post, web};
use pacer_shared::{KeyCreated, KeyInfo, NewKeyInfo, Tier};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::NO_STORE;
use super::error::{ApiError, ErrorBody};
use super::extract::{Authenticated, TenantHeader};
use crate::accounts::{self, Grantor};
use crate::state::AppState;

/// A new key's name, description and tier.
#[derive(Deserialize, ToSchema)]
pub struct CreateKeyRequest {
    /// 1–100 characters (`accounts::MAX_NAME`), not only spaces.
    #[schema(example = "Production Key", pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: String,
    /// Up to 500 characters (`accounts::MAX_DESCRIPTION`).
    #[schema(example = "Main app key", max_length = 500)]
    pub description: Option<String>,
    /// `free` (default), `premium` or `enterprise`; decides the rate limit. At most the
    /// account's allowance (`max_tier` in the key list); above it → 403.
    #[schema(value_type = Option<KeyTier>, example = "premium")]
    pub tier: Option<String>,
}

/// A key tier as the API names it ([`Tier`] in lower case); documentation only.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum KeyTier {
    Free,
    Premium,
    Enterprise,
}

/// Public facts of a newly created key.
#[derive(Serialize, ToSchema)]
pub struct NewKeyInfoBody {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = KeyTier, example = "free")]
    pub tier: Tier,
    /// `pk_live_` + the first 6 random characters; identifies the key in lists.
    #[schema(example = "pk_live_a1B2c3")]
    pub key_prefix: String,
    /// RFC 3339.
    pub created_at: String,
}

/// The one response that reveals a key's secret.
#[derive(Serialize, ToSchema)]
pub struct KeyCreatedBody {
    /// The full key, for `X-API-Key`; shown only here.
    #[schema(example = "pk_live_a1B2c3…")]
    pub api_key: String,
    pub key_info: NewKeyInfoBody,
    #[schema(example = "Store securely - won't be shown again")]
    pub warning: String,
}

/// A key as listed: never the secret or its hash.
#[derive(Serialize, ToSchema)]
pub struct KeyInfoBody {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = KeyTier, example = "free")]
    pub tier: Tier,
    pub key_prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub is_active: bool,
}

/// The caller's keys, newest first, and the highest tier the caller may give a new key.
#[derive(Serialize, ToSchema)]
pub struct KeyList {
    /// The account's key-tier allowance: `free`, `premium` or `enterprise`. Only an
    /// administrator raises it (`pacerd users set-tier`).
    #[schema(value_type = KeyTier, example = "free")]
    pub max_tier: Tier,
    pub keys: Vec<KeyInfoBody>,
}

/// A deactivated key.
#[derive(Serialize, ToSchema)]
pub struct KeyRevoked {
    pub id: String,
    /// Always `false`.
    pub is_active: bool,
}

impl From<KeyCreated> for KeyCreatedBody {
    fn from(k: KeyCreated) -> Self {
        let NewKeyInfo { id, name, description, tier, key_prefix, created_at } = k.key_info;
        Self {
            api_key: k.api_key.expose().to_string(),
            key_info: NewKeyInfoBody { id, name, description, tier, key_prefix, created_at },
            warning: k.warning,
        }
    }
}

impl From<KeyInfo> for KeyInfoBody {
    fn from(k: KeyInfo) -> Self {
        let KeyInfo { id, name, description, tier, key_prefix, created_at, last_used_at, is_active } = k;
        Self { id, name, description, tier, key_prefix, created_at, last_used_at, is_active }
    }
}

/// Creates an API key for the logged-in user.
#[utoipa::path(
    tag = "keys",
    request_body = CreateKeyRequest,
    params(TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 201, description = "Created; the secret is in `api_key` and nowhere else", body = KeyCreatedBody),
        (status = 400, description = "Invalid name, description or tier (the message names the field)", body = ErrorBody),
        super::responses::SessionUnauthorized,
        (status = 403, description = "X-Tenant-ID names another tenant, or `tier` is above the account's allowance (the message names it)", body = ErrorBody),
        (status = 409, description = "The user already holds the maximum number of active keys", body = ErrorBody),
        super::responses::BodyTooLarge,
        super::responses::WrongContentType,
    )
)]
#[post("/api/keys/create")]
pub async fn create_key(
    auth: Authenticated,
    state: web::Data<AppState>,
    body: web::Json<CreateKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let tier = accounts::parse_tier(body.tier.as_deref())?;
    let description = body.description.as_deref();
    let created =
        accounts::create_key(&state.store, &p.tenant_id, &p.user_id, &body.name, description, tier, Grantor::Owner)
            .await?;
    tracing::info!(tenant = %p.tenant_id, user = %p.user_id, key = %created.key_info.id, tier = %tier, "API key created");
    Ok(HttpResponse::Created().insert_header(NO_STORE).json(KeyCreatedBody::from(created)))
}

/// Lists the logged-in user's keys (active and deactivated).
#[utoipa::path(
    tag = "keys",
    params(TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The caller's keys, newest first", body = KeyList),
        super::responses::SessionAuth,
    )
)]
#[get("/api/keys/list")]
pub async fn list_keys(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let (max_tier, keys) = accounts::keys_and_allowance(&state.store, &p.tenant_id, &p.user_id).await?;
    Ok(HttpResponse::Ok().json(KeyList { max_tier, keys: keys.into_iter().map(Into::into).collect() }))
}

/// Deactivates one of the logged-in user's keys; it stops working at once.
#[utoipa::path(
    tag = "keys",
    params(("key_id" = String, Path, description = "The key's `id` from create or list"), TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Deactivated", body = KeyRevoked),
        super::responses::SessionAuth,
        (status = 404, description = "No such key for this user (including other users' keys)", body = ErrorBody),
    )
)]
#[delete("/api/keys/{key_id}")]
pub async fn revoke_key(
    auth: Authenticated,
    state: web::Data<AppState>,
    key_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let key_id = key_id.into_inner();
    accounts::revoke_key(&state.store, &p.tenant_id, &p.user_id, &key_id).await?;
    tracing::info!(tenant = %p.tenant_id, user = %p.user_id, key = %key_id, "API key deactivated");
    Ok(HttpResponse::Ok().json(KeyRevoked { id: key_id, is_active: false }))
}

/// Registers the routes of this module.
pub fn configure(cfg: &mut super::DocumentedConfig) {
    cfg.service(create_key).service(list_keys).service(revoke_key);
}

#[cfg(test)]
mod tests {
    use pacer_shared::Tier;

    /// The documented tier names are exactly the ones [`Tier`] parses and prints.
    #[test]
    fn key_tier_names_are_the_tiers() {
        let doc: serde_json::Value = serde_json::from_str(crate::http::openapi::document_json()).unwrap();
        let names = doc["components"]["schemas"]["KeyTier"]["enum"].as_array().unwrap();
        let tiers: Vec<serde_json::Value> =
            [Tier::Free, Tier::Premium, Tier::Enterprise].iter().map(|t| serde_json::to_value(t).unwrap()).collect();
        assert_eq!(names, &tiers);
    }
}
