//! The one mapping from domain errors to HTTP responses:
//! `{"error": {"code": "...", "message": "..."}}` with the matching status.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::a2a::registry::RegistryError;
use crate::accounts::AccountError;
use crate::auth::AuthError;
use crate::limits::Decision;
use crate::oauth::OAuthError;
use crate::provider::ProviderError;
use crate::store::StoreError;

/// An HTTP-facing error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for `Retry-After` on 429.
    pub retry_after: Option<u64>,
    /// The rate-limit decision behind a 429; its `X-RateLimit-*` headers go on the response.
    pub rate_limit: Option<Decision>,
    /// A `WWW-Authenticate` challenge (MCP routes: where the OAuth metadata is, which scope).
    pub www_authenticate: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `unauthorized`, `invalid_input`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None, rate_limit: None, www_authenticate: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
    /// 500 with `message`; `detail` goes to the log only.
    pub fn internal_logged(message: &'static str, detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "{message}");
        Self::internal(format!("internal error: {message}"))
    }
    /// 408 `request_timeout`: the body did not arrive in time ([`super::deadline`]).
    pub fn request_timeout() -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", "the request body arrived too slowly")
    }
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("request body exceeds {limit} bytes"))
    }
    /// 429 `rate_limited` for a denied decision: `Retry-After` plus the `X-RateLimit-*` headers;
    /// 503 `rate_limiter_unavailable` (same headers) when the limiter's store could not be asked
    /// and the scope fails closed ([`Decision::unavailable`]).
    pub fn rate_limited(d: &Decision) -> Self {
        if d.unavailable {
            let message = format!(
                "the rate limiter cannot be reached, so this route refuses requests for now; retry in {} s",
                d.retry_after_s
            );
            return Self {
                retry_after: Some(d.retry_after_s),
                rate_limit: Some(*d),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "rate_limiter_unavailable", message)
            };
        }
        let at = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + d.retry_after_s as i64, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let message = format!(
            "rate limit exceeded ({} requests per minute); retry in {} s (after {at})",
            d.limit, d.retry_after_s
        );
        Self {
            retry_after: Some(d.retry_after_s),
            rate_limit: Some(*d),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(s) = self.retry_after {
            res.insert_header(("Retry-After", s.to_string()));
        }
        if let Some(challenge) = &self.www_authenticate {
            res.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge.clone()));
        }
        let mut res =
            res.json(ErrorBody { error: ErrorDetail { code: self.code.to_string(), message: self.message.clone() } });
        if let Some(d) = &self.rate_limit {
            apply_headers(res.headers_mut(), d);
        }
        res
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized(m) => Self::unauthorized(m),
            AuthError::Forbidden(m) => Self::forbidden(m),
            AuthError::Internal(m) => {
                tracing::error!(error = %m, "authentication backend failed");
                Self::internal("internal error")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid(m) => Self::bad_request(m),
            other => {
                tracing::error!(error = %other, "store failed");
                Self::internal("internal error")
            }
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Invalid { .. } => Self::bad_request(e.to_string()),
            RegistryError::Duplicate(_) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            RegistryError::NotFound(_) => Self::not_found(e.to_string()),
            RegistryError::QuotaExceeded(m) => Self::new(StatusCode::FORBIDDEN, "quota_exceeded", m),
            RegistryError::Store(s) => s.into(),
        }
    }
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Provider(ProviderError::NotConfigured(_)) => Self::not_found(e.to_string()),
            OAuthError::Provider(p) => p.into(),
            OAuthError::Missing(_) => Self::new(StatusCode::BAD_REQUEST, "invalid_state", e.to_string()),
            // The state is a one-time credential (CSRF protection): an unknown, spent or expired
            // one is refused (403), like an unknown confirmation.
            OAuthError::UnknownState | OAuthError::ExpiredState => {
                Self::new(StatusCode::FORBIDDEN, "invalid_state", e.to_string())
            }
            OAuthError::WrongBrowser => Self::new(StatusCode::BAD_REQUEST, "invalid_state", e.to_string()),
            // A confirmation is a one-time credential bound to its browser's cookie: an unknown,
            // spent or foreign one is refused like a bad credential (403), not a malformed request.
            OAuthError::UnknownConfirmation => Self::new(StatusCode::FORBIDDEN, "invalid_state", e.to_string()),
            OAuthError::OtherAccount => Self::forbidden(e.to_string()),
            OAuthError::AccessDenied | OAuthError::ProviderDenied(_) => {
                Self::new(StatusCode::BAD_REQUEST, "access_denied", e.to_string())
            }
            OAuthError::Exchange(_) => {
                tracing::warn!(error = %e, "OAuth code exchange failed");
                Self::new(StatusCode::BAD_GATEWAY, "provider_error", e.to_string())
            }
            OAuthError::Store(s) => s.into(),
        }
    }
}

impl From<ProviderError> for ApiError {
    /// Provider failures reaching plain HTTP routes (connection status, disconnect): the stored
    /// connection could not be read or revoked. Details go to the log, never to the client.
    fn from(e: ProviderError) -> Self {
        tracing::error!(error = %e, "provider connection operation failed");
        Self::internal("internal error: cannot read or change the Strava connection")
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid { .. } => Self::bad_request(e.to_string()),
            AccountError::NotFound(what) => Self::not_found(format!("{what} not found")),
            AccountError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            AccountError::Forbidden(m) => Self::forbidden(m),
            AccountError::Store(s) => s.into(),
        }
    }
}

/// Query-string errors (unknown enum value, not a number) as the standard error shape.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::bad_request(format!("invalid query string: {err}")).into())
}

/// JSON body errors (malformed, wrong types, too large) as the standard error shape.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default().limit(limit).error_handler(move |err, _req| {
        use actix_web::error::JsonPayloadError;
        let api = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::payload_too_large(limit)
            }
            JsonPayloadError::ContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ),
            JsonPayloadError::Payload(p) if super::deadline::is_body_timeout(p) => ApiError::request_timeout(),
            other => ApiError::bad_request(format!("invalid JSON body: {other}")),
        };
        api.into()
    })
}

/// Form body errors (malformed, too large) as the standard error shape.
pub fn form_config(limit: usize) -> actix_web::web::FormConfig {
    actix_web::web::FormConfig::default().limit(limit).error_handler(move |err, _req| {
        use actix_web::error::UrlencodedError;
        let api = match &err {
            UrlencodedError::Overflow { .. } => ApiError::payload_too_large(limit),
            UrlencodedError::ContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/x-www-form-urlencoded",
            ),
            UrlencodedError::Payload(p) if super::deadline::is_body_timeout(p) => ApiError::request_timeout(),
            other => ApiError::bad_request(format!("invalid form body: {other}")),
        };
        api.into()
    })
}

pub const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Writes `X-RateLimit-Limit`, `-Remaining`, `-Reset` and, when denied, `Retry-After`.
pub fn apply_headers(headers: &mut HeaderMap, d: &Decision) {
    headers.insert(X_RATELIMIT_LIMIT, HeaderValue::from(d.limit));
    headers.insert(X_RATELIMIT_REMAINING, HeaderValue::from(d.remaining));
    headers.insert(X_RATELIMIT_RESET, HeaderValue::from(d.reset_epoch));
    if !d.allowed {
        headers.insert(actix_web::http::header::RETRY_AFTER, HeaderValue::from(d.retry_after_s));
    }
}
