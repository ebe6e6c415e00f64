//! Provider errors. Messages are safe to show to users and agents: they never contain tokens,
//! client secrets or authorization codes.

use chrono::{DateTime, SecondsFormat, Utc};

/// Which provider rate-limit window was exhausted.
pub const WINDOW_15_MIN: &str = "15-minute";
/// The daily rate-limit window (resets at UTC midnight).
pub const WINDOW_DAILY: &str = "daily";

/// What can go wrong talking to a fitness provider or using its tokens.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The user has not connected this provider (or disconnected it).
    #[error("provider not connected")]
    NotConnected,
    /// Refreshing the access token failed; the user may need to reconnect. `reason` is for
    /// logs and is never part of the message.
    #[error("Token refresh failed")]
    TokenRefreshFailed {
        /// Why (safe to log: no secrets).
        reason: String,
    },
    /// The provider rejected the access token.
    #[error("provider rejected the access token (unauthorized)")]
    Unauthorized,
    /// A provider rate limit is exhausted; no request was sent or the provider answered 429.
    #[error(
        "{provider} rate limit reached ({window} window); retry after {} (in {retry_after_s} s)",
        retry_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    )]
    RateLimited {
        /// Display name of the provider, e.g. `Strava`.
        provider: &'static str,
        /// [`WINDOW_15_MIN`] or [`WINDOW_DAILY`].
        window: &'static str,
        /// When the window resets.
        retry_at: DateTime<Utc>,
        /// Seconds from the error until `retry_at`.
        retry_after_s: u64,
    },
    /// The resource does not exist (or is not visible to this athlete).
    #[error("not found: {0}")]
    NotFound(String),
    /// The provider refused the request as invalid (e.g. a bad upload or authorization code).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The provider answered with another error status.
    #[error("provider error (HTTP {status}): {message}")]
    Upstream {
        /// HTTP status code.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The request could not be sent or the response not received (connect, TLS, timeout).
    #[error("could not reach the provider: {0}")]
    Transport(String),
    /// The provider's response could not be understood.
    #[error("unexpected response from the provider: {0}")]
    Decode(String),
    /// The local activity store failed (database error; details are logged, not shown).
    #[error("local activity store unavailable: {0}")]
    LocalStore(String),
    /// No client of this provider is configured in this daemon.
    #[error("{0} is not configured in this pacer daemon")]
    NotConfigured(pacer_shared::ProviderId),
    /// The stored tokens could not be read, opened or written (database or vault failure).
    #[error("stored provider tokens unavailable: {0}")]
    TokenStorage(String),
}

impl ProviderError {
    /// Builds [`ProviderError::RateLimited`] for a window resetting at `retry_at`.
    pub fn rate_limited(
        provider: &'static str,
        window: &'static str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        let retry_after_s = u64::try_from((retry_at - now).num_seconds()).unwrap_or(0);
        Self::RateLimited { provider, window, retry_at, retry_after_s }
    }

    /// True for errors worth retrying the same request for (5xx and transport failures).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Upstream { status, .. } => *status >= 500,
            Self::Transport(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn messages() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 13, 9, 48).single().expect("time");
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 13, 15, 0).single().expect("time");
        let err = ProviderError::rate_limited("Strava", WINDOW_15_MIN, at, now);
        assert_eq!(
            err.to_string(),
            "Strava rate limit reached (15-minute window); retry after 2026-11-25T13:15:00Z (in 312 s)"
        );
        let err = ProviderError::TokenRefreshFailed { reason: "invalid_grant".into() };
        assert_eq!(err.to_string(), "Token refresh failed");
    }
}
