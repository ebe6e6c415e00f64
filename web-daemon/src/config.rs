//! Configuration: one typed struct, loaded once.
//!
//! Layers, later wins: built-in defaults < `$PACER_HOME/config.toml` (or `--config FILE`) <
//! `PACER_*` environment variables < command-line flags. Secrets may also be given as a path in
//! the `*_FILE` variant of their variable (`PACER_MASTER_KEY_FILE`, …). Unknown keys in the file
//! are an error that names the key. This is the only module that reads the environment.

mod database;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use pacer_shared::{ProviderId, Secret, Tier};
use serde::Deserialize;

pub use self::database::{DEFAULT_SQLITE_FILE, DatabaseUrl, PostgresUrl};

/// Default HTTP listen address: loopback only.
pub const DEFAULT_HTTP: &str = "127.0.0.1:8081";

/// Default cap on concurrent HTTP connections (all workers together).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Activities `pacerd demo` imports by default: a year of training.
pub const DEFAULT_DEMO_ACTIVITIES: usize = 250;

/// Default cap on a `POST /api/import` upload (a Strava bulk export of several years).
pub const DEFAULT_MAX_IMPORT_BYTES: usize = 1024 * 1024 * 1024;

/// One provider's credentials and endpoints (`[strava]` in the file, `PACER_STRAVA_*` in the
/// environment: the section and prefix are the [`ProviderId`]'s name).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub api_base: Option<String>,
    pub oauth_base: Option<String>,
    pub redirect_uri: Option<String>,
}

/// The local activity store's cache of provider API data (`[cache]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Days API data may stay in the local store (Strava's terms: at most 7); 0 disables caching.
    pub retention_days: u32,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self { retention_days: 7 }
    }
}

/// MCP authorization: pacerd as the OAuth authorization server of `/mcp` (`[mcp_auth]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpAuthSettings {
    /// Lifetime of an access token, seconds (`PACER_MCP_AUTH_ACCESS_TOKEN_TTL_SECS`; 60–86400).
    pub access_token_ttl_secs: i64,
    /// Lifetime of a refresh token, seconds (`PACER_MCP_AUTH_REFRESH_TOKEN_TTL_SECS`; ≥ the
    /// access token's, ≤ 1 year). Each refresh hands out a new one with a fresh lifetime.
    pub refresh_token_ttl_secs: i64,
    /// Development only: accept client id metadata URLs on loopback hosts, also over plain http
    /// (`PACER_MCP_AUTH_ALLOW_LOOPBACK_CLIENT_IDS`). Private and link-local addresses stay refused.
    pub allow_loopback_client_ids: bool,
}

impl Default for McpAuthSettings {
    fn default() -> Self {
        Self { access_token_ttl_secs: 3600, refresh_token_ttl_secs: 30 * 86_400, allow_loopback_client_ids: false }
    }
}

/// Requests per minute by tier and per client IP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    pub free_per_minute: u32,
    pub premium_per_minute: u32,
    pub enterprise_per_minute: u32,
    /// Per client IP on `/api/auth/login` and `/oauth/*`.
    pub ip_per_minute: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            free_per_minute: Tier::Free.default_per_minute(),
            premium_per_minute: Tier::Premium.default_per_minute(),
            enterprise_per_minute: Tier::Enterprise.default_per_minute(),
            ip_per_minute: 30,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PACER_HOME`: database, keys, socket.
    pub home: PathBuf,
    /// HTTP listen address (`--http`, `PACER_HTTP`).
    pub http: SocketAddr,
    /// Public base URL for links (`PACER_PUBLIC_URL`); default `http://<bound address>`.
    pub public_url: Option<String>,
    /// tracing filter (`PACER_LOG`), e.g. `info,pacerd=debug`.
    pub log: String,
    /// Base64 of 32 bytes (`PACER_MASTER_KEY`); generated into `master.key` when absent.
    pub master_key: Option<Secret>,
    /// JWT signing secret (`PACER_JWT_SECRET`); generated into `jwt.key` when absent.
    pub jwt_secret: Option<Secret>,
    /// Serve the sandbox provider under `/sandbox/strava` and use it as Strava.
    pub sandbox: bool,
    pub strava: ProviderSettings,
    /// API data caching (`[cache]`, `PACER_CACHE_RETENTION_DAYS`).
    pub cache: CacheSettings,
    /// MCP authorization (`[mcp_auth]`, `PACER_MCP_AUTH_*`).
    pub mcp_auth: McpAuthSettings,
    pub limits: LimitSettings,
    /// True when `[limits]` came from the config file; otherwise the per-tier quotas are read
    /// from the database's `tier_limits` table at start-up.
    pub limits_configured: bool,
    /// Largest socket frame (bytes).
    pub max_frame_bytes: usize,
    /// Largest HTTP request body (bytes).
    pub max_body_bytes: usize,
    /// Largest upload to `POST /api/import` (bytes; `PACER_MAX_IMPORT_BYTES`).
    pub max_import_bytes: usize,
    /// Largest tool result in bytes of JSON (`PACER_RESULT_BUDGET_BYTES`, default 16 KiB).
    pub result_budget_bytes: usize,
    /// Activities `pacerd demo` generates and imports for the demo user once
    /// (`PACER_DEMO_ACTIVITIES`, default 250; 0: none).
    pub demo_activities: usize,
    /// Reverse proxies (addresses or CIDR networks) whose `Forwarded` / `X-Forwarded-For` names
    /// the client for per-IP limits (`trusted_proxies`, `PACER_TRUSTED_PROXIES` comma-separated;
    /// default none: the TCP peer is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Most concurrent HTTP connections (`max_connections`, `PACER_MAX_CONNECTIONS`; default
    /// 1024), further capped by the open-file limit (see [`crate::descriptors`]).
    pub max_connections: usize,
    /// The database (`database_url`, `PACER_DATABASE_URL`, `--database-url`): `sqlite:` (the
    /// default, `$PACER_HOME/pacer.db`) or `postgres://user@host:port/db`.
    pub database_url: DatabaseUrl,
    /// Redis holding the rate-limit buckets, shared by every daemon that names the same one
    /// (`redis_url`, `PACER_REDIS_URL` / `PACER_REDIS_URL_FILE`, `--redis-url`); a secret because
    /// the URL may carry a password. Absent: buckets live in this process's memory.
    pub redis_url: Option<Secret>,
}

/// The on-disk file: every field optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    http: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    master_key: Option<Secret>,
    jwt_secret: Option<Secret>,
    sandbox: Option<bool>,
    max_frame_bytes: Option<usize>,
    max_body_bytes: Option<usize>,
    max_import_bytes: Option<usize>,
    demo_activities: Option<usize>,
    result_budget_bytes: Option<usize>,
    trusted_proxies: Option<Vec<String>>,
    max_connections: Option<usize>,
    database_url: Option<String>,
    database_password_file: Option<PathBuf>,
    redis_url: Option<Secret>,
    #[serde(default)]
    strava: ProviderSettings,
    #[serde(default)]
    cache: CacheSettings,
    #[serde(default)]
    mcp_auth: McpAuthSettings,
    limits: Option<LimitSettings>,
}

/// Values from command-line flags (highest precedence).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub home: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    pub http: Option<String>,
    pub sandbox: Option<bool>,
    pub database_url: Option<String>,
    /// `--redis-url`.
    pub redis_url: Option<Secret>,
}

/// Why configuration could not be loaded; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {name}: {message}")]
    Value { name: String, message: String },
}

fn value_err(name: &str, message: impl ToString) -> ConfigError {
    ConfigError::Value { name: name.to_string(), message: message.to_string() }
}

impl Config {
    /// Loads from the process environment.
    pub fn load(overrides: Overrides) -> Result<Self, ConfigError> {
        Self::load_from(overrides, &std::env::vars().collect())
    }

    /// Loads with an explicit environment map (tests).
    pub fn load_from(overrides: Overrides, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let home = overrides.home.clone().or_else(|| get("PACER_HOME").map(PathBuf::from)).unwrap_or_else(|| {
            pacer_shared::paths::default_home(get("XDG_DATA_HOME").as_deref(), get("HOME").as_deref())
        });
        let file_path = overrides.config_file.clone().or_else(|| get("PACER_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(p) => read_file(p, true)?,
            None => read_file(&home.join("config.toml"), false)?,
        };
        let secret = |name: &str, from_file: Option<Secret>| -> Result<Option<Secret>, ConfigError> {
            if let Some(v) = get(name) {
                return Ok(Some(Secret::new(v)));
            }
            if let Some(path) = get(&format!("{name}_FILE")) {
                let v = std::fs::read_to_string(&path)
                    .map_err(|e| value_err(&format!("{name}_FILE"), format!("cannot read {path}: {e}")))?;
                return Ok(Some(Secret::new(v.trim().to_string())));
            }
            Ok(from_file)
        };
        let http_text =
            overrides.http.clone().or_else(|| get("PACER_HTTP")).or(file.http).unwrap_or(DEFAULT_HTTP.into());
        let http = http_text
            .parse()
            .map_err(|e| value_err("http", format!("'{http_text}' is not an address like 127.0.0.1:8081 ({e})")))?;
        let sandbox = match overrides.sandbox {
            Some(b) => b,
            None => match get("PACER_SANDBOX") {
                Some(v) => parse_bool("PACER_SANDBOX", &v)?,
                None => file.sandbox.unwrap_or(false),
            },
        };
        let provider_env = |provider: ProviderId, mut p: ProviderSettings| -> Result<ProviderSettings, ConfigError> {
            let var = |key: &str| format!("PACER_{}_{key}", provider.as_str().to_ascii_uppercase());
            let pick = |key: &str, current: Option<String>| get(&var(key)).or(current);
            p.client_id = pick("CLIENT_ID", p.client_id);
            p.api_base = pick("API_BASE", p.api_base);
            p.oauth_base = pick("OAUTH_BASE", p.oauth_base);
            p.redirect_uri = pick("REDIRECT_URI", p.redirect_uri);
            p.client_secret = secret(&var("CLIENT_SECRET"), p.client_secret)?;
            Ok(p)
        };
        let strava = provider_env(ProviderId::Strava, file.strava)?;
        let mut cache = file.cache;
        if let Some(days) = get("PACER_CACHE_RETENTION_DAYS") {
            cache.retention_days = days.parse().map_err(|e| value_err("PACER_CACHE_RETENTION_DAYS", e))?;
        }
        let mut mcp_auth = file.mcp_auth;
        if let Some(v) = get("PACER_MCP_AUTH_ACCESS_TOKEN_TTL_SECS") {
            mcp_auth.access_token_ttl_secs =
                v.parse().map_err(|e| value_err("PACER_MCP_AUTH_ACCESS_TOKEN_TTL_SECS", e))?;
        }
        if let Some(v) = get("PACER_MCP_AUTH_REFRESH_TOKEN_TTL_SECS") {
            mcp_auth.refresh_token_ttl_secs =
                v.parse().map_err(|e| value_err("PACER_MCP_AUTH_REFRESH_TOKEN_TTL_SECS", e))?;
        }
        if let Some(v) = get("PACER_MCP_AUTH_ALLOW_LOOPBACK_CLIENT_IDS") {
            mcp_auth.allow_loopback_client_ids = parse_bool("PACER_MCP_AUTH_ALLOW_LOOPBACK_CLIENT_IDS", &v)?;
        }
        if !(60..=86_400).contains(&mcp_auth.access_token_ttl_secs) {
            return Err(value_err("mcp_auth.access_token_ttl_secs", "must be between 60 and 86400 seconds"));
        }
        if !(mcp_auth.access_token_ttl_secs..=366 * 86_400).contains(&mcp_auth.refresh_token_ttl_secs) {
            return Err(value_err(
                "mcp_auth.refresh_token_ttl_secs",
                "must be at least the access token's lifetime and at most a year",
            ));
        }
        let size = |name: &str, v: Option<usize>, default: usize| -> Result<usize, ConfigError> {
            let v = match get(name) {
                Some(s) => s.parse().map_err(|e| value_err(name, e))?,
                None => v.unwrap_or(default),
            };
            if v < 1024 { Err(value_err(name, "must be at least 1024 bytes")) } else { Ok(v) }
        };
        let trusted_proxies = match get("PACER_TRUSTED_PROXIES") {
            Some(v) => parse_networks("PACER_TRUSTED_PROXIES", v.split(','))?,
            None => parse_networks("trusted_proxies", file.trusted_proxies.iter().flatten().map(String::as_str))?,
        };
        let max_connections = match get("PACER_MAX_CONNECTIONS") {
            Some(v) => v.parse().map_err(|e| value_err("PACER_MAX_CONNECTIONS", e))?,
            None => file.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
        };
        if max_connections == 0 {
            return Err(value_err("max_connections", "must be at least 1"));
        }
        let database_password = match secret("PACER_DATABASE_PASSWORD", None)? {
            Some(p) => Some(p),
            None => match &file.database_password_file {
                Some(path) => Some(Secret::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| {
                            value_err("database_password_file", format!("cannot read {}: {e}", path.display()))
                        })?
                        .trim()
                        .to_string(),
                )),
                None => None,
            },
        };
        let database_url = DatabaseUrl::parse(
            overrides.database_url.as_deref().or(get("PACER_DATABASE_URL").as_deref()).or(file.database_url.as_deref()),
            &home,
            database_password,
        )?;
        let redis_url = match overrides.redis_url.clone() {
            Some(url) => Some(url),
            None => secret("PACER_REDIS_URL", file.redis_url)?,
        }
        .filter(|u| !u.expose().trim().is_empty());
        if let Some(url) = &redis_url {
            check_redis_url(url)?;
        }
        Ok(Self {
            database_url,
            redis_url,
            trusted_proxies,
            max_connections,
            http,
            public_url: get("PACER_PUBLIC_URL").or(file.public_url).map(|u| u.trim_end_matches('/').to_string()),
            log: get("PACER_LOG").or(file.log).unwrap_or_else(|| "info".into()),
            master_key: secret("PACER_MASTER_KEY", file.master_key)?,
            jwt_secret: secret("PACER_JWT_SECRET", file.jwt_secret)?,
            sandbox,
            strava,
            cache,
            mcp_auth,
            limits_configured: file.limits.is_some(),
            limits: file.limits.unwrap_or_default(),
            max_frame_bytes: size("PACER_MAX_FRAME_BYTES", file.max_frame_bytes, pacer_shared::ipc::MAX_FRAME_BYTES)?,
            max_body_bytes: size("PACER_MAX_BODY_BYTES", file.max_body_bytes, 64 * 1024)?,
            max_import_bytes: size("PACER_MAX_IMPORT_BYTES", file.max_import_bytes, DEFAULT_MAX_IMPORT_BYTES)?,
            result_budget_bytes: size(
                "PACER_RESULT_BUDGET_BYTES",
                file.result_budget_bytes,
                crate::mcp::budget::DEFAULT_RESULT_BUDGET,
            )?,
            demo_activities: match get("PACER_DEMO_ACTIVITIES") {
                Some(v) => v.parse().map_err(|e| value_err("PACER_DEMO_ACTIVITIES", e))?,
                None => file.demo_activities.unwrap_or(DEFAULT_DEMO_ACTIVITIES),
            },
            home,
        })
    }

    /// The settings of `provider` (its config section).
    pub fn provider(&self, provider: ProviderId) -> &ProviderSettings {
        match provider {
            ProviderId::Strava => &self.strava,
        }
    }

    /// The SQLite database file: `$PACER_HOME/pacer.db` unless `database_url` names another
    /// (with a PostgreSQL `database_url`, the file SQLite would use; nothing opens it).
    pub fn db_path(&self) -> PathBuf {
        match &self.database_url {
            DatabaseUrl::Sqlite(path) => path.clone(),
            DatabaseUrl::Postgres(_) => self.home.join(DEFAULT_SQLITE_FILE),
        }
    }

    /// `$PACER_HOME/run/pacerd.sock`.
    pub fn socket_path(&self) -> PathBuf {
        pacer_shared::paths::socket_path(&self.home)
    }
}

/// Addresses (`10.0.0.1`, `::1`) or networks (`10.0.0.0/8`); empty items are skipped.
fn parse_networks<'a>(name: &str, items: impl Iterator<Item = &'a str>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    items
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| value_err(name, format!("'{s}' is not an IP address or CIDR network")))
        })
        .collect()
}

/// A `redis://` or `rediss://` URL; the error never repeats the URL (it may hold a password).
fn check_redis_url(url: &Secret) -> Result<(), ConfigError> {
    match url::Url::parse(url.expose().trim()) {
        Ok(u) if matches!(u.scheme(), "redis" | "rediss" | "redis+unix" | "unix") => Ok(()),
        Ok(u) => Err(value_err("redis_url", format!("scheme '{}' is not redis:// or rediss://", u.scheme()))),
        Err(e) => Err(value_err("redis_url", format!("not a URL like redis://127.0.0.1:6379/0 ({e})"))),
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(value_err(name, format!("'{v}' is not a boolean"))),
    }
}

fn read_file(path: &Path, required: bool) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(FileConfig::default()),
        Err(source) => return Err(ConfigError::Read { path: path.to_path_buf(), source }),
    };
    toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.message().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn layering_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "http = \"127.0.0.1:9000\"\nlog = \"debug\"\n[strava]\nclient_id = \"file\"\n",
        )
        .unwrap();
        let home = Overrides { home: Some(dir.path().into()), ..Default::default() };
        let c = Config::load_from(home.clone(), &env(&[])).unwrap();
        assert_eq!(c.http.port(), 9000);
        assert_eq!(c.log, "debug");
        assert_eq!(c.strava.client_id.as_deref(), Some("file"));
        let c = Config::load_from(
            home.clone(),
            &env(&[("PACER_HTTP", "127.0.0.1:9001"), ("PACER_STRAVA_CLIENT_ID", "env")]),
        )
        .unwrap();
        assert_eq!(c.http.port(), 9001);
        assert_eq!(c.strava.client_id.as_deref(), Some("env"));
        let flags = Overrides { http: Some("127.0.0.1:9002".into()), ..home };
        assert_eq!(Config::load_from(flags, &env(&[("PACER_HTTP", "127.0.0.1:9001")])).unwrap().http.port(), 9002);
    }

    #[test]
    fn mcp_auth_settings_layer_and_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "[mcp_auth]\naccess_token_ttl_secs = 600\n").unwrap();
        let home = Overrides { home: Some(dir.path().into()), ..Default::default() };
        let c = Config::load_from(home.clone(), &env(&[])).unwrap();
        assert_eq!(c.mcp_auth.access_token_ttl_secs, 600);
        assert_eq!(c.mcp_auth.refresh_token_ttl_secs, 30 * 86_400);
        assert!(!c.mcp_auth.allow_loopback_client_ids);
        let c = Config::load_from(home.clone(), &env(&[("PACER_MCP_AUTH_ALLOW_LOOPBACK_CLIENT_IDS", "true")])).unwrap();
        assert!(c.mcp_auth.allow_loopback_client_ids);
        let err = Config::load_from(home.clone(), &env(&[("PACER_MCP_AUTH_ACCESS_TOKEN_TTL_SECS", "5")])).unwrap_err();
        assert!(err.to_string().contains("access_token_ttl_secs"), "{err}");
        let err = Config::load_from(home, &env(&[("PACER_MCP_AUTH_REFRESH_TOKEN_TTL_SECS", "60")])).unwrap_err();
        assert!(err.to_string().contains("refresh_token_ttl_secs"), "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "htpp = \"x\"\n").unwrap();
        let err = Config::load_from(Overrides { home: Some(dir.path().into()), ..Default::default() }, &env(&[]))
            .unwrap_err();
        assert!(err.to_string().contains("htpp"), "{err}");
    }

    #[test]
    fn redis_url_from_file_env_file_variant_and_flag_redacted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "redis_url = \"redis://:filepw@10.0.0.1:6379/0\"\n").unwrap();
        let home = Overrides { home: Some(dir.path().into()), ..Default::default() };
        let c = Config::load_from(home.clone(), &env(&[])).unwrap();
        assert_eq!(c.redis_url.as_ref().map(Secret::expose), Some("redis://:filepw@10.0.0.1:6379/0"));
        assert!(!format!("{c:?}").contains("filepw"), "the URL's password must not reach Debug output");
        let pw_file = dir.path().join("redis-url");
        std::fs::write(&pw_file, "redis://:filed@127.0.0.1:7000/1\n").unwrap();
        let c = Config::load_from(home.clone(), &env(&[("PACER_REDIS_URL_FILE", pw_file.to_str().unwrap())])).unwrap();
        assert_eq!(c.redis_url.as_ref().map(Secret::expose), Some("redis://:filed@127.0.0.1:7000/1"));
        let c = Config::load_from(home.clone(), &env(&[("PACER_REDIS_URL", "redis://127.0.0.1:7001")])).unwrap();
        assert_eq!(c.redis_url.as_ref().map(Secret::expose), Some("redis://127.0.0.1:7001"));
        let flag = Overrides { redis_url: Some(Secret::new("redis://127.0.0.1:7002".into())), ..home.clone() };
        let c = Config::load_from(flag, &env(&[("PACER_REDIS_URL", "redis://127.0.0.1:7001")])).unwrap();
        assert_eq!(c.redis_url.as_ref().map(Secret::expose), Some("redis://127.0.0.1:7002"));
        let err = Config::load_from(home, &env(&[("PACER_REDIS_URL", "http://:secretpw@host")])).unwrap_err();
        assert!(err.to_string().contains("redis_url") && !err.to_string().contains("secretpw"), "{err}");
        let none =
            Config::load_from(Overrides { home: Some(dir.path().join("none")), ..Default::default() }, &env(&[]));
        assert!(none.unwrap().redis_url.is_none(), "no redis_url: in-memory limits");
    }

    #[test]
    fn secret_file_variant_and_redaction() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s");
        std::fs::write(&f, "topsecret\n").unwrap();
        let c = Config::load_from(
            Overrides { home: Some(dir.path().into()), ..Default::default() },
            &env(&[("PACER_STRAVA_CLIENT_SECRET_FILE", f.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(c.strava.client_secret.as_ref().unwrap().expose(), "topsecret");
        assert!(!format!("{c:?}").contains("topsecret"));
    }

    #[test]
    fn trusted_proxies_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let home = Overrides { home: Some(dir.path().into()), ..Default::default() };
        let c = Config::load_from(home.clone(), &env(&[])).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.trusted_proxies[0].contains(&"10.9.8.7".parse::<std::net::IpAddr>().unwrap()));
        let c =
            Config::load_from(home.clone(), &env(&[("PACER_TRUSTED_PROXIES", "192.0.2.1, 198.51.100.0/24")])).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        let err = Config::load_from(home, &env(&[("PACER_TRUSTED_PROXIES", "proxy.local")])).unwrap_err();
        assert!(err.to_string().contains("PACER_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn database_url_layers_and_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cret\n").unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!("database_url = \"postgres://pacer@db:5432/file\"\ndatabase_password_file = {:?}\n", pw),
        )
        .unwrap();
        let home = Overrides { home: Some(dir.path().into()), ..Default::default() };
        let c = Config::load_from(home.clone(), &env(&[])).unwrap();
        let DatabaseUrl::Postgres(pg) = &c.database_url else { panic!("postgres from the file") };
        assert_eq!(pg.config().get_dbname(), Some("file"));
        assert_eq!(pg.config().get_password(), Some(&b"s3cret"[..]));
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = Config::load_from(home.clone(), &env(&[("PACER_DATABASE_URL", "postgres://pacer@db/env")])).unwrap();
        assert!(matches!(&c.database_url, DatabaseUrl::Postgres(pg) if pg.config().get_dbname() == Some("env")));
        let flag = Overrides { database_url: Some("postgres://pacer@db/flag".into()), ..home.clone() };
        let c = Config::load_from(flag, &env(&[("PACER_DATABASE_URL", "postgres://pacer@db/env")])).unwrap();
        assert!(matches!(&c.database_url, DatabaseUrl::Postgres(pg) if pg.config().get_dbname() == Some("flag")));
        let other = tempfile::tempdir().unwrap();
        let c =
            Config::load_from(Overrides { home: Some(other.path().into()), ..Default::default() }, &env(&[])).unwrap();
        assert!(matches!(&c.database_url, DatabaseUrl::Sqlite(p) if *p == other.path().join("pacer.db")));
        assert_eq!(c.db_path(), other.path().join("pacer.db"));
    }

    #[test]
    fn defaults_are_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let c =
            Config::load_from(Overrides { home: Some(dir.path().into()), ..Default::default() }, &env(&[])).unwrap();
        assert!(c.http.ip().is_loopback());
        assert_eq!(c.http.port(), 8081);
        assert_eq!(c.max_body_bytes, 64 * 1024);
        assert!(Config::load_from(Overrides { http: Some("nope".into()), ..Default::default() }, &env(&[])).is_err());
    }
}
