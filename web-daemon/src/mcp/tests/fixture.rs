//! A real `AppState` on a temp dir (store, limiter, token service) with the crate's fake
//! provider ([`FakeProvider`]), and a client speaking raw JSON-RPC lines to
//! [`crate::mcp::serve_local_stream`] (a socket session, as through pacer-mcp) over a duplex pipe.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pacer_shared::{ProviderId, Tier};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf};

use crate::auth::Principal;
use crate::config::{Config, LimitSettings, Overrides};
use crate::limits::InMemoryLimiter;
use crate::provider::TokenService;
use crate::provider::fake::FakeProvider;
use crate::state::AppState;
use crate::store::{Store, api_keys, tenants, users};
use crate::vault::TokenVault;

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
            .store_tokens(
                ProviderId::Strava,
                &p.tenant_id,
                &p.user_id,
                &self.provider.tokens("access", "refresh", expires_at),
            )
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
