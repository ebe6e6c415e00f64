//! API-key rows. Only the prefix and the SHA-256 of the whole key are stored; the secret itself
//! never reaches the database.

use crate::store::{Conn, OptionalExtension, Row, params};
use pacer_shared::{KeyInfo, TenantId, Tier, UserId};

use super::replicas::{self, Invalidation};
use super::{StoreError, new_id, now_rfc3339};

/// What a caller supplies to create a key.
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    pub tenant: &'a TenantId,
    pub user: &'a UserId,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub tier: Tier,
    pub key_prefix: &'a str,
    pub key_hash: &'a [u8; 32],
}

/// A key row as needed to authenticate: identity plus the stored hash.
#[derive(Debug, Clone)]
pub struct KeyCandidate {
    pub id: String,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub tier: Tier,
    pub is_active: bool,
    pub key_hash: Vec<u8>,
}

const INFO_COLS: &str = "id, name, description, tier, key_prefix, created_at, last_used_at, is_active";

fn tier_of(s: String) -> Tier {
    s.parse().unwrap_or_default()
}

fn info_from_row(r: &Row<'_>) -> crate::store::sql::Result<KeyInfo> {
    Ok(KeyInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        tier: tier_of(r.get(3)?),
        key_prefix: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
        is_active: r.get(7)?,
    })
}

/// Inserts a key and returns its public info.
pub fn insert(conn: &Conn, key: &NewKey<'_>) -> Result<KeyInfo, StoreError> {
    let id = new_id();
    conn.execute(
        "INSERT INTO api_keys (id, user_id, tenant_id, name, description, tier, key_prefix, key_hash, created_at, is_active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, TRUE)",
        params![
            id,
            key.user.as_str(),
            key.tenant.as_str(),
            key.name,
            key.description,
            key.tier.as_str(),
            key.key_prefix,
            key.key_hash.as_slice(),
            now_rfc3339()
        ],
    )?;
    replicas::notify(conn, &Invalidation::User(key.tenant.clone(), key.user.clone()))?;
    Ok(conn.query_row(&format!("SELECT {INFO_COLS} FROM api_keys WHERE id = ?1"), params![&id], info_from_row)?)
}

/// Candidates sharing `prefix` (normally one), for the constant-time hash comparison.
pub fn find_by_prefix(conn: &Conn, prefix: &str) -> Result<Vec<KeyCandidate>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, tenant_id, user_id, tier, is_active, key_hash FROM api_keys WHERE key_prefix = ?1",
    )?;
    let rows = stmt.query_map(params![prefix], |r| {
        Ok(KeyCandidate {
            id: r.get(0)?,
            tenant_id: TenantId::new(r.get::<String>(1)?),
            user_id: UserId::new(r.get::<String>(2)?),
            tier: tier_of(r.get(3)?),
            is_active: r.get(4)?,
            key_hash: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The keys of one user in one tenant, newest first.
pub fn list_for_user(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<Vec<KeyInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {INFO_COLS} FROM api_keys WHERE tenant_id = ?1 AND user_id = ?2 ORDER BY created_at DESC, id"
    ))?;
    let rows = stmt.query_map(params![tenant.as_str(), user.as_str()], info_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deactivates a key owned by (`tenant`, `user`). Another owner's key is `NotFound`.
pub fn deactivate(conn: &Conn, tenant: &TenantId, user: &UserId, key_id: &str) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE api_keys SET is_active = FALSE WHERE tenant_id = ?1 AND user_id = ?2 AND id = ?3",
        params![tenant.as_str(), user.as_str(), key_id],
    )?;
    revoked(conn, n, key_id, tenant, user)
}

/// After deactivating `n` rows of `key_id` of (`tenant`, `user`): tells the other replicas
/// (the key and its owner's key list), or answers `NotFound`.
fn revoked(conn: &Conn, n: usize, key_id: &str, tenant: &TenantId, user: &UserId) -> Result<(), StoreError> {
    if n != 1 {
        return Err(StoreError::NotFound(format!("API key {key_id}")));
    }
    replicas::notify(conn, &Invalidation::Key(key_id.to_owned()))?;
    replicas::notify(conn, &Invalidation::User(tenant.clone(), user.clone()))
}

/// Deactivates any key by id (local admin only). Returns the key's tenant and user.
pub fn deactivate_any(conn: &Conn, key_id: &str) -> Result<(TenantId, UserId), StoreError> {
    let owner = conn
        .query_row(
            "UPDATE api_keys SET is_active = FALSE WHERE id = ?1 RETURNING tenant_id, user_id",
            params![key_id],
            |r| Ok((TenantId::new(r.get::<String>(0)?), UserId::new(r.get::<String>(1)?))),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("API key {key_id}")))?;
    revoked(conn, 1, key_id, &owner.0, &owner.1)?;
    Ok(owner)
}

/// Whether a key is still active (checked on every MCP call so revocation bites mid-session).
pub fn is_active(conn: &Conn, tenant: &TenantId, key_id: &str) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT is_active FROM api_keys WHERE tenant_id = ?1 AND id = ?2")?;
    Ok(stmt.query_row(params![tenant.as_str(), key_id], |r| r.get(0)).optional()?.unwrap_or(false))
}

/// Stamps `last_used_at`.
pub fn touch(conn: &Conn, tenant: &TenantId, key_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE api_keys SET last_used_at = ?1 WHERE tenant_id = ?2 AND id = ?3")?.execute(params![
        now_rfc3339(),
        tenant.as_str(),
        key_id
    ])?;
    Ok(())
}

/// Active keys of one user in one tenant.
pub fn count_active_for_user(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM api_keys WHERE tenant_id = ?1 AND user_id = ?2 AND is_active = TRUE",
        params![tenant.as_str(), user.as_str()],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// (all keys, active keys).
pub fn counts(conn: &Conn) -> Result<(u64, u64), StoreError> {
    let (all, active): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN is_active THEN 1 ELSE 0 END), 0) FROM api_keys",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((all.max(0) as u64, active.max(0) as u64))
}
