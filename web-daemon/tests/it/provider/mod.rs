//! Issue 3: the provider layer end to end. A real `pacerd` serves the Strava sandbox over real
//! HTTP; the test drives an in-process `StravaClient` (pointed at `{http_url}/sandbox/strava`)
//! and an in-process `TokenService` over its own temp `Store`, with tokens obtained through the
//! sandbox's OAuth consent page. Fault switches (`/_sandbox/faults`) drive every branch and the
//! sandbox's own counters (`/_sandbox/state`) are the ground truth for "how many calls/refreshes".
//!
//! The shared set-up ([`Harness`]) lives here; the tests are grouped by feature: `paging`,
//! `streams`, `stats`, `uploads`, `refresh`, `limits`, `at_rest` and `demo`.

mod at_rest;
mod consent;
mod demo;
mod limits;
mod paging;
mod refresh;
mod stats;
mod streams;
mod uploads;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pacer_shared::{ProviderId, Secret, TenantId, UserId};
use pacerd::provider::{
    Activity, ActivityQuery, FitnessProvider, OAuthConnect, ProviderError, ProviderResult, StravaClient,
    StravaClientConfig, TokenExchange, TokenService, TokenSet, UploadRequest, UploadStatus,
};
use pacerd::store::{Store, tenants, users};
use pacerd::vault::TokenVault;
use serde_json::{Value, json};

use self::consent::{athlete_options, hidden_inputs};
use crate::fixture::{Options, TestDaemon, http};

const CLIENT_ID: &str = "pacer-sandbox";
const CLIENT_SECRET: &str = "sandbox-secret";
const SCOPE: &str = "read,activity:read_all,activity:write";
/// The sandbox's access-token lifetime (Strava's 6 hours).
const SANDBOX_TTL_S: i64 = 21_600;
const STATUS_PROCESSING: &str = "Your activity is still being processed.";
const STATUS_READY: &str = "Your activity is ready.";
const STATUS_ERROR: &str = "There was an error processing your activity.";

fn now_s() -> i64 {
    Utc::now().timestamp()
}

/// A user of the test's own store.
#[derive(Clone)]
struct Account {
    tenant: TenantId,
    user: UserId,
}

/// A Strava client for the daemon's sandbox.
fn sandbox_client(http_url: &str, max_retries: u32) -> Arc<StravaClient> {
    let mut config = StravaClientConfig::new(CLIENT_ID, Secret::new(CLIENT_SECRET.into()));
    config.api_base = format!("{http_url}/sandbox/strava/api/v3");
    config.oauth_base = format!("{http_url}/sandbox/strava");
    config.timeout = Duration::from_secs(10);
    config.max_retries = max_retries;
    Arc::new(StravaClient::new(config).expect("client"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn start_ts(a: &Activity) -> i64 {
    DateTime::parse_from_rfc3339(&a.start_date)
        .unwrap_or_else(|e| panic!("start_date {:?}: {e}", a.start_date))
        .timestamp()
}

fn ids(list: &[Activity]) -> Vec<u64> {
    list.iter().map(|a| a.id).collect()
}

fn upload_request(bytes: Vec<u8>, name: &str, external_id: Option<&str>) -> UploadRequest {
    UploadRequest {
        bytes,
        data_type: "gpx".into(),
        name: Some(name.into()),
        description: Some("uploaded by the integration test".into()),
        external_id: external_id.map(str::to_owned),
        sport_type: Some("Run".into()),
    }
}

/// A sandbox-serving daemon plus the in-process provider stack connected to its athlete 1.
struct Harness {
    rt: tokio::runtime::Runtime,
    daemon: TestDaemon,
    http: reqwest::Client,
    client: Arc<StravaClient>,
    store: Store,
    service: Arc<TokenService>,
    db_dir: tempfile::TempDir,
    owner: Account,
    athlete_id: u64,
    /// The tokens from the code exchange (stored for `owner`).
    initial: TokenSet,
}

impl Harness {
    /// Daemon with the sandbox, sandbox limits raised out of the way, `owner` connected.
    fn start() -> Self {
        let daemon = TestDaemon::start_with(Options { sandbox: true, ..Options::default() });
        let rt = runtime();
        let client = sandbox_client(&daemon.http_url, 2);
        let db_dir = tempfile::Builder::new().prefix("pacer-it-store-").tempdir().expect("tempdir");
        let store = Store::open(&db_dir.path().join("pacer.db")).expect("open store");
        store.migrate().expect("migrate");
        let vault = Arc::new(TokenVault::from_key(rand::random()));
        let provider: Arc<dyn FitnessProvider> = client.clone();
        let service = Arc::new(TokenService::new(store.clone(), vault, provider));
        let owner = add_user(&store, "acme", "ada@example.com");
        let mut h = Self {
            rt,
            daemon,
            http: http(),
            client,
            store,
            service,
            db_dir,
            owner,
            athlete_id: 0,
            initial: TokenSet {
                access_token: Secret::new(String::new()),
                refresh_token: Secret::new(String::new()),
                expires_at: 0,
                athlete_id: None,
                scopes: None,
            },
        };
        let exchange = h.rt.block_on(async {
            h.faults(json!({
                "limit_15min": 100_000, "limit_daily": 1_000_000,
                "read_limit_15min": 100_000, "read_limit_daily": 1_000_000,
            }))
            .await;
            h.connect(&h.owner.clone()).await
        });
        h.athlete_id = exchange.tokens.athlete_id.expect("athlete id in the exchange");
        h.initial = exchange.tokens;
        h
    }

    fn run<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn sb(&self, path: &str) -> String {
        format!("{}/sandbox/strava{path}", self.daemon.http_url)
    }

    async fn state(&self) -> Value {
        let (name, token) = self.daemon.sandbox_admin();
        let r = self.http.get(self.sb("/_sandbox/state")).header(name, token).send().await.expect("state");
        assert!(r.status().is_success(), "state: {}", r.status());
        r.json().await.expect("state json")
    }

    async fn counter(&self, name: &str) -> u64 {
        let state = self.state().await;
        state[name].as_u64().unwrap_or_else(|| panic!("no {name} in {state}"))
    }

    async fn faults(&self, body: Value) -> Value {
        let (name, token) = self.daemon.sandbox_admin();
        let r =
            self.http.post(self.sb("/_sandbox/faults")).header(name, token).json(&body).send().await.expect("faults");
        let status = r.status();
        let text = r.text().await.expect("faults body");
        assert!(status.is_success(), "faults {body}: {status} {text}");
        serde_json::from_str(&text).expect("faults json")
    }

    /// The sandbox OAuth dance over HTTP: consent page → approve (first offered athlete) → code
    /// from the redirect. Returns the code and the athlete who consented.
    async fn authorize_code(&self) -> (String, u64) {
        let state = format!("it-{}", rand::random::<u32>());
        // The daemon's own callback, registered with the sandbox; never contacted: the code is
        // read from the consent redirect's `Location`.
        let redirect_uri = format!("{}/oauth/strava/callback", self.daemon.http_url);
        let url = self.client.authorize_url(&state, &redirect_uri, SCOPE);
        assert!(url.starts_with(&self.sb("/oauth/authorize?")), "{url}");
        let page = self.http.get(&url).send().await.expect("authorize page");
        assert_eq!(page.status(), 200, "authorize page");
        let html = page.text().await.expect("html");
        assert!(html.contains("decision") && html.contains("approve"), "consent page: {html}");
        let mut form = hidden_inputs(&html);
        let fields: HashSet<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        for wanted in ["client_id", "redirect_uri", "response_type", "scope", "state"] {
            assert!(fields.contains(wanted), "consent form lacks {wanted}: {html}");
        }
        let athletes = athlete_options(&html);
        assert!(athletes.len() >= 2, "seeded athletes offered: {athletes:?}");
        form.push(("athlete_id".into(), athletes[0].to_string()));
        form.push(("decision".into(), "approve".into()));
        let action = url::Url::parse(&url).expect("url").join("authorize").expect("action");
        let consent = self.http.post(action).form(&form).send().await.expect("consent");
        assert_eq!(consent.status(), 302, "consent: {}", consent.text().await.unwrap_or_default());
        let location = consent.headers()["location"].to_str().expect("location").to_owned();
        assert!(location.starts_with(&redirect_uri), "{location}");
        let location = url::Url::parse(&location).expect("location url");
        let param = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        assert_eq!(param("state").as_deref(), Some(state.as_str()), "state round-trips");
        assert!(param("scope").expect("scope").contains("activity:write"));
        (param("code").expect("code in the redirect"), athletes[0])
    }

    /// Authorizes, exchanges the code and stores the tokens for `account`.
    async fn connect(&self, account: &Account) -> TokenExchange {
        let (code, athlete) = self.authorize_code().await;
        let exchange = self.client.exchange_code(&code).await.expect("exchange code");
        let tokens = &exchange.tokens;
        assert_eq!(tokens.access_token.expose().len(), 40);
        assert_ne!(tokens.access_token, tokens.refresh_token);
        let lifetime = tokens.expires_at - now_s();
        assert!((SANDBOX_TTL_S - 10..=SANDBOX_TTL_S).contains(&lifetime), "expires in {lifetime} s");
        assert_eq!(exchange.athlete.as_ref().map(|a| a.id), Some(athlete), "the consenting athlete");
        assert!(tokens.athlete_id.is_none_or(|id| id == athlete));
        let again = self.client.exchange_code(&code).await;
        assert!(matches!(again, Err(ProviderError::BadRequest(_))), "codes are single-use: {again:?}");
        let mut tokens = exchange.tokens.clone();
        if tokens.athlete_id.is_none() {
            tokens.athlete_id = exchange.athlete.as_ref().map(|a| a.id);
        }
        self.service
            .store_tokens(ProviderId::Strava, &account.tenant, &account.user, &tokens)
            .await
            .expect("store tokens");
        TokenExchange { tokens, athlete: exchange.athlete }
    }

    /// Runs `f` with `account`'s access token through the `TokenService`.
    async fn call_as<T, F, Fut>(&self, account: &Account, f: F) -> ProviderResult<T>
    where
        F: Fn(Arc<StravaClient>, Secret) -> Fut,
        Fut: Future<Output = ProviderResult<T>>,
    {
        let client = self.client.clone();
        self.service
            .with_access_token(ProviderId::Strava, &account.tenant, &account.user, move |t| f(client.clone(), t))
            .await
    }

    async fn athlete_as(&self, account: &Account) -> ProviderResult<u64> {
        self.call_as(account, |c, t| async move { c.athlete(&t).await.map(|a| a.id) }).await
    }

    async fn athlete(&self) -> ProviderResult<u64> {
        self.athlete_as(&self.owner).await
    }

    async fn list(&self, query: ActivityQuery) -> Vec<Activity> {
        self.call_as(&self.owner, |c, t| async move { c.activities(&t, &query).await })
            .await
            .unwrap_or_else(|e| panic!("activities {query:?}: {e}"))
    }

    /// Every visible activity, newest first, through pages of 200.
    async fn all_activities(&self) -> Vec<Activity> {
        let mut all = Vec::new();
        for page in 1.. {
            let batch = self.list(ActivityQuery { page, per_page: 200, ..ActivityQuery::default() }).await;
            let done = batch.len() < 200;
            all.extend(batch);
            if done {
                break;
            }
        }
        all
    }

    async fn upload(&self, request: UploadRequest) -> ProviderResult<UploadStatus> {
        self.call_as(&self.owner, |c, t| {
            let request = request.clone();
            async move { c.upload(&t, request).await }
        })
        .await
    }

    /// Polls an upload until the sandbox has processed it.
    async fn poll_upload(&self, upload_id: u64) -> UploadStatus {
        for _ in 0..200 {
            let status = self
                .call_as(&self.owner, |c, t| async move { c.upload_status(&t, upload_id).await })
                .await
                .expect("upload status");
            if status.is_final() {
                return status;
            }
            assert_eq!(status.status, STATUS_PROCESSING);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("upload {upload_id} never finished processing");
    }

    /// Overwrites the owner's stored tokens with the initial ones expiring at `expires_at`.
    async fn store_initial_expiring(&self, expires_at: i64) {
        let tokens = TokenSet { expires_at, ..self.initial.clone() };
        self.service
            .store_tokens(ProviderId::Strava, &self.owner.tenant, &self.owner.user, &tokens)
            .await
            .expect("store");
    }

    async fn stored_expiry(&self, account: &Account) -> i64 {
        self.service
            .connection(ProviderId::Strava, &account.tenant, &account.user)
            .await
            .expect("connection")
            .expect("connected")
            .expires_at
    }

    /// Asks the sandbox token endpoint directly for a refresh (status, body).
    async fn raw_refresh(&self, refresh_token: &Secret) -> (u16, Value) {
        let r = self
            .http
            .post(self.sb("/oauth/token"))
            .form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ])
            .send()
            .await
            .expect("token endpoint");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

fn add_user(store: &Store, tenant: &str, email: &str) -> Account {
    let conn = store.conn().expect("conn");
    let tenant = tenants::get_or_create(&conn, tenant).expect("tenant").id;
    let user = users::create(&conn, &tenant, email, None).expect("user").info.id;
    Account { tenant, user }
}
