//! Tokens: refresh ahead of expiry, on 401, rotation, single-flight, failure.

use pacer_shared::ProviderId;
use pacerd::provider::{OAuthConnect, ProviderError};
use serde_json::json;

use super::{Harness, SANDBOX_TTL_S, now_s};

#[test]
fn refresh_ahead_of_expiry_rotates_the_refresh_token() {
    let h = Harness::start();
    h.run(async {
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let refreshes = h.counter("refresh_count").await;
        assert_eq!(refreshes, 0, "a fresh token is used as is");

        let soon = now_s() + 120; // inside the 5-minute margin
        h.store_initial_expiring(soon).await;
        assert_eq!(h.stored_expiry(&h.owner).await, soon);
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.counter("refresh_count").await, refreshes + 1, "refreshed before the call");
        let moved = h.stored_expiry(&h.owner).await;
        assert!(moved >= now_s() + SANDBOX_TTL_S - 10, "stored expiry moved from {soon} to {moved}");

        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.counter("refresh_count").await, refreshes + 1, "the new token needs no refresh");

        // Rotation: the refresh token used above is dead at the provider.
        let (status, body) = h.raw_refresh(&h.initial.refresh_token).await;
        assert_eq!(status, 400, "old refresh token rejected: {body}");
        assert_eq!(body["errors"][0]["resource"], "RefreshToken", "{body}");
        let direct = h.client.refresh(&h.initial.refresh_token).await;
        assert!(matches!(direct, Err(ProviderError::BadRequest(_))), "{direct:?}");
        assert_eq!(h.counter("refresh_count").await, refreshes + 1);
    });
}

#[test]
fn refresh_on_401_happens_once_and_retries() {
    let h = Harness::start();
    h.run(async {
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let expiry = h.stored_expiry(&h.owner).await;
        let state = h.faults(json!({"expire_access_tokens": h.athlete_id})).await;
        let (refreshes, calls) = (state["refresh_count"].as_u64().expect("n"), state["api_calls"].as_u64().expect("n"));

        assert_eq!(h.athlete().await, Ok(h.athlete_id), "succeeds after a refresh");
        let state = h.state().await;
        assert_eq!(state["refresh_count"], refreshes + 1, "exactly one refresh");
        assert_eq!(state["api_calls"], calls + 2, "the 401 and the retry");
        assert!(h.stored_expiry(&h.owner).await >= expiry, "new expiry stored");

        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let state = h.state().await;
        assert_eq!(
            (state["refresh_count"].as_u64(), state["api_calls"].as_u64()),
            (Some(refreshes + 1), Some(calls + 3))
        );

        // The refresh token stored at connect time was rotated away.
        let (status, _) = h.raw_refresh(&h.initial.refresh_token).await;
        assert_eq!(status, 400);
    });
}

#[test]
fn concurrent_calls_with_an_expired_token_refresh_once() {
    let h = Harness::start();
    h.run(async {
        let run_20 = || async {
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let (service, client, owner) = (h.service.clone(), h.client.clone(), h.owner.clone());
                    tokio::spawn(async move {
                        service
                            .with_access_token(ProviderId::Strava, &owner.tenant, &owner.user, |t| {
                                let client = client.clone();
                                async move { client.athlete(&t).await.map(|a| a.id) }
                            })
                            .await
                    })
                })
                .collect();
            futures_util::future::join_all(tasks).await.into_iter().map(|r| r.expect("task")).collect::<Vec<_>>()
        };

        // Expired locally and at the provider.
        h.store_initial_expiring(now_s() - 60).await;
        h.faults(json!({"expire_access_tokens": "all", "latency_ms": 20})).await;
        let before = h.counter("refresh_count").await;
        let results = run_20().await;
        assert!(results.iter().all(|r| *r == Ok(h.athlete_id)), "{results:?}");
        assert_eq!(h.counter("refresh_count").await, before + 1, "single-flight refresh");

        // Valid locally, rejected by the provider (401): still one refresh for all 20.
        h.faults(json!({"expire_access_tokens": "all"})).await;
        let before = h.counter("refresh_count").await;
        let results = run_20().await;
        assert!(results.iter().all(|r| *r == Ok(h.athlete_id)), "{results:?}");
        assert_eq!(h.counter("refresh_count").await, before + 1, "single-flight refresh after 401s");
    });
}

#[test]
fn refresh_failure_is_token_refresh_failed() {
    let h = Harness::start();
    h.run(async {
        h.faults(json!({"fail_refresh": true, "expire_access_tokens": "all"})).await;
        let tokens_before = h.counter("token_requests").await;

        // Expired locally: the refresh before the call fails.
        h.store_initial_expiring(now_s() - 60).await;
        let err = h.athlete().await.expect_err("refresh fails");
        assert!(matches!(err, ProviderError::TokenRefreshFailed { .. }), "{err:?}");
        assert_eq!(err.to_string(), "Token refresh failed");
        assert_eq!(h.counter("token_requests").await, tokens_before + 1);

        // Valid locally but rejected (401): the forced refresh fails the same way.
        h.store_initial_expiring(now_s() + 3600).await;
        let err = h.athlete().await.expect_err("refresh fails");
        assert_eq!(err.to_string(), "Token refresh failed");
        assert!(matches!(err, ProviderError::TokenRefreshFailed { ref reason } if !reason.contains(h.initial.refresh_token.expose())));
        assert_eq!(h.counter("refresh_count").await, 0);
        assert!(h.service.connection(ProviderId::Strava, &h.owner.tenant, &h.owner.user).await.expect("conn").is_some(), "still connected");

        // Once the provider recovers, the same refresh token still works.
        h.faults(json!({"fail_refresh": false})).await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.counter("refresh_count").await, 1);
    });
}
