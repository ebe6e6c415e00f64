use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;
use crate::provider::fake::FakeProvider;
use crate::store::{tenants, users};

/// The fake these tests use: athlete 42, read scopes, refreshes slow enough to overlap.
fn fake() -> FakeProvider {
    FakeProvider::default().athlete(42).scopes("read,activity:read_all").refresh_delay(Duration::from_millis(30))
}

/// A token set of [`fake`]'s athlete and scopes.
fn tokens(access: &str, refresh: &str, expires_at: i64) -> TokenSet {
    fake().tokens(access, refresh, expires_at)
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    provider: Arc<FakeProvider>,
    service: Arc<TokenService>,
    tenant: TenantId,
    user: UserId,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("pacer.db")).expect("open store");
    store.migrate().expect("migrate");
    let conn = store.conn().expect("conn");
    let tenant = tenants::get_or_create(&conn, "acme").expect("tenant").id;
    let user = users::create(&conn, &tenant, "ada@example.com", None).expect("user").info.id;
    let provider = Arc::new(fake());
    let vault = Arc::new(TokenVault::from_key([3; 32]));
    let service = Arc::new(TokenService::new(store.clone(), vault, provider.clone()));
    Fixture { _dir: dir, store, provider, service, tenant, user }
}

impl Fixture {
    async fn stored_refresh_token(&self) -> String {
        self.service.load(ProviderId::Strava, &self.tenant, &self.user).await.expect("load").refresh.expose().to_owned()
    }
}

#[tokio::test]
async fn store_connection_and_use() {
    let fx = fixture();
    let missing = fx.service.with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, |_| async { Ok(()) }).await;
    assert_eq!(missing, Err(ProviderError::NotConnected));
    assert_eq!(fx.service.connection(ProviderId::Strava, &fx.tenant, &fx.user).await.expect("conn"), None);

    let expires_at = now_s() + 3600;
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("acc-0", "ref-0", expires_at))
        .await
        .expect("store");
    let info = fx.service.connection(ProviderId::Strava, &fx.tenant, &fx.user).await.expect("conn").expect("connected");
    assert_eq!((info.athlete_id, info.expires_at), (Some(42), expires_at));
    assert_eq!(info.scopes, "read,activity:read_all");

    let row = fx.store.get_provider_token(&fx.tenant, &fx.user, ProviderId::Strava).await.expect("get").expect("row");
    assert!(!row.ciphertext.windows(5).any(|w| w == b"acc-0"), "sealed at rest");

    let seen = fx
        .service
        .with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, |t| async move { Ok(t.expose().to_owned()) })
        .await;
    assert_eq!(seen.as_deref(), Ok("acc-0"));
    assert_eq!(fx.provider.refreshes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn expiring_token_is_refreshed_and_rotation_persisted_first() {
    let fx = fixture();
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("old", "ref-0", now_s() + 120))
        .await
        .expect("store");
    let fx = Arc::new(fx);
    let inner = fx.clone();
    let used = fx
        .service
        .with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, move |t| {
            let fx = inner.clone();
            async move { Ok((t.expose().to_owned(), fx.stored_refresh_token().await)) }
        })
        .await
        .expect("call");
    assert_eq!(used, ("access-1".to_owned(), "refresh-1".to_owned()), "rotated token stored before use");
    let info = fx.service.connection(ProviderId::Strava, &fx.tenant, &fx.user).await.expect("conn").expect("connected");
    assert_eq!((info.athlete_id, info.scopes.as_str()), (Some(42), "read,activity:read_all"));
}

#[tokio::test]
async fn unauthorized_refreshes_once_and_retries_once() {
    let fx = fixture();
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("revoked", "ref-0", now_s() + 3600))
        .await
        .expect("store");
    let calls = AtomicUsize::new(0);
    let result =
        fx.service
            .with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, |t| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if t.expose() == "revoked" { Err(ProviderError::Unauthorized) } else { Ok(t.expose().to_owned()) }
                }
            })
            .await;
    assert_eq!(result.as_deref(), Ok("access-1"));
    assert_eq!((calls.load(Ordering::SeqCst), fx.provider.refreshes.load(Ordering::SeqCst)), (2, 1));

    let calls = AtomicUsize::new(0);
    let always = fx
        .service
        .with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(ProviderError::Unauthorized) }
        })
        .await;
    assert_eq!(always, Err(ProviderError::Unauthorized));
    assert_eq!((calls.load(Ordering::SeqCst), fx.provider.refreshes.load(Ordering::SeqCst)), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_refresh() {
    let fx = fixture();
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("expired", "ref-0", now_s() - 10))
        .await
        .expect("store");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (service, tenant, user) = (fx.service.clone(), fx.tenant.clone(), fx.user.clone());
            tokio::spawn(async move {
                service
                    .with_access_token(ProviderId::Strava, &tenant, &user, |t| async move { Ok(t.expose().to_owned()) })
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("join").as_deref(), Ok("access-1"));
    }
    assert_eq!(fx.provider.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failed_refresh_is_token_refresh_failed() {
    let fx = fixture();
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("expired", "ref-0", now_s() - 10))
        .await
        .expect("store");
    fx.provider.fail_refresh.store(true, Ordering::SeqCst);
    let err = fx
        .service
        .with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, |_| async { Ok(()) })
        .await
        .expect_err("fails");
    assert!(matches!(err, ProviderError::TokenRefreshFailed { .. }), "{err:?}");
    assert_eq!(err.to_string(), "Token refresh failed");
    assert_eq!(fx.stored_refresh_token().await, "ref-0", "stored tokens untouched");
}

#[tokio::test]
async fn row_moved_to_another_user_does_not_open() {
    let fx = fixture();
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("acc", "ref", now_s() + 3600))
        .await
        .expect("store");
    let conn = fx.store.conn().expect("conn");
    let mallory = users::create(&conn, &fx.tenant, "mallory@example.com", None).expect("user").info.id;
    let mut row =
        fx.store.get_provider_token(&fx.tenant, &fx.user, ProviderId::Strava).await.expect("get").expect("row");
    row.user_id = mallory.clone();
    fx.store.upsert_provider_token(row).await.expect("copy row");
    let stolen = fx.service.with_access_token(ProviderId::Strava, &fx.tenant, &mallory, |_| async { Ok(()) }).await;
    assert_eq!(stolen, Err(ProviderError::NotConnected));
}

#[tokio::test]
async fn disconnect_deauthorizes_and_deletes() {
    let fx = fixture();
    fx.service
        .store_tokens(ProviderId::Strava, &fx.tenant, &fx.user, &tokens("acc", "ref", now_s() + 3600))
        .await
        .expect("store");
    assert_eq!(fx.service.disconnect(ProviderId::Strava, &fx.tenant, &fx.user).await, Ok(true));
    assert_eq!(fx.provider.deauthorized.load(Ordering::SeqCst), 1);
    assert_eq!(fx.service.connection(ProviderId::Strava, &fx.tenant, &fx.user).await.expect("conn"), None);
    assert_eq!(fx.service.disconnect(ProviderId::Strava, &fx.tenant, &fx.user).await, Ok(false));
}

#[test]
fn service_futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let fx = fixture();
    assert_send(fx.service.with_access_token(ProviderId::Strava, &fx.tenant, &fx.user, |_| async { Ok(()) }));
    assert_send(fx.service.disconnect(ProviderId::Strava, &fx.tenant, &fx.user));
}

#[tokio::test]
async fn a_tenant_app_refreshes_and_deauthorizes_its_own_users_only() {
    let fx = fixture();
    let club_app = Arc::new(fake());
    fx.service.registry().install(fx.tenant.clone(), club_app.clone(), None);
    let conn = fx.store.conn().expect("conn");
    let other = tenants::get_or_create(&conn, "other").expect("tenant").id;
    let bob = users::create(&conn, &other, "bob@example.com", None).expect("user").info.id;
    for (tenant, user) in [(&fx.tenant, &fx.user), (&other, &bob)] {
        fx.service
            .store_tokens(ProviderId::Strava, tenant, user, &tokens("expired", "ref-0", now_s() - 10))
            .await
            .expect("store");
        fx.service.with_access_token(ProviderId::Strava, tenant, user, |_| async { Ok(()) }).await.expect("refreshed");
    }
    assert_eq!(club_app.refreshes.load(Ordering::SeqCst), 1, "the tenant's app refreshed its user");
    assert_eq!(fx.provider.refreshes.load(Ordering::SeqCst), 1, "the global app refreshed the other tenant's user");
    let global = fx.service.registry().global(ProviderId::Strava).expect("global client");
    assert!(Arc::ptr_eq(&global, &(fx.provider.clone() as Arc<dyn FitnessProvider>)));

    assert_eq!(fx.service.disconnect(ProviderId::Strava, &fx.tenant, &fx.user).await, Ok(true));
    assert_eq!((club_app.deauthorized.load(Ordering::SeqCst), fx.provider.deauthorized.load(Ordering::SeqCst)), (1, 0));
}
