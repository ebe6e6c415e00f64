//! Tenants: the isolation boundary. Every user, key, token and state row carries a tenant id.

use crate::store::{Conn, OptionalExtension, params};
use pacer_shared::TenantId;

use super::{StoreError, new_id, now_rfc3339};

/// Name of the tenant created on first run.
pub const DEFAULT_TENANT: &str = "default";

/// A tenant row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at: String,
}

/// Validates a tenant name: 1–64 chars of `[A-Za-z0-9_.-]`.
pub fn validate_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("invalid tenant name '{name}': use 1-64 letters, digits, '.', '_' or '-'")))
    }
}

/// Finds a tenant by name.
pub fn find_by_name(conn: &Conn, name: &str) -> Result<Option<Tenant>, StoreError> {
    Ok(conn
        .query_row("SELECT id, name, created_at FROM tenants WHERE name = ?1", params![name], |r| {
            Ok(Tenant { id: TenantId::new(r.get::<String>(0)?), name: r.get(1)?, created_at: r.get(2)? })
        })
        .optional()?)
}

/// Returns the tenant called `name`, creating it when missing. The `default` tenant's id is
/// `default` (so rows migrated from before tenants existed stay attached to it).
pub fn get_or_create(conn: &Conn, name: &str) -> Result<Tenant, StoreError> {
    validate_name(name)?;
    if let Some(t) = find_by_name(conn, name)? {
        return Ok(t);
    }
    let id = if name == DEFAULT_TENANT { DEFAULT_TENANT.to_string() } else { new_id() };
    let created_at = now_rfc3339();
    conn.execute(
        "INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
        params![id, name, created_at],
    )?;
    find_by_name(conn, name)?.ok_or_else(|| StoreError::NotFound(format!("tenant '{name}'")))
}

/// Number of tenants.
pub fn count(conn: &Conn) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM tenants", params![], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}
