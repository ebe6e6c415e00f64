//! Account operations shared by the HTTP routes and the admin channel: users and API keys.
//! Validation lives here once, so both front doors reject the same inputs the same way.

use pacer_shared::{KeyCreated, KeyInfo, NewKeyInfo, Secret, TenantId, Tier, UserId, UserInfo};

use crate::auth::{api_key, password};
use crate::store::{Store, StoreError, api_keys, tenants, users};

/// Errors of account operations; `field` names the offending input.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this (e.g. a key tier above their allowance).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Invalid(m) => Self::Invalid { field: "input", message: m },
            other => Self::Store(other),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid { field, message: message.into() }
}

/// Longest key name.
pub const MAX_NAME: usize = 100;
/// Most active API keys one user may hold (each key has its own rate-limit bucket).
pub const MAX_ACTIVE_KEYS_PER_USER: u64 = 50;

/// Longest key description.
pub const MAX_DESCRIPTION: usize = 500;

/// Creates a user in `tenant` (created when missing; default `default`).
pub async fn add_user(
    store: &Store,
    email: &str,
    tenant: Option<&str>,
    password: Option<&Secret>,
) -> Result<UserInfo, AccountError> {
    let email = users::normalize_email(email).map_err(|e| invalid("email", e.to_string()))?;
    let tenant = tenant.unwrap_or(tenants::DEFAULT_TENANT).to_string();
    tenants::validate_name(&tenant).map_err(|e| invalid("tenant", e.to_string()))?;
    let hash = match password {
        Some(p) => Some(password::hash(p).map_err(|m| invalid("password", m))?),
        None => None,
    };
    store
        .call(move |c| {
            let tx = c.transaction()?;
            let t = tenants::get_or_create(&tx, &tenant)?;
            let user = users::create(&tx, &t.id, &email, hash.as_deref())?;
            tx.commit()?;
            Ok(user.info)
        })
        .await
        .map_err(Into::into)
}

/// Finds a user by email.
pub async fn user_by_email(store: &Store, email: &str) -> Result<UserInfo, AccountError> {
    let email = email.to_string();
    store
        .call(move |c| {
            users::find_by_email(c, &email)?
                .map(|u| u.info)
                .ok_or_else(|| StoreError::NotFound(format!("user {email}")))
        })
        .await
        .map_err(Into::into)
}

/// Checks a key's name, description and tier; returns the trimmed name.
pub fn validate_key_input(name: &str, description: Option<&str>) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(invalid("name", format!("must be at most {MAX_NAME} characters")));
    }
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(invalid("description", format!("must be at most {MAX_DESCRIPTION} characters")));
    }
    Ok(name.to_string())
}

/// Parses a tier name from user input.
pub fn parse_tier(tier: Option<&str>) -> Result<Tier, AccountError> {
    tier.map_or(Ok(Tier::Free), |t| t.parse().map_err(|m: String| invalid("tier", m)))
}

/// Who asks for a new key, which decides the highest tier it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantor {
    /// The key's owner (HTTP API): at most the owner's allowance (`users.max_tier`).
    Owner,
    /// The local administrator (admin channel, `pacerd demo`): any tier.
    Admin,
}

/// The refusal for a tier above the allowance; names both so the user knows whom to ask.
fn above_allowance(tier: Tier, allowance: Tier) -> AccountError {
    AccountError::Forbidden(format!(
        "tier '{tier}' is above this account's key-tier allowance ('{allowance}'); \
         an administrator can raise it with `pacerd users set-tier`"
    ))
}

/// Creates an API key for (`tenant`, `user`); the secret is in the result and nowhere else.
///
/// Writers of what `GET /api/keys/list` shows drop the user's cached list
/// (`KeyCache::forget_user`) inside their store call, right after the write: the blocking call
/// runs to its end even when the request is dropped, so the invalidation cannot be skipped.
///
/// The allowance check, the active-key count and the insert run in one `BEGIN IMMEDIATE`
/// transaction, so concurrent creates cannot overshoot [`MAX_ACTIVE_KEYS_PER_USER`].
pub async fn create_key(
    store: &Store,
    tenant: &TenantId,
    user: &UserId,
    name: &str,
    description: Option<&str>,
    tier: Tier,
    by: Grantor,
) -> Result<KeyCreated, AccountError> {
    let name = validate_key_input(name, description)?;
    let description = description.map(str::trim).filter(|d| !d.is_empty()).map(str::to_string);
    let generated = api_key::generate();
    let (tenant, user) = (tenant.clone(), user.clone());
    let (prefix, hash) = (generated.prefix.clone(), generated.hash);
    let cache = store.clone();
    let info = store
        .call(move |c| {
            let tx = c.transaction_immediate()?;
            let allowance = users::max_tier(&tx, &tenant, &user)?.ok_or_else(|| StoreError::NotFound("user".into()))?;
            if by == Grantor::Owner && tier > allowance {
                return Ok(Err(above_allowance(tier, allowance)));
            }
            if api_keys::count_active_for_user(&tx, &tenant, &user)? >= MAX_ACTIVE_KEYS_PER_USER {
                return Err(StoreError::Conflict(format!(
                    "at most {MAX_ACTIVE_KEYS_PER_USER} active API keys per user; revoke one first"
                )));
            }
            let info = api_keys::insert(
                &tx,
                &api_keys::NewKey {
                    tenant: &tenant,
                    user: &user,
                    name: &name,
                    description: description.as_deref(),
                    tier,
                    key_prefix: &prefix,
                    key_hash: &hash,
                },
            )?;
            tx.commit()?;
            cache.keys().forget_user(&tenant, &user);
            Ok(Ok(info))
        })
        .await??;
    Ok(KeyCreated {
        api_key: generated.secret,
        key_info: NewKeyInfo {
            id: info.id,
            name: info.name,
            description: info.description,
            tier: info.tier,
            key_prefix: info.key_prefix,
            created_at: info.created_at,
        },
        warning: pacer_shared::domain::NEW_KEY_WARNING.to_string(),
    })
}

/// Sets a user's key-tier allowance (admin channel only).
pub async fn set_key_tier_allowance(store: &Store, email: &str, tier: Tier) -> Result<(), AccountError> {
    let email = users::normalize_email(email).map_err(|e| invalid("email", e.to_string()))?;
    let cache = store.clone();
    Ok(store
        .call(move |c| {
            let user = users::find_by_email(c, &email)?.ok_or_else(|| StoreError::NotFound(format!("user {email}")))?;
            users::set_max_tier(c, &email, tier)?;
            cache.keys().forget_user(&user.info.tenant_id, &user.info.id);
            Ok(())
        })
        .await?)
}

/// The keys of (`tenant`, `user`).
pub async fn list_keys(store: &Store, tenant: &TenantId, user: &UserId) -> Result<Vec<KeyInfo>, AccountError> {
    let (t, u) = (tenant.clone(), user.clone());
    Ok(store.call(move |c| api_keys::list_for_user(c, &t, &u)).await?)
}

/// The user's key-tier allowance and keys, read in one store round trip, or from the key
/// cache when read moments ago (see [`crate::auth::key_cache`]; every writer of what this
/// shows calls `KeyCache::forget_user`).
pub async fn keys_and_allowance(
    store: &Store,
    tenant: &TenantId,
    user: &UserId,
) -> Result<(Tier, Vec<KeyInfo>), AccountError> {
    if let Some(list) = store.keys().list(tenant, user) {
        return Ok(list);
    }
    let generation = store.keys().generation();
    let (t, u) = (tenant.clone(), user.clone());
    let list = store
        .call(move |c| {
            let tx = c.transaction()?;
            let tier = users::max_tier(&tx, &t, &u)?.ok_or_else(|| StoreError::NotFound("user".into()))?;
            let keys = api_keys::list_for_user(&tx, &t, &u)?;
            tx.commit()?;
            Ok((tier, keys))
        })
        .await?;
    store.keys().insert_list(tenant, user, list.clone(), generation);
    Ok(list)
}

/// Deactivates any user's key (admin channel only).
pub async fn revoke_any_key(store: &Store, key_id: &str) -> Result<(), AccountError> {
    let (k, cache) = (key_id.to_string(), store.clone());
    store
        .call(move |c| {
            let (tenant, user) = api_keys::deactivate_any(c, &k)?;
            cache.keys().forget(&k);
            cache.keys().forget_user(&tenant, &user);
            Ok(())
        })
        .await?;
    Ok(())
}

/// Deactivates a key of (`tenant`, `user`); anyone else's key is `NotFound`.
pub async fn revoke_key(store: &Store, tenant: &TenantId, user: &UserId, key_id: &str) -> Result<(), AccountError> {
    let (t, u, k, cache) = (tenant.clone(), user.clone(), key_id.to_string(), store.clone());
    store
        .call(move |c| {
            api_keys::deactivate(c, &t, &u, &k)?;
            cache.keys().forget(&k);
            cache.keys().forget_user(&t, &u);
            Ok(())
        })
        .await?;
    Ok(())
}
