//! A real `AppState` on a temp dir (store, limiter, token service) with a scripted provider,
//! and a client speaking raw JSON-RPC lines to [`crate::mcp::serve_local_stream`] (a socket
//! session, as through pacer-mcp) over a duplex pipe.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use pacer_shared::{ProviderId, Secret, Tier};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf};

use crate::auth::Principal;
use crate::config::{Config, LimitSettings, Overrides};
use crate::limits::InMemoryLimiter;
use crate::provider::{
    Activity, ActivityData, ActivityDetail, ActivityQuery, Athlete, AthleteStats, FitnessProvider, OAuthConnect,
    ProviderError, ProviderResult, RateLimitUsage, Streams, TokenExchange, TokenService, TokenSet, UploadRequest,
    UploadStatus,
};
use crate::state::AppState;
use crate::store::{Store, api_keys, tenants, users};
use crate::vault::TokenVault;

/// A provider answering from memory. Uploads finish after two polls, or fail when the file
/// was uploaded before (same `external_id`).
#[derive(Default)]
pub struct FakeProvider {
    pub fail_refresh: std::sync::atomic::AtomicBool,
    polls: AtomicUsize,
    uploaded: Mutex<Vec<String>>,
    pub last_upload: Mutex<Option<(usize, String)>>,
}

fn ok<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, ProviderResult<T>> {
    Box::pin(async move { Ok(v) })
}

pub fn activity(id: u64, name: &str, sport: &str) -> Activity {
    Activity {
        id,
        name: name.into(),
        sport_type: sport.into(),
        start_date: "2026-11-25T07:30:00Z".into(),
        start_date_local: "2026-11-25T08:30:00+01:00".into(),
        timezone: None,
        distance_m: 10_020.0,
        moving_time_s: 3130,
        elapsed_time_s: 3200,
        total_elevation_gain_m: 42.0,
        average_speed_mps: 3.2,
        max_speed_mps: 4.0,
        average_heartrate_bpm: Some(150.0),
        max_heartrate_bpm: None,
        average_cadence_rpm: None,
        average_watts: None,
        kilojoules: None,
        trainer: false,
        commute: false,
        manual: false,
        external_id: None,
    }
}

impl OAuthConnect for FakeProvider {
    fn id(&self) -> ProviderId {
        ProviderId::Strava
    }
    fn authorize_url(&self, state: &str, _: &str, _: &str) -> String {
        format!("https://fake.example/oauth/authorize?state={state}")
    }
    fn exchange_code<'a>(&'a self, _: &'a str) -> BoxFuture<'a, ProviderResult<TokenExchange>> {
        Box::pin(async { Err(ProviderError::BadRequest("not in tests".into())) })
    }
    fn refresh<'a>(&'a self, _: &'a Secret) -> BoxFuture<'a, ProviderResult<TokenSet>> {
        let fail = self.fail_refresh.load(Ordering::SeqCst);
        Box::pin(async move {
            if fail {
                return Err(ProviderError::BadRequest("invalid_grant".into()));
            }
            Ok(tokens(chrono::Utc::now().timestamp() + 21_600))
        })
    }
    fn deauthorize<'a>(&'a self, _: &'a Secret) -> BoxFuture<'a, ProviderResult<()>> {
        ok(())
    }
}

impl FitnessProvider for FakeProvider {
    fn rate_limit_usage(&self) -> Option<RateLimitUsage> {
        None
    }
    fn session(self: Arc<Self>, _: Secret) -> Arc<dyn ActivityData> {
        Arc::new(FakeProviderSession(self))
    }
}

/// [`FakeProvider`]'s data for one (any) access token.
pub struct FakeProviderSession(Arc<FakeProvider>);

impl ActivityData for FakeProviderSession {
    fn athlete(&self) -> BoxFuture<'_, ProviderResult<Athlete>> {
        ok(Athlete {
            id: 77,
            username: None,
            firstname: Some("Ada".into()),
            lastname: Some("Runner".into()),
            city: None,
            state: None,
            country: Some("France".into()),
            sex: None,
            weight_kg: None,
            premium: None,
            created_at: None,
            profile_url: None,
        })
    }
    fn activities<'a>(&'a self, q: &'a ActivityQuery) -> BoxFuture<'a, ProviderResult<Vec<Activity>>> {
        let all = [activity(3, "Evening Ride", "Ride"), activity(2, "Morning Run", "Run"), activity(1, "Swim", "Swim")];
        ok(all.into_iter().take(usize::try_from(q.per_page).unwrap_or(0)).collect())
    }
    fn activity<'a>(&'a self, id: u64) -> BoxFuture<'a, ProviderResult<ActivityDetail>> {
        Box::pin(async move {
            if id != 2 {
                return Err(ProviderError::NotFound(format!("activity {id}")));
            }
            let activity = activity(2, "Morning Run", "Run");
            Ok(ActivityDetail { activity, description: None, calories_kcal: None, device_name: None, gear_id: None })
        })
    }
    fn streams<'a>(&'a self, id: u64, keys: &'a [String]) -> BoxFuture<'a, ProviderResult<Streams>> {
        let series: BTreeMap<String, Vec<Value>> = keys
            .iter()
            .filter(|k| ["time", "heartrate"].contains(&k.as_str()))
            .map(|k| (k.clone(), (0..1000).map(Value::from).collect()))
            .collect();
        ok(Streams { activity_id: id, original_points: 1000, returned_points: 1000, series })
    }
    fn stats<'a>(&'a self, _: u64) -> BoxFuture<'a, ProviderResult<AthleteStats>> {
        ok(AthleteStats::default())
    }
    fn upload<'a>(&'a self, request: UploadRequest) -> BoxFuture<'a, ProviderResult<UploadStatus>> {
        self.0.polls.store(0, Ordering::SeqCst);
        let external = request.external_id.clone().unwrap_or_default();
        *self.0.last_upload.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((request.bytes.len(), request.data_type.clone()));
        let mut uploaded = self.0.uploaded.lock().unwrap_or_else(PoisonError::into_inner);
        let duplicate = uploaded.contains(&external);
        uploaded.push(external.clone());
        ok(UploadStatus {
            upload_id: if duplicate { 900 } else { 901 },
            status: "Your activity is still being processed.".into(),
            activity_id: None,
            error: duplicate.then(|| format!("{external} duplicate of activity 555")),
            external_id: Some(external),
        })
    }
    fn upload_status<'a>(&'a self, id: u64) -> BoxFuture<'a, ProviderResult<UploadStatus>> {
        let polls = self.0.polls.fetch_add(1, Ordering::SeqCst) + 1;
        let done = polls >= 2;
        ok(UploadStatus {
            upload_id: id,
            status: if done { "Your activity is ready." } else { "Your activity is still being processed." }.into(),
            activity_id: done.then_some(4242),
            error: None,
            external_id: None,
        })
    }
}

pub fn tokens(expires_at: i64) -> TokenSet {
    TokenSet {
        access_token: Secret::new("access".into()),
        refresh_token: Secret::new("refresh".into()),
        expires_at,
        athlete_id: Some(77),
        scopes: Some("read,activity:read_all,activity:write".into()),
    }
}

pub struct Fixture {
    pub state: Arc<AppState>,
    pub principal: Principal,
    pub provider: Arc<FakeProvider>,
    pub home: tempfile::TempDir,
}

impl Fixture {
    /// A tenant, a user and a `free` key allowed `per_minute` calls.
    pub fn new(per_minute: u32) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let overrides = Overrides { home: Some(home.path().to_path_buf()), ..Overrides::default() };
        let config = Config::load_from(overrides, &HashMap::new()).expect("config");
        let store = Store::open(&config.db_path()).expect("store");
        store.migrate().expect("migrate");
        let conn = store.conn().expect("conn");
        let tenant = tenants::get_or_create(&conn, tenants::DEFAULT_TENANT).expect("tenant").id;
        let user = users::create(&conn, &tenant, "ada@example.com", None).expect("user").info.id;
        let key = api_keys::insert(
            &conn,
            &api_keys::NewKey {
                tenant: &tenant,
                user: &user,
                name: "test",
                description: None,
                tier: Tier::Free,
                key_prefix: "pk_live_abcdef",
                key_hash: &[1; 32],
            },
        )
        .expect("key");
        drop(conn);
        let limits = LimitSettings { free_per_minute: per_minute, ..LimitSettings::default() };
        let provider = Arc::new(FakeProvider::default());
        let vault = Arc::new(TokenVault::from_key([7; 32]));
        let tokens = Arc::new(TokenService::new(store.clone(), vault, provider.clone()));
        let state = AppState::new(crate::state::StateParts {
            config,
            store,
            jwt: crate::auth::jwt::JwtKeys::from_secret(b"test-secret"),
            http_addr: "127.0.0.1:8081".parse().expect("addr"),
            public_url: "http://127.0.0.1:8081".into(),
            limiter: Arc::new(InMemoryLimiter::new(&limits)),
            tokens,
            sandbox: None,
        })
        .into_shared();
        let principal =
            Principal { tenant_id: tenant, user_id: user, key_id: Some(key.id), tier: Tier::Free, grant: None };
        Self { state, principal, provider, home }
    }

    /// Stores tokens for the user, expiring at `expires_at` (epoch seconds).
    pub async fn connect(&self, expires_at: i64) {
        let p = &self.principal;
        self.state
            .tokens
            .store_tokens(ProviderId::Strava, &p.tenant_id, &p.user_id, &tokens(expires_at))
            .await
            .expect("store tokens");
    }

    /// A client connected to a fresh session.
    pub fn client(&self) -> Client {
        let (ours, theirs) = tokio::io::duplex(4 << 20);
        let (read, write) = tokio::io::split(theirs);
        let session =
            tokio::spawn(crate::mcp::serve_local_stream(self.state.clone(), self.principal.clone(), read, write));
        let (read, write) = tokio::io::split(ours);
        Client { lines: BufReader::new(read).lines(), write, notifications: Vec::new(), next_id: 1, session }
    }
}

/// Raw JSON-RPC over newline-delimited lines.
pub struct Client {
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    pub write: WriteHalf<DuplexStream>,
    /// Notifications received while waiting for responses.
    pub notifications: Vec<Value>,
    next_id: u64,
    pub session: tokio::task::JoinHandle<()>,
}

impl Client {
    pub async fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.write.write_all(line.as_bytes()).await.expect("write");
    }

    /// The next line, or `None` when the server closed the stream.
    pub async fn next(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
            .await
            .expect("server answered within 10 s")
            .ok()??;
        Some(serde_json::from_str(&line).expect("server sent JSON"))
    }

    /// Sends a request and returns its response (`result` or `error` object as a whole).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let message = self.next().await.expect("response before close");
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
            self.notifications.push(message);
        }
    }

    /// `initialize` with `version`, then `notifications/initialized`; returns the result.
    pub async fn initialize(&mut self, version: &str) -> Value {
        let params = json!({
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}
        });
        let response = self.request("initialize", params).await;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        response["result"].clone()
    }

    pub async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments})).await
    }
}
