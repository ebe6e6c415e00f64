//! Per-tenant OAuth applications (`tenant_oauth_apps`): a tenant may bring its own provider
//! application (client id, client secret, redirect URI) instead of the global `strava.*` one.
//!
//! The client secret is sealed by the [`TokenVault`] with the AAD `tenant_id|oauth_app|provider`
//! ([`TokenAad::oauth_app`]), so a row copied to another tenant or provider fails to open. This
//! module is the only place that seals or opens those secrets; `provider::registry` builds the
//! clients from the opened rows.

use crate::store::{Conn, OptionalExtension, Row, params};
use pacer_shared::{ProviderId, Secret, TenantId};

use super::StoreError;
use crate::vault::{Sealed, TokenAad, TokenVault, VaultError};

/// One `tenant_oauth_apps` row; the client secret stays sealed until [`OAuthAppRow::open_secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthAppRow {
    pub tenant_id: TenantId,
    /// Provider name, e.g. `strava`.
    pub provider: String,
    pub client_id: String,
    /// The sealed client secret.
    pub secret: Sealed,
    /// Callback URL registered with this app; `None` uses the global one.
    pub redirect_uri: Option<String>,
    /// When this app was set (RFC 3339).
    pub created_at: String,
}

impl std::fmt::Debug for OAuthAppRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAppRow")
            .field("tenant_id", &self.tenant_id)
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl OAuthAppRow {
    /// A row for `tenant_id`'s `provider` app with `client_secret` sealed under its AAD.
    pub fn seal(
        vault: &TokenVault,
        tenant_id: TenantId,
        provider: ProviderId,
        client_id: &str,
        client_secret: &Secret,
        redirect_uri: Option<String>,
    ) -> Result<Self, VaultError> {
        let secret =
            vault.seal(&TokenAad::oauth_app(tenant_id.clone(), provider), client_secret.expose().as_bytes())?;
        Ok(Self {
            tenant_id,
            provider: provider.as_str().to_owned(),
            client_id: client_id.to_owned(),
            secret,
            redirect_uri,
            created_at: super::now_rfc3339(),
        })
    }

    /// The client secret; fails unless sealed by this vault for this row's tenant and provider.
    pub fn open_secret(&self, vault: &TokenVault) -> Result<Secret, VaultError> {
        let provider = self.provider.parse::<ProviderId>().map_err(|_| VaultError::Decrypt)?;
        let plain = vault.open(&TokenAad::oauth_app(self.tenant_id.clone(), provider), &self.secret)?;
        String::from_utf8(plain).map(Secret::new).map_err(|_| VaultError::Decrypt)
    }
}

/// A row with its tenant's name (admin listings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedOAuthApp {
    pub tenant_name: String,
    pub app: OAuthAppRow,
}

const COLUMNS: &str = "tenant_id, provider, client_id, secret_nonce, secret_cipher, redirect_uri, created_at";

fn from_row(r: &Row<'_>) -> crate::store::sql::Result<OAuthAppRow> {
    Ok(OAuthAppRow {
        tenant_id: TenantId::new(r.get::<String>(0)?),
        provider: r.get(1)?,
        client_id: r.get(2)?,
        secret: Sealed { nonce: r.get(3)?, ciphertext: r.get(4)? },
        redirect_uri: r.get(5)?,
        created_at: r.get(6)?,
    })
}

/// Inserts or replaces the app of (tenant, provider).
pub fn upsert(conn: &Conn, row: &OAuthAppRow) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO tenant_oauth_apps ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant_id, provider) DO UPDATE SET
               client_id = excluded.client_id, secret_nonce = excluded.secret_nonce,
               secret_cipher = excluded.secret_cipher, redirect_uri = excluded.redirect_uri,
               created_at = excluded.created_at"
        ),
        params![
            row.tenant_id.as_str(),
            row.provider,
            row.client_id,
            row.secret.nonce,
            row.secret.ciphertext,
            row.redirect_uri,
            row.created_at
        ],
    )?;
    Ok(())
}

/// The app of (tenant, provider), if one is set.
pub fn get(conn: &Conn, tenant: &TenantId, provider: &str) -> Result<Option<OAuthAppRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tenant_oauth_apps WHERE tenant_id = ?1 AND provider = ?2"))?
        .query_row(params![tenant.as_str(), provider], from_row)
        .optional()?)
}

/// Deletes the app of (tenant, provider); true when one existed.
pub fn delete(conn: &Conn, tenant: &TenantId, provider: &str) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM tenant_oauth_apps WHERE tenant_id = ?1 AND provider = ?2",
        params![tenant.as_str(), provider],
    )? == 1)
}

/// Every tenant's apps with the tenant names, ordered by tenant name then provider. Cross-tenant:
/// for the admin channel and the daemon's start-up only.
pub fn list_all(conn: &Conn) -> Result<Vec<NamedOAuthApp>, StoreError> {
    let columns = COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {columns}, t.name FROM tenant_oauth_apps a JOIN tenants t ON t.id = a.tenant_id
         ORDER BY t.name, a.provider"
    ))?;
    let rows = stmt.query_map(params![], |r| Ok(NamedOAuthApp { app: from_row(r)?, tenant_name: r.get(7)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, tenants};

    const SECRET: &str = "club-client-secret-0123456789";

    fn setup() -> (tempfile::TempDir, Store, TokenVault) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("pacer.db")).expect("open");
        store.migrate().expect("migrate");
        (dir, store, TokenVault::from_key([5; 32]))
    }

    fn app(vault: &TokenVault, tenant: &TenantId, client_id: &str, redirect: Option<&str>) -> OAuthAppRow {
        OAuthAppRow::seal(
            vault,
            tenant.clone(),
            ProviderId::Strava,
            client_id,
            &Secret::new(SECRET.into()),
            redirect.map(Into::into),
        )
        .expect("seal")
    }

    #[test]
    fn upsert_get_replace_delete() {
        let (_dir, store, vault) = setup();
        let conn = store.conn().expect("conn");
        let club = tenants::get_or_create(&conn, "club").expect("tenant").id;
        assert_eq!(get(&conn, &club, "strava").expect("get"), None);

        upsert(&conn, &app(&vault, &club, "111", Some("https://club.example/cb"))).expect("insert");
        let row = get(&conn, &club, "strava").expect("get").expect("row");
        assert_eq!((row.client_id.as_str(), row.redirect_uri.as_deref()), ("111", Some("https://club.example/cb")));
        assert_eq!(row.open_secret(&vault).expect("open").expose(), SECRET);
        assert!(!format!("{row:?}").contains(SECRET));

        upsert(&conn, &app(&vault, &club, "222", None)).expect("replace");
        let row = get(&conn, &club, "strava").expect("get").expect("row");
        assert_eq!((row.client_id.as_str(), row.redirect_uri), ("222", None));
        assert_eq!(get(&conn, &club, "garmin").expect("get"), None, "filtered by provider");

        let listed = list_all(&conn).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].tenant_name.as_str(), listed[0].app.client_id.as_str()), ("club", "222"));

        assert!(delete(&conn, &club, "strava").expect("delete"));
        assert!(!delete(&conn, &club, "strava").expect("delete again"));
        assert!(list_all(&conn).expect("list").is_empty());
    }

    #[test]
    fn secret_is_sealed_and_bound_to_its_tenant() {
        let (dir, store, vault) = setup();
        let conn = store.conn().expect("conn");
        let club = tenants::get_or_create(&conn, "club").expect("tenant").id;
        let other = tenants::get_or_create(&conn, "other").expect("tenant").id;
        upsert(&conn, &app(&vault, &club, "111", None)).expect("insert");

        let row = get(&conn, &club, "strava").expect("get").expect("row");
        assert!(!row.secret.ciphertext.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
        conn.execute_batch("PRAGMA wal_checkpoint(FULL)").expect("checkpoint");
        let raw = std::fs::read(dir.path().join("pacer.db")).expect("db bytes");
        assert!(raw.windows(3).any(|w| w == b"111"), "the row reached the file");
        assert!(!raw.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "secret in plaintext at rest");

        // The same bytes copied to another tenant do not open there.
        conn.execute(
            "INSERT INTO tenant_oauth_apps (tenant_id, provider, client_id, secret_nonce, secret_cipher, redirect_uri, created_at)
             SELECT ?1, provider, client_id, secret_nonce, secret_cipher, redirect_uri, created_at
             FROM tenant_oauth_apps WHERE tenant_id = ?2",
            params![other.as_str(), club.as_str()],
        )
        .expect("copy row");
        let copied = get(&conn, &other, "strava").expect("get").expect("copied row");
        assert_eq!(copied.secret, row.secret);
        assert!(matches!(copied.open_secret(&vault), Err(VaultError::Decrypt)));
        assert!(matches!(row.open_secret(&TokenVault::from_key([6; 32])), Err(VaultError::Decrypt)), "other key");
        assert_eq!(row.open_secret(&vault).expect("original still opens").expose(), SECRET);
    }
}
