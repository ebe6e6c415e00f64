//! Browser flows waiting for a person, shared by every replica (migration 013): MCP authorization
//! requests awaiting sign-in and consent (`pending_authorizations`, used by
//! `authz::pending`) and connect links awaiting their pacer account's confirmation
//! (`pending_confirmations`, used by `oauth::confirm`).
//!
//! A row is keyed by the SHA-256 of its one-time token (the token itself is never stored) and is
//! live until `expires_at` (epoch seconds). Inserting ([`hold_authorization`],
//! [`hold_confirmation`]) is one immediate transaction that removes the expired rows, then, while
//! the table holds `max` rows or more, the oldest (earliest expiry), then inserts: the table never
//! exceeds its bound, whose one home is the flow's module (`MAX_PENDING`). Taking
//! ([`take_authorization`], [`take_confirmation`]) is one `DELETE … RETURNING`: of any number of
//! requests on any number of replicas racing for one token, exactly one gets the row, so a
//! decision is taken once. A confirmation's provider code is sealed by the caller; this module
//! only moves its bytes.

use pacer_shared::{ProviderId, TenantId, UserId};

use super::{Conn, OptionalExtension, Row, SqlError, StoreError, params};

/// An MCP authorization request as stored (validated by `GET /oauth/authorize`; no owner yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRow {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    /// The client's `state`, returned unchanged.
    pub state: Option<String>,
    pub code_challenge: String,
    /// Space-separated scopes.
    pub scopes: String,
    pub resource: String,
    /// Epoch seconds.
    pub expires_at: i64,
}

/// A connect link awaiting its pacer account's confirmation, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRow {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub provider: ProviderId,
    /// Nonce of the sealed provider authorization code.
    pub code_nonce: Vec<u8>,
    /// The sealed provider authorization code (ciphertext and tag).
    pub code_ciphertext: Vec<u8>,
    /// Scopes the provider reported on the callback.
    pub scope: Option<String>,
    /// Epoch seconds.
    pub expires_at: i64,
}

/// The two tables (a closed set: their names are spliced into SQL).
#[derive(Debug, Clone, Copy)]
enum Table {
    Authorizations,
    Confirmations,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Authorizations => "pending_authorizations",
            Table::Confirmations => "pending_confirmations",
        }
    }
}

/// Inside the caller's immediate transaction: drops expired rows, then the oldest until fewer
/// than `max` are left (room for one more).
fn make_room(conn: &Conn, table: Table, max: usize, now: i64) -> Result<(), StoreError> {
    let name = table.name();
    conn.execute(&format!("DELETE FROM {name} WHERE expires_at <= ?1"), params![now])?;
    let held: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {name}"), params![], |r| r.get(0))?;
    let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
    let excess = held - (max - 1);
    if excess > 0 {
        conn.execute(
            &format!(
                "DELETE FROM {name} WHERE token_hash IN (
                     SELECT token_hash FROM {name} ORDER BY expires_at, created_at, token_hash LIMIT ?1)"
            ),
            params![excess],
        )?;
    }
    Ok(())
}

/// Holds `row` under `token_hash`, keeping at most `max` requests (expired ones go first, then
/// the oldest).
pub fn hold_authorization(
    conn: &Conn,
    token_hash: &[u8; 32],
    row: &AuthorizationRow,
    max: usize,
    now: i64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_immediate()?;
    make_room(&tx, Table::Authorizations, max, now)?;
    tx.execute(
        "INSERT INTO pending_authorizations
             (token_hash, client_id, client_name, redirect_uri, state, code_challenge, scopes, resource, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            token_hash.as_slice(),
            row.client_id,
            row.client_name,
            row.redirect_uri,
            row.state,
            row.code_challenge,
            row.scopes,
            row.resource,
            now,
            row.expires_at
        ],
    )?;
    tx.commit()?;
    Ok(())
}

const AUTHORIZATION_COLUMNS: &str =
    "client_id, client_name, redirect_uri, state, code_challenge, scopes, resource, expires_at";

fn authorization(r: &Row<'_>) -> Result<AuthorizationRow, SqlError> {
    Ok(AuthorizationRow {
        client_id: r.get(0)?,
        client_name: r.get(1)?,
        redirect_uri: r.get(2)?,
        state: r.get(3)?,
        code_challenge: r.get(4)?,
        scopes: r.get(5)?,
        resource: r.get(6)?,
        expires_at: r.get(7)?,
    })
}

/// The live request under `token_hash`, left in place (sign-in keeps it for the consent step).
pub fn get_authorization(conn: &Conn, token_hash: &[u8; 32], now: i64) -> Result<Option<AuthorizationRow>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {AUTHORIZATION_COLUMNS} FROM pending_authorizations WHERE token_hash = ?1 AND expires_at > ?2"
            ),
            params![token_hash.as_slice(), now],
            authorization,
        )
        .optional()?)
}

/// Deletes the request under `token_hash` and returns it when it was live: one statement, so
/// only one of several racing callers gets it.
pub fn take_authorization(
    conn: &Conn,
    token_hash: &[u8; 32],
    now: i64,
) -> Result<Option<AuthorizationRow>, StoreError> {
    let row = conn
        .query_row(
            &format!("DELETE FROM pending_authorizations WHERE token_hash = ?1 RETURNING {AUTHORIZATION_COLUMNS}"),
            params![token_hash.as_slice()],
            authorization,
        )
        .optional()?;
    Ok(row.filter(|r| r.expires_at > now))
}

/// Holds `row` under `token_hash`, keeping at most `max` confirmations (expired ones go first,
/// then the oldest).
pub fn hold_confirmation(
    conn: &Conn,
    token_hash: &[u8; 32],
    row: &ConfirmationRow,
    max: usize,
    now: i64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_immediate()?;
    make_room(&tx, Table::Confirmations, max, now)?;
    tx.execute(
        "INSERT INTO pending_confirmations
             (token_hash, tenant_id, user_id, provider, code_nonce, code_ciphertext, scope, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            token_hash.as_slice(),
            row.tenant_id.as_str(),
            row.user_id.as_str(),
            row.provider.as_str(),
            row.code_nonce.as_slice(),
            row.code_ciphertext.as_slice(),
            row.scope,
            now,
            row.expires_at
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// Deletes the confirmation under `token_hash` and returns it when it was live: one statement,
/// so a token works once even when replicas race.
pub fn take_confirmation(conn: &Conn, token_hash: &[u8; 32], now: i64) -> Result<Option<ConfirmationRow>, StoreError> {
    let row = conn
        .query_row(
            "DELETE FROM pending_confirmations WHERE token_hash = ?1
             RETURNING tenant_id, user_id, provider, code_nonce, code_ciphertext, scope, expires_at",
            params![token_hash.as_slice()],
            |r| {
                Ok(ConfirmationRow {
                    tenant_id: TenantId::new(r.get::<String>(0)?),
                    user_id: UserId::new(r.get::<String>(1)?),
                    provider: super::provider_column(r, 2)?,
                    code_nonce: r.get(3)?,
                    code_ciphertext: r.get(4)?,
                    scope: r.get(5)?,
                    expires_at: r.get(6)?,
                })
            },
        )
        .optional()?;
    Ok(row.filter(|r| r.expires_at > now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    const MAX: usize = 4;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("pacer.db")).expect("open");
        store.migrate().expect("migrate");
        (dir, store)
    }

    fn hash(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }

    fn authorization_row(expires_at: i64) -> AuthorizationRow {
        AuthorizationRow {
            client_id: "c".into(),
            client_name: "C".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            state: Some("s".into()),
            code_challenge: "x".repeat(43),
            scopes: "activities:read".into(),
            resource: "http://x/mcp".into(),
            expires_at,
        }
    }

    #[test]
    fn an_authorization_is_read_until_taken_once_and_expires() {
        let (_dir, store) = store();
        let conn = store.conn().expect("conn");
        hold_authorization(&conn, &hash("a"), &authorization_row(100), MAX, 0).expect("hold");
        assert_eq!(get_authorization(&conn, &hash("a"), 0).expect("get"), Some(authorization_row(100)));
        assert_eq!(get_authorization(&conn, &hash("a"), 100).expect("get"), None, "expired");
        assert_eq!(take_authorization(&conn, &hash("a"), 0).expect("take"), Some(authorization_row(100)));
        assert_eq!(take_authorization(&conn, &hash("a"), 0).expect("take"), None, "taken once");
        hold_authorization(&conn, &hash("b"), &authorization_row(100), MAX, 0).expect("hold");
        assert_eq!(take_authorization(&conn, &hash("b"), 100).expect("take"), None, "expired");
        assert_eq!(get_authorization(&conn, &hash("b"), 0).expect("get"), None, "and gone");
    }

    #[test]
    fn the_bound_drops_expired_rows_then_the_oldest() {
        let (_dir, store) = store();
        let conn = store.conn().expect("conn");
        hold_authorization(&conn, &hash("old"), &authorization_row(10), MAX, 0).expect("hold");
        for i in 0..(MAX as i64 + 2) {
            hold_authorization(&conn, &hash(&format!("t{i}")), &authorization_row(1000 + i), MAX, 20).expect("hold");
        }
        let held: i64 =
            conn.query_row("SELECT COUNT(*) FROM pending_authorizations", params![], |r| r.get(0)).expect("count");
        assert_eq!(held, MAX as i64);
        assert_eq!(get_authorization(&conn, &hash("t0"), 20).expect("get"), None, "the oldest made room");
        assert_eq!(get_authorization(&conn, &hash("t1"), 20).expect("get"), None);
        assert!(get_authorization(&conn, &hash(&format!("t{}", MAX + 1)), 20).expect("get").is_some());
    }
}
