//! `GET /api/me`: the tenant header, the key's identity and rate limit, refused keys.

use actix_web::http::StatusCode;
use actix_web::test;

use super::{LimitSettings, api_key, bearer, fixture, jwt_for, limits, now, send, user};
use crate::accounts;

#[actix_web::test]
async fn tenant_header_must_match_the_credentials() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let eve = user(&fx, "eve@example.com", Some("acme")).await;
    let (jwt, key) = (jwt_for(&fx, &ada), api_key(&fx, &ada).await);
    let app = app!(fx);
    let list = |tenant: &str| {
        test::TestRequest::get()
            .uri("/api/keys/list")
            .insert_header(bearer(&jwt))
            .insert_header(("X-Tenant-ID", tenant.to_string()))
            .to_request()
    };
    let me = |tenant: &str| {
        test::TestRequest::get()
            .uri("/api/me")
            .insert_header(("X-API-Key", key.clone()))
            .insert_header(("X-Tenant-ID", tenant.to_string()))
            .to_request()
    };
    for r in [
        send(&app, list(eve.tenant_id.as_str())).await,
        send(&app, me(eve.tenant_id.as_str())).await,
        send(&app, me("")).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.error_code(), "forbidden");
    }
    assert_eq!(send(&app, list(ada.tenant_id.as_str())).await.status, StatusCode::OK);
    assert_eq!(send(&app, me(ada.tenant_id.as_str())).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn me_identifies_the_key_and_counts_down() {
    let fx = fixture(limits(3, 30));
    let ada = user(&fx, "ada@example.com", None).await;
    let (key_a, key_b) = (api_key(&fx, &ada).await, api_key(&fx, &ada).await);
    let app = app!(fx);
    let me =
        |key: &str| test::TestRequest::get().uri("/api/me").insert_header(("X-API-Key", key.to_string())).to_request();
    let mut reset = 0;
    for remaining in [2, 1, 0] {
        let r = send(&app, me(&key_a)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.header_num("x-ratelimit-limit"), 3);
        assert_eq!(r.header_num("x-ratelimit-remaining"), remaining);
        reset = r.header_num("x-ratelimit-reset");
        assert!(reset > now());
        assert!(r.header("retry-after").is_none());
        assert_eq!(r.body["tenant_id"], ada.tenant_id.as_str());
        assert_eq!(r.body["user_id"], ada.id.as_str());
        assert_eq!(r.body["tier"], "free");
    }
    let r = send(&app, me(&key_a)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "rate_limited");
    assert!(r.error_message().contains("retry in"), "{:?}", r.body);
    assert_eq!((r.header_num("x-ratelimit-limit"), r.header_num("x-ratelimit-remaining")), (3, 0));
    let retry = r.header_num("retry-after");
    assert!((1..=20).contains(&retry), "{retry}");
    // Both resets round the same instant up to whole seconds from slightly different clocks: the
    // 429's may land one second earlier than the last allowed answer's, never later than a minute.
    let reset_429 = r.header_num("x-ratelimit-reset");
    assert!(reset_429 >= reset - 1 && reset_429 <= now() + 61, "{reset_429} vs {reset}");
    let b = send(&app, me(&key_b)).await;
    assert_eq!((b.status, b.header_num("x-ratelimit-remaining")), (StatusCode::OK, 2));

    let keys = accounts::list_keys(&fx.data.store, &ada.tenant_id, &ada.id).await.unwrap();
    assert!(keys.iter().all(|k| k.last_used_at.is_some()), "{keys:?}");
}

#[actix_web::test]
async fn me_rejects_missing_unknown_and_malformed_keys() {
    let fx = fixture(LimitSettings::default());
    let app = app!(fx);
    let unknown = format!("pk_live_{}", "a".repeat(40));
    for key in [None, Some(""), Some("pk_live_short"), Some(unknown.as_str())] {
        let mut req = test::TestRequest::get().uri("/api/me");
        if let Some(k) = key {
            req = req.insert_header(("X-API-Key", k));
        }
        let r = send(&app, req.to_request()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(r.error_code(), "unauthorized");
        assert!(r.header("x-ratelimit-limit").is_none());
    }
}
