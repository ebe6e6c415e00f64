//! Route tests through actix's test service: a real temp-dir store, fixed JWT keys, no daemon.
//!
//! Helpers live here; the tests are grouped by route: `login`, `keys`, `me`, `request_limits` (body
//! caps and the client address) and `openapi`.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{test, web};
use pacer_shared::{Secret, UserInfo};
use serde_json::Value;

use crate::accounts;
use crate::auth::jwt::JwtKeys;
use crate::config::{Config, LimitSettings, Overrides};
use crate::limits::InMemoryLimiter;
use crate::provider::{FitnessProvider, StravaClient, StravaClientConfig, TokenService};
use crate::state::AppState;
use crate::store::{Store, tenants};
use crate::vault::TokenVault;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const PASSWORD: &str = "correct horse battery";
const MAX_BODY: usize = 64 * 1024;

struct Fixture {
    _dir: tempfile::TempDir,
    data: web::Data<AppState>,
}

fn fixture(limits: LimitSettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        Config::load_from(Overrides { home: Some(dir.path().into()), ..Default::default() }, &HashMap::new()).unwrap();
    config.limits = limits;
    let store = Store::open(&config.db_path()).unwrap();
    store.migrate().unwrap();
    tenants::get_or_create(&store.conn().unwrap(), tenants::DEFAULT_TENANT).unwrap();
    let limiter = Arc::new(InMemoryLimiter::new(&config.limits));
    let vault = Arc::new(TokenVault::from_key([7; 32]));
    let provider: Arc<dyn FitnessProvider> =
        Arc::new(StravaClient::new(StravaClientConfig::new("test", Secret::new("test".into()))).unwrap());
    let tokens = Arc::new(TokenService::new(store.clone(), vault, provider));
    let state = AppState::new(crate::state::StateParts {
        config,
        store,
        jwt: JwtKeys::from_secret(SECRET),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        public_url: "http://127.0.0.1:0".into(),
        limiter,
        tokens,
        sandbox: None,
    });
    Fixture { _dir: dir, data: web::Data::new(state) }
}

fn limits(free: u32, ip: u32) -> LimitSettings {
    LimitSettings { free_per_minute: free, ip_per_minute: ip, ..Default::default() }
}

/// The app with every route, over `$fx`'s state (a macro: the service type cannot be named).
macro_rules! app {
    ($fx:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($fx.data.clone())
                .wrap(actix_web::middleware::from_fn($crate::http::edge))
                .configure($crate::http::body_limits($crate::http::tests::MAX_BODY))
                .configure($crate::http::configure(None)),
        )
        .await
    };
}

mod keys;
mod login;
mod me;
mod openapi;
mod request_limits;

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
    fn header_num(&self, name: &str) -> i64 {
        self.header(name).unwrap_or_else(|| panic!("missing {name}")).parse().unwrap()
    }
    fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

async fn send<S, R, B>(app: &S, req: R) -> Reply
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req).await;
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = test::read_body(res).await;
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    Reply { status, headers, body }
}

async fn user(fx: &Fixture, email: &str, tenant: Option<&str>) -> UserInfo {
    accounts::add_user(&fx.data.store, email, tenant, Some(&Secret::new(PASSWORD.into()))).await.unwrap()
}

fn jwt_for(fx: &Fixture, u: &UserInfo) -> String {
    fx.data.jwt.issue(&u.tenant_id, &u.id).unwrap().expose().to_string()
}

async fn api_key(fx: &Fixture, u: &UserInfo) -> String {
    accounts::create_key(
        &fx.data.store,
        &u.tenant_id,
        &u.id,
        "k",
        None,
        pacer_shared::Tier::Free,
        accounts::Grantor::Admin,
    )
    .await
    .unwrap()
    .api_key
    .expose()
    .to_string()
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
