//! Users. Emails are unique across the whole daemon so login needs no tenant hint; everything
//! else about a user is read together with its tenant.

use crate::store::{Conn, OptionalExtension, Row, params};
use pacer_shared::{TenantId, Tier, UserId, UserInfo};

use super::{StoreError, new_id, now_rfc3339};

/// A user with the secret-bearing columns needed for login.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub info: UserInfo,
    /// Argon2 PHC string; `None` for passwordless users.
    pub password_hash: Option<String>,
}

const SELECT: &str = "SELECT u.id, u.email, u.tenant_id, t.name, u.created_at, u.password_hash
    FROM users u JOIN tenants t ON t.id = u.tenant_id";

fn from_row(r: &Row<'_>) -> crate::store::sql::Result<UserRecord> {
    Ok(UserRecord {
        info: UserInfo {
            id: UserId::new(r.get::<String>(0)?),
            email: r.get(1)?,
            tenant_id: TenantId::new(r.get::<String>(2)?),
            tenant: r.get(3)?,
            created_at: r.get(4)?,
        },
        password_hash: r.get(5)?,
    })
}

/// Normalizes and checks an email address (trimmed, lowercased, one `@`, no spaces).
pub fn normalize_email(email: &str) -> Result<String, StoreError> {
    let e = email.trim().to_ascii_lowercase();
    let valid = e.len() <= 254
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if valid { Ok(e) } else { Err(StoreError::Invalid(format!("invalid email address '{}'", email.trim()))) }
}

/// Creates a user in `tenant`. A taken email is a [`StoreError::Conflict`].
pub fn create(
    conn: &Conn,
    tenant: &TenantId,
    email: &str,
    password_hash: Option<&str>,
) -> Result<UserRecord, StoreError> {
    let email = normalize_email(email)?;
    if find_by_email(conn, &email)?.is_some() {
        return Err(StoreError::Conflict(format!("user {email} already exists")));
    }
    let id = new_id();
    conn.execute(
        "INSERT INTO users (id, email, password_hash, created_at, tenant_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, email, password_hash, now_rfc3339(), tenant.as_str()],
    )?;
    get(conn, tenant, &UserId::new(id))?.ok_or_else(|| StoreError::NotFound("user".into()))
}

/// Looks a user up by email (login, CLI). The returned record names its tenant.
pub fn find_by_email(conn: &Conn, email: &str) -> Result<Option<UserRecord>, StoreError> {
    let email = email.trim().to_ascii_lowercase();
    Ok(conn.query_row(&format!("{SELECT} WHERE u.email = ?1"), params![email], from_row).optional()?)
}

/// A user of `tenant` by id.
pub fn get(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<Option<UserRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE u.tenant_id = ?1 AND u.id = ?2"),
            params![tenant.as_str(), user.as_str()],
            from_row,
        )
        .optional()?)
}

/// Sets (or replaces) a user's password hash.
pub fn set_password(conn: &Conn, tenant: &TenantId, user: &UserId, hash: &str) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE users SET password_hash = ?1 WHERE tenant_id = ?2 AND id = ?3",
        params![hash, tenant.as_str(), user.as_str()],
    )?;
    if n == 1 { Ok(()) } else { Err(StoreError::NotFound("user".into())) }
}

/// Every user (admin view), ordered by tenant then email.
pub fn list_all(conn: &Conn) -> Result<Vec<UserInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY t.name, u.email"))?;
    let rows = stmt.query_map(params![], from_row)?;
    Ok(rows.map(|r| r.map(|u| u.info)).collect::<Result<_, _>>()?)
}

/// Number of users.
pub fn count(conn: &Conn) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM users", params![], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// A user's key-tier allowance (`users.max_tier`); `None` when the user does not exist.
pub fn max_tier(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<Option<Tier>, StoreError> {
    let tier: Option<String> = conn
        .prepare_cached("SELECT max_tier FROM users WHERE tenant_id = ?1 AND id = ?2")?
        .query_row(params![tenant.as_str(), user.as_str()], |r| r.get(0))
        .optional()?;
    // The column's CHECK admits only tier names; anything else reads as the lowest tier.
    Ok(tier.map(|t| t.parse().unwrap_or_default()))
}

/// Sets a user's key-tier allowance by email (admin channel only).
pub fn set_max_tier(conn: &Conn, email: &str, tier: Tier) -> Result<(), StoreError> {
    let email = email.trim().to_ascii_lowercase();
    let owner = conn
        .query_row(
            "UPDATE users SET max_tier = ?1 WHERE email = ?2 RETURNING tenant_id, id",
            params![tier.as_str(), email],
            |r| Ok((TenantId::new(r.get::<String>(0)?), UserId::new(r.get::<String>(1)?))),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("user {email}")))?;
    super::replicas::notify(conn, &super::replicas::Invalidation::User(owner.0, owner.1))
}
