//! [`StravaClient`]: Strava API v3 (or the sandbox that speaks it) as a
//! [`FitnessProvider`](crate::provider::FitnessProvider).
//!
//! `http` sends requests (rate-limit check, retries, error mapping), `wire` and `streams` map
//! Strava's JSON to pacer's types, `api` implements the data side, `oauth` the connect side
//! (on the `oauth2` crate, its HTTP requests sent through `http`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use pacer_shared::Secret;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Request};
use serde::de::DeserializeOwned;
use url::Url;

use crate::provider::{ProviderError, ProviderResult, UploadRequest, UploadStatus};
use http::{CallKind, StravaHttp, transport};
use oauth::StravaOAuth;
use wire::WireUpload;

mod api;
mod http;
mod oauth;
mod streams;
mod wire;

/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default number of retries of idempotent reads after a 5xx or transport error.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Strava's production API base.
pub const STRAVA_API_BASE: &str = "https://www.strava.com/api/v3";
/// Strava's production OAuth base (`/oauth/authorize`, `/oauth/token`, `/oauth/deauthorize`).
pub const STRAVA_OAUTH_BASE: &str = "https://www.strava.com";

/// How to reach Strava (or the sandbox) and as which application.
#[derive(Debug, Clone)]
pub struct StravaClientConfig {
    /// OAuth application id.
    pub client_id: String,
    /// OAuth application secret.
    pub client_secret: Secret,
    /// API base, e.g. `https://www.strava.com/api/v3` or
    /// `http://127.0.0.1:8081/sandbox/strava/api/v3`.
    pub api_base: String,
    /// OAuth base, e.g. `https://www.strava.com` or `http://127.0.0.1:8081/sandbox/strava`.
    pub oauth_base: String,
    /// Whole-request timeout (the connect timeout is the smaller of this and 10 s).
    pub timeout: Duration,
    /// Retries of idempotent reads after a 5xx or transport error.
    pub max_retries: u32,
}

impl StravaClientConfig {
    /// Production Strava with default timeout and retries.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            api_base: STRAVA_API_BASE.to_owned(),
            oauth_base: STRAVA_OAUTH_BASE.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

/// Strava API v3 client. One shared connection pool; rate-limit usage tracked across calls.
pub struct StravaClient {
    client_id: String,
    /// The application's OAuth 2.0 client (holds the client secret).
    oauth: StravaOAuth,
    api_base: String,
    oauth_base: String,
    /// Shared with the `oauth2` HTTP closure, which must not borrow the client.
    http: Arc<StravaHttp>,
}

impl fmt::Debug for StravaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StravaClient")
            .field("client_id", &self.client_id)
            .field("api_base", &self.api_base)
            .field("oauth_base", &self.oauth_base)
            .finish_non_exhaustive()
    }
}

/// Validates a base URL and drops any trailing slash.
fn base_url(name: &str, value: &str) -> Result<String, ProviderError> {
    let url = Url::parse(value).map_err(|e| ProviderError::BadRequest(format!("invalid {name} '{value}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
        return Err(ProviderError::BadRequest(format!(
            "invalid {name} '{value}': expected an http(s) URL without query"
        )));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

impl StravaClient {
    /// Builds the client; fails if a base URL is invalid or the HTTP client cannot be built.
    pub fn new(config: StravaClientConfig) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .timeout(config.timeout)
            .user_agent(concat!("pacerd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(transport)?;
        let oauth_base = base_url("oauth_base", &config.oauth_base)?;
        Ok(Self {
            api_base: base_url("api_base", &config.api_base)?,
            oauth: oauth::oauth_client(&config.client_id, &config.client_secret, &oauth_base)?,
            oauth_base,
            client_id: config.client_id,
            http: Arc::new(StravaHttp::new(client, config.max_retries)),
        })
    }

    fn url(&self, base: &str, path: &str) -> Result<Url, ProviderError> {
        Url::parse(&format!("{base}{path}"))
            .map_err(|e| ProviderError::Transport(format!("invalid URL {base}{path}: {e}")))
    }

    fn api_request(&self, method: Method, url: Url, token: &Secret) -> Result<Request, ProviderError> {
        self.http.client().request(method, url).bearer_auth(token.expose()).build().map_err(transport)
    }

    async fn get<T: DeserializeOwned>(&self, token: &Secret, url: Url, what: &str) -> ProviderResult<T> {
        let request = self.api_request(Method::GET, url, token)?;
        self.http.json(request, CallKind::Read, what).await
    }

    async fn upload_file(&self, token: &Secret, req: UploadRequest) -> ProviderResult<UploadStatus> {
        let file_name = format!("activity.{}", req.data_type);
        let mut form = Form::new()
            .text("data_type", req.data_type.clone())
            .part("file", Part::bytes(req.bytes).file_name(file_name));
        let fields = [("name", req.name), ("description", req.description), ("external_id", req.external_id)];
        for (key, value) in fields {
            if let Some(value) = value {
                form = form.text(key, value);
            }
        }
        if let Some(sport) = req.sport_type {
            // Strava documents `activity_type` for uploads; send the newer name too.
            form = form.text("activity_type", sport.clone()).text("sport_type", sport);
        }
        let request = self
            .http
            .client()
            .post(self.url(&self.api_base, "/uploads")?)
            .bearer_auth(token.expose())
            .multipart(form)
            .build()
            .map_err(transport)?;
        let wire: WireUpload = self.http.json(request, CallKind::Write, "upload").await?;
        wire.into_status().map_err(ProviderError::Decode)
    }
}

#[cfg(test)]
mod tests;
