//! Rate limits and server errors.

use std::time::Duration;

use chrono::Utc;
use pacerd::provider::{FitnessProvider, ProviderError, WINDOW_15_MIN};
use serde_json::json;

use super::{CLIENT_ID, Harness, now_s, sandbox_client, upload_request};
use crate::data::gpx;

/// Waits out the last seconds of a 15-minute window so a test's usage stays in one window.
async fn away_from_window_edge() {
    let left = 900 - now_s().rem_euclid(900);
    if left < 10 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(left).unwrap_or(0) + 1)).await;
    }
}

fn assert_rate_limited(err: &ProviderError) {
    let ProviderError::RateLimited { window, retry_at, retry_after_s, provider } = err else {
        panic!("expected RateLimited, got {err:?}");
    };
    assert_eq!(*provider, "Strava");
    assert_eq!(*window, WINDOW_15_MIN);
    let now = Utc::now();
    assert!(*retry_at > now, "retry time {retry_at} is in the future");
    assert!(*retry_at <= now + chrono::Duration::minutes(15));
    assert!(*retry_after_s <= 900);
    assert!(err.to_string().starts_with("Strava rate limit reached (15-minute window); retry after "), "{err}");
}

#[test]
fn injected_429_is_rate_limited_and_the_next_call_is_not_sent() {
    let h = Harness::start();
    h.run(async {
        away_from_window_edge().await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        h.faults(json!({"fail_next": {"status": 429, "count": 1}})).await;
        let err = h.athlete().await.expect_err("429");
        assert_rate_limited(&err);
        let calls = h.counter("api_calls").await;
        let again = h.athlete().await.expect_err("refused before sending");
        assert_rate_limited(&again);
        assert_eq!(h.counter("api_calls").await, calls, "nothing reached the provider");
        assert_eq!(h.counter("refresh_count").await, 0, "a 429 is not an auth problem");
    });
}

#[test]
fn spent_rate_limit_refuses_before_sending() {
    let h = Harness::start();
    h.run(async {
        away_from_window_edge().await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let used = h.state().await["usage"][CLIENT_ID]["usage_15min"].as_u64().expect("usage");
        h.faults(json!({"limit_15min": used + 2})).await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.athlete().await, Ok(h.athlete_id), "the last request of the window");
        let usage = h.client.rate_limit_usage().expect("usage tracked");
        assert_eq!((usage.usage_15min, usage.limit_15min), (Some(used as u32 + 2), Some(used as u32 + 2)));

        let calls = h.counter("api_calls").await;
        let err = h.athlete().await.expect_err("limit reached");
        assert_rate_limited(&err);
        assert_eq!(h.counter("api_calls").await, calls, "refused before sending");

        // A client that has not seen the headers yet gets the provider's real 429, then stops.
        let fresh = sandbox_client(&h.daemon.http_url, 2);
        let token = h.initial.access_token.clone();
        let err = fresh.athlete(&token).await.expect_err("429 from the sandbox");
        assert_rate_limited(&err);
        assert_eq!(h.counter("api_calls").await, calls + 1);
        let err = fresh.athlete(&token).await.expect_err("refused locally");
        assert_rate_limited(&err);
        assert_eq!(h.counter("api_calls").await, calls + 1, "refused before sending");
    });
}

#[test]
fn server_errors_are_retried_for_reads_only() {
    let h = Harness::start();
    h.run(async {
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let calls = h.counter("api_calls").await;
        h.faults(json!({"fail_next": {"status": 503, "count": 1}})).await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id), "retried after one 503");
        assert_eq!(h.counter("api_calls").await, calls + 2);

        // More failures than retries (2): the read gives up with Upstream after 3 attempts.
        let calls = h.counter("api_calls").await;
        h.faults(json!({"fail_next": {"status": 503, "count": 3}})).await;
        let err = h.athlete().await.expect_err("503 three times");
        assert!(matches!(err, ProviderError::Upstream { status: 503, .. }), "{err:?}");
        let state = h.state().await;
        assert_eq!(state["api_calls"], calls + 3, "one call plus two retries");
        assert!(state["faults"]["fail_next"].is_null(), "all injected failures consumed");

        // Writes are never retried.
        let calls = h.counter("api_calls").await;
        h.faults(json!({"fail_next": {"status": 502, "count": 1}})).await;
        let (file, _) = gpx(Utc::now() - chrono::Duration::hours(3), 20, 5, (45.5, 6.5));
        let err = h.upload(upload_request(file, "upload during outage", None)).await.expect_err("502");
        assert!(matches!(err, ProviderError::Upstream { status: 502, .. }), "{err:?}");
        assert_eq!(h.counter("api_calls").await, calls + 1, "not retried");
        assert_eq!(h.counter("refresh_count").await, 0);
    });
}
