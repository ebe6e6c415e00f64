//! What replicas sharing one PostgreSQL database tell each other: cache invalidations
//! (`LISTEN`/`NOTIFY`) and cross-replica locks (advisory locks). On SQLite there is one daemon per
//! database, so both are no-ops there.
//!
//! - [`notify`] queues a notification on the writer's connection; PostgreSQL delivers it to every
//!   listening replica when the writing statement (or its transaction) commits, so a replica
//!   never hears of a change it could not yet read.
//! - [`spawn_listener`] keeps one `LISTEN` connection per replica and applies each notification
//!   to the local caches; after (re)connecting it forgets every cached key, because
//!   notifications sent while it was away are lost.
//! - [`ReplicaLock`] is a transaction-scoped advisory lock held across an `await` (a provider
//!   token refresh): whoever holds it is the only replica doing that work.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pacer_shared::{TenantId, UserId};
use sha2::{Digest, Sha256};

use super::{Conn, Engine, PgTarget, PgTls, Store, StoreError, params};
use crate::auth::key_cache::KeyCache;

/// The notification channel.
pub const CHANNEL: &str = "pacer_invalidate";

/// How long a replica waits for another replica's lock before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(20);

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// An API key was deactivated.
    Key(String),
    /// What a user's key list shows changed (a key created or revoked, the tier allowance).
    User(TenantId, UserId),
}

impl Invalidation {
    fn payload(&self) -> String {
        match self {
            Invalidation::Key(id) => format!("key:{id}"),
            Invalidation::User(tenant, user) => format!("user:{tenant}/{user}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let (kind, rest) = payload.split_once(':')?;
        match kind {
            "key" => Some(Invalidation::Key(rest.to_owned())),
            "user" => {
                let (tenant, user) = rest.split_once('/')?;
                Some(Invalidation::User(TenantId::new(tenant), UserId::new(user)))
            }
            _ => None,
        }
    }

    fn apply(&self, keys: &KeyCache) {
        match self {
            Invalidation::Key(id) => keys.forget(id),
            Invalidation::User(tenant, user) => keys.forget_user(tenant, user),
        }
    }
}

/// Tells every replica about `what` (PostgreSQL only; delivered at commit).
pub fn notify(conn: &Conn, what: &Invalidation) -> Result<(), StoreError> {
    if conn.engine() == Engine::Postgres {
        conn.query_row("SELECT pg_notify(?1, ?2)", params![CHANNEL, what.payload()], |_| Ok(()))?;
    }
    Ok(())
}

/// Runs the replica's listener until the runtime stops (PostgreSQL stores only).
pub(super) fn spawn_listener(target: PgTarget, keys: Arc<KeyCache>) {
    tokio::spawn(async move {
        loop {
            let listened = match &target.tls {
                PgTls::Plain => listen(&target.config, tokio_postgres::NoTls, &keys).await,
                PgTls::Verified(tls) => listen(&target.config, tls.clone(), &keys).await,
            };
            if let Err(e) = listened {
                tracing::warn!(error = %e, "invalidation listener lost its connection; reconnecting");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen<T>(config: &tokio_postgres::Config, tls: T, keys: &KeyCache) -> Result<(), tokio_postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, mut connection) = config.connect(tls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let statement = format!("LISTEN {CHANNEL}");
    let listening = client.batch_execute(&statement);
    tokio::pin!(listening);
    // The connection must be polled for LISTEN to complete.
    loop {
        tokio::select! {
            done = &mut listening => { done?; break; }
            message = messages.next() => match message {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
        }
    }
    keys.forget_all();
    tracing::debug!("listening for invalidations");
    while let Some(message) = messages.next().await {
        if let tokio_postgres::AsyncMessage::Notification(n) = message?
            && let Some(what) = Invalidation::parse(n.payload())
        {
            what.apply(keys);
        }
    }
    Ok(())
}

/// A lock every replica of one PostgreSQL database agrees on (see the module docs); free on
/// SQLite. Release with [`ReplicaLock::release`]; dropping it releases it too.
pub struct ReplicaLock {
    conn: Option<Conn>,
}

impl ReplicaLock {
    /// Waits (at most [`LOCK_WAIT`]) for the lock named `name`.
    pub async fn acquire(store: &Store, name: &str) -> Result<Self, StoreError> {
        if store.engine() == Engine::Sqlite {
            return Ok(Self { conn: None });
        }
        let key = lock_key(name);
        let store = store.clone();
        let conn = tokio::task::spawn_blocking(move || -> Result<Conn, StoreError> {
            let conn = store.conn()?;
            conn.execute_batch(&format!("BEGIN; SET LOCAL lock_timeout = '{}s'", LOCK_WAIT.as_secs()))?;
            conn.query_row("SELECT pg_advisory_xact_lock(?1)", params![key], |_| Ok(()))?;
            Ok(conn)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))??;
        Ok(Self { conn: Some(conn) })
    }

    /// Ends the lock's transaction.
    pub async fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = tokio::task::spawn_blocking(move || end(&conn)).await;
        }
    }
}

fn end(conn: &Conn) {
    if let Err(e) = conn.execute_batch("COMMIT") {
        tracing::warn!(error = %e, "releasing a replica lock failed");
    }
}

impl Drop for ReplicaLock {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => drop(handle.spawn_blocking(move || end(&conn))),
                Err(_) => end(&conn),
            }
        }
    }
}

/// The advisory-lock number of `name` (the first 8 bytes of its SHA-256).
fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_unknown_ones_are_ignored() {
        let key = Invalidation::Key("k-1".into());
        assert_eq!(Invalidation::parse(&key.payload()), Some(key));
        let user = Invalidation::User(TenantId::new("t-1"), UserId::new("u-1"));
        assert_eq!(Invalidation::parse(&user.payload()), Some(user));
        assert_eq!(Invalidation::parse("cake:1"), None);
        assert_eq!(Invalidation::parse("no colon"), None);
    }

    #[test]
    fn lock_keys_differ_by_name() {
        assert_ne!(lock_key("a"), lock_key("b"));
        assert_eq!(lock_key("a"), lock_key("a"));
    }
}
