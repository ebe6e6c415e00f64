//! MCP authorization rows (migration 011): OAuth clients, authorization codes, grants (one
//! person's consent for one client; a refresh-token family), tokens and their usage.
//!
//! Codes and tokens are stored as (lookup prefix, SHA-256 of the whole value); the value itself
//! never reaches the database. Clients are not tenant data (anyone may register one); grants,
//! codes and tokens carry their tenant and every query on them filters by it or by a hash the
//! caller presented.

use crate::store::{Conn, OptionalExtension, Row, params};
use pacer_shared::{TenantId, UserId};

use super::{StoreError, new_id, now_rfc3339};

/// How a client was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Dynamic Client Registration (RFC 7591).
    Registered,
    /// A Client ID Metadata Document fetched from the client id URL.
    MetadataDocument,
}

impl ClientKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::MetadataDocument => "metadata_document",
        }
    }
}

/// A client as stored.
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: String,
    pub kind: ClientKind,
    pub client_name: String,
    pub client_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub auth_method: String,
    pub secret_hash: Option<Vec<u8>>,
    /// When a metadata document was fetched (UNIX seconds).
    pub fetched_at: Option<i64>,
}

fn client_from_row(r: &Row<'_>) -> crate::store::sql::Result<ClientRow> {
    let kind: String = r.get(1)?;
    let uris: String = r.get(4)?;
    Ok(ClientRow {
        id: r.get(0)?,
        kind: if kind == "metadata_document" { ClientKind::MetadataDocument } else { ClientKind::Registered },
        client_name: r.get(2)?,
        client_uri: r.get(3)?,
        redirect_uris: serde_json::from_str(&uris).unwrap_or_default(),
        auth_method: r.get(5)?,
        secret_hash: r.get(6)?,
        fetched_at: r.get(7)?,
    })
}

/// Inserts a client, or replaces a cached metadata document's row with a fresh fetch.
pub fn upsert_client(conn: &Conn, c: &ClientRow) -> Result<(), StoreError> {
    let uris = serde_json::to_string(&c.redirect_uris).map_err(|e| StoreError::Invalid(e.to_string()))?;
    conn.execute(
        "INSERT INTO oauth_clients (id, kind, client_name, client_uri, redirect_uris, token_endpoint_auth_method,
                                    secret_hash, created_at, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET client_name = excluded.client_name, client_uri = excluded.client_uri,
             redirect_uris = excluded.redirect_uris, fetched_at = excluded.fetched_at
         WHERE oauth_clients.kind = 'metadata_document'",
        params![
            c.id,
            c.kind.as_str(),
            c.client_name,
            c.client_uri,
            uris,
            c.auth_method,
            c.secret_hash,
            now_rfc3339(),
            c.fetched_at
        ],
    )?;
    Ok(())
}

/// One client by id.
pub fn client(conn: &Conn, id: &str) -> Result<Option<ClientRow>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, kind, client_name, client_uri, redirect_uris, token_endpoint_auth_method, secret_hash, fetched_at
             FROM oauth_clients WHERE id = ?1", params![id],
            client_from_row,
        )
        .optional()?)
}

/// What a code or token is bound to.
#[derive(Debug, Clone)]
pub struct Binding {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub client_id: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// The RFC 8707 resource (audience).
    pub resource: String,
}

/// A new authorization code.
#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    pub prefix: &'a str,
    pub hash: &'a [u8; 32],
    pub binding: &'a Binding,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub expires_at: i64,
}

/// Stores a code.
pub fn insert_code(conn: &Conn, c: &NewCode<'_>) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO oauth_codes (code_prefix, code_hash, tenant_id, user_id, client_id, redirect_uri, code_challenge,
                                  scopes, resource, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            c.prefix,
            c.hash.as_slice(),
            c.binding.tenant_id.as_str(),
            c.binding.user_id.as_str(),
            c.binding.client_id,
            c.redirect_uri,
            c.code_challenge,
            c.binding.scopes,
            c.binding.resource,
            c.expires_at
        ],
    )?;
    Ok(())
}

/// A stored code, as the token endpoint needs it.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub prefix: String,
    pub hash: Vec<u8>,
    pub binding: Binding,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub expires_at: i64,
    pub used: bool,
    pub grant_id: Option<String>,
}

fn binding_at(r: &Row<'_>, i: usize) -> crate::store::sql::Result<Binding> {
    Ok(Binding {
        tenant_id: TenantId::new(r.get::<String>(i)?),
        user_id: UserId::new(r.get::<String>(i + 1)?),
        client_id: r.get(i + 2)?,
        scopes: r.get(i + 3)?,
        resource: r.get(i + 4)?,
    })
}

/// The code with this lookup prefix.
pub fn code(conn: &Conn, prefix: &str) -> Result<Option<CodeRow>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT code_prefix, code_hash, tenant_id, user_id, client_id, scopes, resource, redirect_uri, code_challenge,
                    expires_at, used, grant_id
             FROM oauth_codes WHERE code_prefix = ?1", params![prefix],
            |r| {
                Ok(CodeRow {
                    prefix: r.get(0)?,
                    hash: r.get(1)?,
                    binding: binding_at(r, 2)?,
                    redirect_uri: r.get(7)?,
                    code_challenge: r.get(8)?,
                    expires_at: r.get(9)?,
                    used: r.get(10)?,
                    grant_id: r.get(11)?,
                })
            },
        )
        .optional()?)
}

/// Marks a code presented (it works once, whatever the outcome) and, on success, links its grant.
pub fn spend_code(conn: &Conn, prefix: &str, grant_id: Option<&str>) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE oauth_codes SET used = TRUE, grant_id = COALESCE(?2, grant_id) WHERE code_prefix = ?1",
        params![prefix, grant_id],
    )?;
    Ok(())
}

/// Creates a grant and returns its id.
pub fn insert_grant(conn: &Conn, b: &Binding) -> Result<String, StoreError> {
    let id = new_id();
    conn.execute(
        "INSERT INTO oauth_grants (id, tenant_id, user_id, client_id, scopes, resource, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, b.tenant_id.as_str(), b.user_id.as_str(), b.client_id, b.scopes, b.resource, now_rfc3339()],
    )?;
    Ok(id)
}

/// Revokes a grant: marks it and deletes every token of its family. Returns whether it was active.
pub fn revoke_grant(conn: &Conn, tenant: &TenantId, grant_id: &str) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE oauth_grants SET revoked_at = ?1 WHERE tenant_id = ?2 AND id = ?3 AND revoked_at IS NULL",
        params![now_rfc3339(), tenant.as_str(), grant_id],
    )?;
    conn.execute(
        "DELETE FROM oauth_tokens WHERE tenant_id = ?1 AND grant_id = ?2",
        params![tenant.as_str(), grant_id],
    )?;
    Ok(n == 1)
}

/// Revokes one of `user`'s grants (the web page); `false` when it is not theirs or not active.
pub fn revoke_user_grant(conn: &Conn, tenant: &TenantId, user: &UserId, id: &str) -> Result<bool, StoreError> {
    let owned: Option<String> = conn
        .query_row(
            "SELECT id FROM oauth_grants WHERE tenant_id = ?1 AND user_id = ?2 AND id = ?3 AND revoked_at IS NULL",
            params![tenant.as_str(), user.as_str(), id],
            |r| r.get(0),
        )
        .optional()?;
    match owned {
        Some(id) => revoke_grant(conn, tenant, &id),
        None => Ok(false),
    }
}

/// Whether a grant exists and is not revoked.
pub fn grant_active(conn: &Conn, tenant: &TenantId, grant_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM oauth_grants WHERE tenant_id = ?1 AND id = ?2 AND revoked_at IS NULL",
            params![tenant.as_str(), grant_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A connected application as the web page lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GrantInfo {
    /// The grant's id (for revoking).
    pub id: String,
    /// The client's id: a URL (metadata document) or the id pacer issued at registration.
    pub client_id: String,
    /// The client's name as it registered it (not verified by pacer).
    pub client_name: String,
    /// Granted scopes, e.g. `["activities:read"]`.
    pub scopes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; absent until the first tool call.
    pub last_used_at: Option<String>,
}

/// `user`'s active grants, newest first.
pub fn list_grants(conn: &Conn, tenant: &TenantId, user: &UserId) -> Result<Vec<GrantInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.client_id, c.client_name, g.scopes, g.created_at, g.last_used_at
         FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id
         WHERE g.tenant_id = ?1 AND g.user_id = ?2 AND g.revoked_at IS NULL
         ORDER BY g.created_at DESC, g.id",
    )?;
    let rows = stmt.query_map(params![tenant.as_str(), user.as_str()], |r| {
        let scopes: String = r.get(3)?;
        Ok(GrantInfo {
            id: r.get(0)?,
            client_id: r.get(1)?,
            client_name: r.get(2)?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            created_at: r.get(4)?,
            last_used_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// Stores a token of `grant_id`.
pub fn insert_token(
    conn: &Conn,
    prefix: &str,
    hash: &[u8; 32],
    kind: TokenKind,
    tenant: &TenantId,
    grant_id: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO oauth_tokens (token_prefix, token_hash, kind, grant_id, tenant_id, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![prefix, hash.as_slice(), kind.as_str(), grant_id, tenant.as_str(), expires_at],
    )?;
    Ok(())
}

/// A stored token with its grant.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub prefix: String,
    pub hash: Vec<u8>,
    pub kind: TokenKind,
    pub grant_id: String,
    pub binding: Binding,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub grant_revoked: bool,
}

/// The token with this lookup prefix, joined with its grant.
pub fn token(conn: &Conn, prefix: &str) -> Result<Option<TokenRow>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT t.token_prefix, t.token_hash, t.kind, t.grant_id, g.tenant_id, g.user_id, g.client_id, g.scopes,
                    g.resource, t.expires_at, t.used_at, g.revoked_at IS NOT NULL
             FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id AND g.tenant_id = t.tenant_id
             WHERE t.token_prefix = ?1",
            params![prefix],
            |r| {
                let kind: String = r.get(2)?;
                Ok(TokenRow {
                    prefix: r.get(0)?,
                    hash: r.get(1)?,
                    kind: if kind == "refresh" { TokenKind::Refresh } else { TokenKind::Access },
                    grant_id: r.get(3)?,
                    binding: binding_at(r, 4)?,
                    expires_at: r.get(9)?,
                    used_at: r.get(10)?,
                    grant_revoked: r.get(11)?,
                })
            },
        )
        .optional()?)
}

/// Marks a refresh token rotated; `false` when it already was (a concurrent or replayed use).
pub fn mark_refresh_used(conn: &Conn, tenant: &TenantId, prefix: &str, now: i64) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE oauth_tokens SET used_at = ?1 WHERE tenant_id = ?2 AND token_prefix = ?3 AND used_at IS NULL",
        params![now, tenant.as_str(), prefix],
    )?;
    Ok(n == 1)
}

/// Deletes one token (revocation of an access token).
pub fn delete_token(conn: &Conn, tenant: &TenantId, prefix: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM oauth_tokens WHERE tenant_id = ?1 AND token_prefix = ?2",
        params![tenant.as_str(), prefix],
    )?;
    Ok(())
}

/// Drops expired codes and tokens (rotated refresh tokens stay until they expire, so a replay is
/// still recognised).
pub fn purge_expired(conn: &Conn, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM oauth_codes WHERE expires_at < ?1 - 86400 OR (expires_at < ?1 AND grant_id IS NULL)",
        params![now],
    )?;
    conn.execute("DELETE FROM oauth_tokens WHERE expires_at < ?1", params![now])?;
    Ok(())
}
