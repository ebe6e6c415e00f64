use super::*;

const SECRET: &str = "tenant-secret-abcdef";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    vault: Arc<TokenVault>,
    registry: ProviderRegistry,
    club: TenantId,
}

fn config() -> StravaClientConfig {
    let mut c = StravaClientConfig::new("global-id", Secret::new("global-secret".into()));
    c.api_base = "http://127.0.0.1:9/sandbox/strava/api/v3".into();
    c.oauth_base = "http://127.0.0.1:9/sandbox/strava".into();
    c
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("pacer.db")).expect("open");
    store.migrate().expect("migrate");
    let club = tenants::get_or_create(&store.conn().expect("conn"), "club").expect("tenant").id;
    let vault = Arc::new(TokenVault::from_key([4; 32]));
    let registry = ProviderRegistry::strava(store.clone(), vault.clone(), config()).expect("registry");
    Fixture { _dir: dir, store, vault, registry, club }
}

fn input(tenant: &str, client_id: &str, redirect_uri: Option<&str>) -> OAuthAppInput {
    OAuthAppInput {
        tenant: tenant.into(),
        provider: ProviderId::Strava,
        client_id: client_id.into(),
        client_secret: Secret::new(SECRET.into()),
        redirect_uri: redirect_uri.map(Into::into),
    }
}

fn client_id_in(url: &str) -> String {
    let url = url::Url::parse(url).expect("url");
    url.query_pairs().find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned()).expect("client_id")
}

#[tokio::test]
async fn set_serves_the_tenant_and_remove_falls_back() {
    let fx = fixture();
    let default = TenantId::new("default");
    assert!(Arc::ptr_eq(
        &fx.registry.for_tenant(ProviderId::Strava, &fx.club).expect("client"),
        &fx.registry.global(ProviderId::Strava).expect("global client")
    ));

    let info = fx.registry.set(input("club", "club-app", Some("https://club.example/cb"))).await.expect("set");
    assert_eq!((info.tenant.as_str(), info.client_id.as_str()), ("club", "club-app"));
    let club = fx.registry.for_tenant(ProviderId::Strava, &fx.club).expect("client");
    assert!(!Arc::ptr_eq(&club, &fx.registry.global(ProviderId::Strava).expect("global client")));
    assert_eq!(client_id_in(&club.authorize_url("s", "r", "read")), "club-app");
    assert!(club.authorize_url("s", "r", "read").starts_with("http://127.0.0.1:9/sandbox/strava/oauth/authorize?"));
    assert_eq!(fx.registry.redirect_uri(ProviderId::Strava, &fx.club).as_deref(), Some("https://club.example/cb"));
    assert_eq!(
        client_id_in(
            &fx.registry.for_tenant(ProviderId::Strava, &default).expect("client").authorize_url("s", "r", "read")
        ),
        "global-id"
    );
    assert_eq!(fx.registry.redirect_uri(ProviderId::Strava, &default), None);

    let listed = fx.registry.list().await.expect("list");
    assert_eq!(listed, vec![info]);

    fx.registry.remove("club", ProviderId::Strava).await.expect("remove");
    assert!(Arc::ptr_eq(
        &fx.registry.for_tenant(ProviderId::Strava, &fx.club).expect("client"),
        &fx.registry.global(ProviderId::Strava).expect("global client")
    ));
    assert_eq!(fx.registry.redirect_uri(ProviderId::Strava, &fx.club), None);
    let again = fx.registry.remove("club", ProviderId::Strava).await;
    assert!(matches!(again, Err(OAuthAppError::NotFound(_))), "{again:?}");
}

#[tokio::test]
async fn load_restores_apps_and_skips_unopenable_ones() {
    let fx = fixture();
    fx.registry.set(input("club", "club-app", None)).await.expect("set");

    let restarted = ProviderRegistry::strava(fx.store.clone(), fx.vault.clone(), config()).expect("registry");
    assert_eq!(restarted.load().await.expect("load"), 1);
    assert_eq!(
        client_id_in(
            &restarted.for_tenant(ProviderId::Strava, &fx.club).expect("client").authorize_url("s", "r", "read")
        ),
        "club-app"
    );

    let other_key = Arc::new(TokenVault::from_key([5; 32]));
    let wrong = ProviderRegistry::strava(fx.store.clone(), other_key, config()).expect("registry");
    assert_eq!(wrong.load().await.expect("load"), 0, "a secret that does not open is skipped");
    assert!(Arc::ptr_eq(
        &wrong.for_tenant(ProviderId::Strava, &fx.club).expect("client"),
        &wrong.global(ProviderId::Strava).expect("global client")
    ));
}

#[tokio::test]
async fn bad_input_is_refused_without_quoting_the_secret() {
    let fx = fixture();
    let cases = [
        (input("nope", "id", None), "not found"),
        (input("bad name!", "id", None), "tenant"),
        (input("club", "", None), "client_id"),
        (input("club", "has space", None), "client_id"),
        (input("club", "id", Some("not a url")), "redirect_uri"),
        (input("club", "id", Some("ftp://club.example/cb")), "redirect_uri"),
        (input("club", "id", Some("https://club.example/cb#frag")), "redirect_uri"),
        (OAuthAppInput { client_secret: Secret::new(String::new()), ..input("club", "id", None) }, "client_secret"),
        (
            OAuthAppInput { client_secret: Secret::new(format!("{SECRET}\n")), ..input("club", "id", None) },
            "client_secret",
        ),
    ];
    for (bad, expected) in cases {
        let err = fx.registry.set(bad.clone()).await.expect_err("refused");
        let message = err.to_string();
        assert!(message.contains(expected), "{bad:?}: {message}");
        assert!(!message.contains(SECRET), "{message}");
    }
    assert!(fx.registry.list().await.expect("list").is_empty());
    assert!(matches!(fx.registry.remove("nope", ProviderId::Strava).await, Err(OAuthAppError::NotFound(_))));
}

#[tokio::test]
async fn a_registry_without_template_refuses_tenant_apps() {
    let fx = fixture();
    let global = fx.registry.global(ProviderId::Strava).expect("global client").clone();
    let plain = ProviderRegistry::new(fx.store.clone(), fx.vault.clone(), global);
    let err = plain.set(input("club", "id", None)).await.expect_err("unsupported");
    assert!(matches!(err, OAuthAppError::Invalid { field: "provider", .. }), "{err}");
    assert_eq!(plain.load().await.expect("load"), 0);
}
