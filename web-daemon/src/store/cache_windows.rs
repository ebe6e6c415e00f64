//! `api_cache_windows`: which time windows of a provider's activity list are already copied into
//! the local store, and until when. A list request inside a live window is answered from the
//! store with no provider call.

use crate::store::{Conn, params};
use pacer_shared::{ProviderId, TenantId, UserId};

use super::StoreError;

/// Records that the owner's activities in `(after, before)` were fetched at `now` and may be
/// served until `expires_at`.
pub fn add(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
    (after, before): (i64, i64),
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO api_cache_windows (tenant_id, user_id, provider, after_epoch_s, before_epoch_s, fetched_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![tenant.as_str(), user.as_str(), provider.as_str(), after, before, now, expires_at],
    )?;
    Ok(())
}

/// Whether one live window covers all of `(after, before)`.
pub fn covers(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
    (after, before): (i64, i64),
    now: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM api_cache_windows
               WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?3 AND expires_at > ?4
                 AND after_epoch_s <= ?5 AND before_epoch_s >= ?6)",
        )?
        .query_row(params![tenant.as_str(), user.as_str(), provider.as_str(), now, after, before], |r| r.get(0))?)
}

/// Forgets the owner's windows (after a disconnect, or when the cache is disabled).
pub fn clear(conn: &Conn, tenant: &TenantId, user: &UserId, provider: ProviderId) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM api_cache_windows WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?3",
        params![tenant.as_str(), user.as_str(), provider.as_str()],
    )?)
}

/// What the activity service must know before it answers a list from the store: whether the
/// owner is connected to the provider, and whether one live window covers what is asked. Asked
/// as two extra columns of the page query itself ([`crate::store::activities::list_probed`],
/// [`crate::store::activities::search_probed`]), so a cached page costs one round trip; alone
/// ([`Probe::ask`]) when the page is empty.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub provider: ProviderId,
    /// The window that must be covered; `None`: none is (the page is fetched each time).
    pub needed: Option<(i64, i64)>,
}

/// What a [`Probe`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    pub connected: bool,
    pub covered: bool,
}

impl Probe {
    /// The probe's two columns. The enclosing statement binds tenant, user and now as ?1, ?2
    /// and ?3; the probe's own three parameters ([`Probe::params`]) start at `?first`.
    pub(crate) fn columns(&self, first: usize) -> String {
        let (provider, after, before) = (first, first + 1, first + 2);
        format!(
            "EXISTS (SELECT 1 FROM provider_tokens
               WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?{provider}),
             EXISTS (SELECT 1 FROM api_cache_windows
               WHERE tenant_id = ?1 AND user_id = ?2 AND provider = ?{provider} AND expires_at > ?3
                 AND after_epoch_s <= CAST(?{after} AS BIGINT) AND before_epoch_s >= CAST(?{before} AS BIGINT))"
        )
    }

    /// The probe's parameters, in the order [`Probe::columns`] numbers them.
    pub(crate) fn params(&self) -> (&'static str, Option<i64>, Option<i64>) {
        (self.provider.as_str(), self.needed.map(|n| n.0), self.needed.map(|n| n.1))
    }

    /// Reads the probe's columns at `first` and `first + 1`.
    pub(crate) fn read(row: &crate::store::Row<'_>, first: usize) -> crate::store::sql::Result<Probed> {
        Ok(Probed { connected: row.get(first)?, covered: row.get(first + 1)? })
    }

    /// The probe on its own.
    pub fn ask(&self, conn: &Conn, tenant: &TenantId, user: &UserId, now: i64) -> Result<Probed, StoreError> {
        let sql = format!("SELECT {}", self.columns(4));
        let (provider, after, before) = self.params();
        Ok(conn
            .prepare_cached(&sql)?
            .query_row(params![tenant.as_str(), user.as_str(), now, provider, after, before], |r| Self::read(r, 0))?)
    }
}
