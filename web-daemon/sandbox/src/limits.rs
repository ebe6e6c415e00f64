//! Strava's rate limits and the gate every `/api/v3` call passes: injected latency, usage
//! accounting per client (15-minute windows aligned to :00/:15/:30/:45 and UTC days), 429 when
//! spent, injected failures (`fail_next`) and the `X-RateLimit-*` / `X-ReadRateLimit-*` headers
//! on every response.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError as _, web};
use serde::Serialize;

use super::Shared;
use super::error::Fault;
use super::request::bearer;

const WINDOW_S: i64 = 15 * 60;
const DAY_S: i64 = 24 * 60 * 60;

/// The limits in force (configuration overridden by fault switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Limits {
    pub(crate) limit_15min: u32,
    pub(crate) limit_daily: u32,
    pub(crate) read_limit_15min: u32,
    pub(crate) read_limit_daily: u32,
}

/// Requests counted for one client in the current windows.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Usage {
    #[serde(skip)]
    window: i64,
    #[serde(skip)]
    day: i64,
    pub(crate) usage_15min: u32,
    pub(crate) usage_daily: u32,
    pub(crate) read_usage_15min: u32,
    pub(crate) read_usage_daily: u32,
}

impl Usage {
    fn roll(&mut self, now: i64) {
        let (window, day) = (now.div_euclid(WINDOW_S), now.div_euclid(DAY_S));
        if window != self.window {
            self.window = window;
            self.usage_15min = 0;
            self.read_usage_15min = 0;
        }
        if day != self.day {
            self.day = day;
            self.usage_daily = 0;
            self.read_usage_daily = 0;
        }
    }

    /// Counts the request if a limit allows it; rejected requests are not counted.
    pub(crate) fn admit(&mut self, now: i64, is_read: bool, limits: &Limits) -> bool {
        self.roll(now);
        let spent = self.usage_15min >= limits.limit_15min
            || self.usage_daily >= limits.limit_daily
            || (is_read
                && (self.read_usage_15min >= limits.read_limit_15min
                    || self.read_usage_daily >= limits.read_limit_daily));
        if spent {
            return false;
        }
        self.usage_15min += 1;
        self.usage_daily += 1;
        if is_read {
            self.read_usage_15min += 1;
            self.read_usage_daily += 1;
        }
        true
    }

    fn headers(&self, limits: &Limits) -> [(&'static str, String); 4] {
        [
            ("x-ratelimit-limit", format!("{},{}", limits.limit_15min, limits.limit_daily)),
            ("x-ratelimit-usage", format!("{},{}", self.usage_15min, self.usage_daily)),
            ("x-readratelimit-limit", format!("{},{}", limits.read_limit_15min, limits.read_limit_daily)),
            ("x-readratelimit-usage", format!("{},{}", self.read_usage_15min, self.read_usage_daily)),
        ]
    }
}

/// Middleware body for the `/api/v3` scope.
pub(crate) async fn gate(
    shared: web::Data<Shared>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let latency = shared.state().faults.latency_ms;
    if latency > 0 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let token = bearer(req.request());
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let now = chrono::Utc::now().timestamp();
    let (admitted, injected, headers) = {
        let mut state = shared.state();
        state.counters.api_calls += 1;
        let client =
            token.as_deref().and_then(|t| state.tokens.client_of(t)).unwrap_or(&shared.config.client_id).to_owned();
        let limits = state.faults.limits(&shared.config);
        let usage = state.usage.entry(client).or_default();
        let admitted = usage.admit(now, is_read, &limits);
        let headers = usage.headers(&limits);
        let injected = if admitted { state.faults.take_fail_next() } else { None };
        (admitted, injected, headers)
    };
    let mut response = if !admitted {
        tracing::debug!(path = req.path(), "sandbox: rate limit exceeded");
        req.into_response(Fault::rate_limited().error_response())
    } else if let Some(status) = injected {
        tracing::debug!(path = req.path(), %status, "sandbox: injected failure");
        req.into_response(Fault::server_error(status).error_response())
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_reset_on_quarter_hours_and_utc_midnight() {
        let limits = Limits { limit_15min: 2, limit_daily: 3, read_limit_15min: 1, read_limit_daily: 10 };
        let mut usage = Usage::default();
        let t0 = 1_700_000_100; // 2023-11-14 22:15:00 UTC
        assert!(usage.admit(t0, true, &limits));
        assert!(!usage.admit(t0 + 1, true, &limits), "read limit of 1 per window");
        assert!(usage.admit(t0 + 2, false, &limits));
        assert!(!usage.admit(t0 + 3, false, &limits), "overall limit of 2 per window");
        let next_window = (t0 / WINDOW_S + 1) * WINDOW_S;
        assert!(!usage.admit(next_window - 1, false, &limits));
        assert!(usage.admit(next_window, true, &limits), "new window");
        assert_eq!((usage.usage_15min, usage.usage_daily, usage.read_usage_daily), (1, 3, 2));
        assert!(!usage.admit(next_window + 1, false, &limits), "daily limit of 3");
        let midnight = (t0 / DAY_S + 1) * DAY_S;
        assert!(usage.admit(midnight, false, &limits), "new UTC day");
        assert_eq!(usage.usage_daily, 1);
    }
}
