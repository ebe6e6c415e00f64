//! Sending requests to Strava: the rate-limit check before each API call, header tracking,
//! retries of idempotent reads with jittered exponential backoff, and status → error mapping.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::provider::limits::{LimitHeaders, RateLimitTracker};
use crate::provider::{ProviderError, RateLimitUsage};

/// Display name used in rate-limit messages.
const PROVIDER: &str = pacer_shared::ProviderId::Strava.display_name();
/// Largest API response body accepted (streams of long activities are a few MiB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Largest OAuth response body accepted (a token response with its athlete is about 1 KiB).
const MAX_OAUTH_BODY_BYTES: usize = 256 * 1024;
const BACKOFF_BASE_MS: u64 = 100;
const BACKOFF_CAP_MS: u64 = 2_000;

/// What a request is, which decides rate-limit accounting and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallKind {
    /// An API read (GET): read and overall limits apply; 5xx and transport errors are retried.
    Read,
    /// An API write: overall limits apply; never retried.
    Write,
    /// An OAuth endpoint: no API rate limits; never retried; small bodies only.
    OAuth,
}

impl CallKind {
    /// The largest response body accepted for this kind of call.
    fn max_body_bytes(self) -> usize {
        match self {
            CallKind::Read | CallKind::Write => MAX_BODY_BYTES,
            CallKind::OAuth => MAX_OAUTH_BODY_BYTES,
        }
    }
}

/// Delay before retry number `attempt` (0-based): exponential from 100 ms, capped at 2 s,
/// with "equal jitter" (`jitter` in `[0, 1)` picks within the upper half).
pub(super) fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let exp = BACKOFF_BASE_MS.saturating_mul(1u64 << attempt.min(16)).min(BACKOFF_CAP_MS);
    let half = exp / 2;
    Duration::from_millis(half + (half as f64 * jitter.clamp(0.0, 1.0)) as u64)
}

/// A shared HTTP client plus the latest rate-limit reading.
#[derive(Debug)]
pub(super) struct StravaHttp {
    client: reqwest::Client,
    limits: Mutex<RateLimitTracker>,
    max_retries: u32,
}

impl StravaHttp {
    pub(super) fn new(client: reqwest::Client, max_retries: u32) -> Self {
        Self { client, limits: Mutex::new(RateLimitTracker::default()), max_retries }
    }

    /// The client, for building requests.
    pub(super) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Usage as it stands now.
    pub(super) fn usage(&self) -> Option<RateLimitUsage> {
        self.tracker().usage(Utc::now())
    }

    fn tracker(&self) -> std::sync::MutexGuard<'_, RateLimitTracker> {
        self.limits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `request` and decodes a successful JSON body as `T`.
    pub(super) async fn json<T: DeserializeOwned>(
        &self,
        request: Request,
        kind: CallKind,
        what: &str,
    ) -> Result<T, ProviderError> {
        let body = self.send(request, kind).await?;
        serde_json::from_slice(&body).map_err(|e| ProviderError::Decode(format!("{what}: {e}")))
    }

    /// Sends `request` (retrying reads on 5xx and transport errors) and returns a 2xx body.
    pub(super) async fn send(&self, request: Request, kind: CallKind) -> Result<Vec<u8>, ProviderError> {
        Ok(self.send_response(request, kind).await?.into_body())
    }

    /// Like [`send`](Self::send), but returns the whole 2xx response (status, headers and the
    /// body, read up to the kind's size cap) as an `http` response, e.g. for `oauth2`.
    pub(super) async fn send_response(
        &self,
        request: Request,
        kind: CallKind,
    ) -> Result<::http::Response<Vec<u8>>, ProviderError> {
        let mut pending = Some(request);
        let mut attempt = 0;
        loop {
            let may_retry = kind == CallKind::Read && attempt < self.max_retries;
            let (request, retryable) = match pending.as_ref().and_then(Request::try_clone) {
                Some(copy) if may_retry => (copy, true),
                _ => match pending.take() {
                    Some(request) => (request, false),
                    None => {
                        return Err(ProviderError::Transport("request could not be repeated".into()));
                    }
                },
            };
            match self.send_once(request, kind).await {
                Err(e) if retryable && e.is_transient() => {
                    let delay = backoff_delay(attempt, rand::random::<f64>());
                    tracing::debug!(attempt, ?delay, error = %e, "retrying Strava request");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, request: Request, kind: CallKind) -> Result<::http::Response<Vec<u8>>, ProviderError> {
        let is_read = request.method() == Method::GET;
        if kind != CallKind::OAuth
            && let Some(hit) = self.tracker().check(is_read, Utc::now())
        {
            return Err(ProviderError::rate_limited(PROVIDER, hit.window, hit.retry_at, Utc::now()));
        }
        let response = self.client.execute(request).await.map_err(transport)?;
        let status = response.status();
        self.record_limits(&response);
        let headers = response.headers().clone();
        let body = read_body(response, kind.max_body_bytes()).await?;
        if status.is_success() {
            let mut ok = ::http::Response::new(body);
            *ok.status_mut() = status;
            *ok.headers_mut() = headers;
            return Ok(ok);
        }
        let message = error_message(&body).unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        Err(match status {
            StatusCode::UNAUTHORIZED => ProviderError::Unauthorized,
            StatusCode::NOT_FOUND => ProviderError::NotFound(message),
            StatusCode::TOO_MANY_REQUESTS => {
                let now = Utc::now();
                let hit = self.tracker().on_rejected(is_read, now);
                ProviderError::rate_limited(PROVIDER, hit.window, hit.retry_at, now)
            }
            StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                ProviderError::BadRequest(message)
            }
            other => ProviderError::Upstream { status: other.as_u16(), message },
        })
    }

    fn record_limits(&self, response: &Response) {
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
        let headers = LimitHeaders {
            limit: header("x-ratelimit-limit"),
            usage: header("x-ratelimit-usage"),
            read_limit: header("x-readratelimit-limit"),
            read_usage: header("x-readratelimit-usage"),
        };
        self.tracker().record(headers, Utc::now());
    }
}

/// Strava's error body: `{"message": "...", "errors": [{"resource", "field", "code"}]}`.
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message").and_then(Value::as_str).unwrap_or("").to_owned();
    let details: Vec<String> = value
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let part = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            [part("resource"), part("field"), part("code")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty())
        .collect();
    let text = match (message.is_empty(), details.is_empty()) {
        (true, true) => return None,
        (false, true) => message,
        (true, false) => details.join("; "),
        (false, false) => format!("{message} ({})", details.join("; ")),
    };
    Some(text.chars().take(300).collect())
}

/// Reads the body, refusing more than `max` bytes.
async fn read_body(mut response: Response, max: usize) -> Result<Vec<u8>, ProviderError> {
    let too_big = || ProviderError::Decode(format!("response larger than {max} bytes"));
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > max {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport error with its cause chain (URLs carry no secrets: tokens travel in headers
/// and form bodies only).
pub(super) fn transport(err: reqwest::Error) -> ProviderError {
    let mut message = if err.is_timeout() { format!("timed out: {err}") } else { err.to_string() };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ProviderError::Transport(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(backoff_delay(0, 0.999), Duration::from_millis(99));
        assert_eq!(backoff_delay(1, 0.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(3, 0.0), Duration::from_millis(400));
        assert_eq!(backoff_delay(10, 0.0), Duration::from_millis(1_000));
        assert!(backoff_delay(40, 1.0) <= Duration::from_millis(BACKOFF_CAP_MS));
    }
}
