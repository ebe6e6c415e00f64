//! `/api/keys/*`: create, list and revoke; other users' keys; bad sessions and bad input.

use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::{Value, json};

use super::{LimitSettings, SECRET, bearer, fixture, jwt_for, now, send, user};
use crate::accounts;
use crate::auth::jwt::{Claims, JwtKeys};

#[actix_web::test]
async fn create_list_and_revoke_keys() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let jwt = jwt_for(&fx, &ada);
    accounts::set_key_tier_allowance(&fx.data.store, "ada@example.com", pacer_shared::Tier::Premium).await.unwrap();
    let app = app!(fx);

    let req = test::TestRequest::post()
        .uri("/api/keys/create")
        .insert_header(bearer(&jwt))
        .set_json(json!({"name": "Production Key", "description": "Main app key", "tier": "premium"}))
        .to_request();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let mut top: Vec<_> = r.body.as_object().unwrap().keys().cloned().collect();
    top.sort();
    assert_eq!(top, ["api_key", "key_info", "warning"]);
    let mut info: Vec<_> = r.body["key_info"].as_object().unwrap().keys().cloned().collect();
    info.sort();
    assert_eq!(info, ["created_at", "description", "id", "key_prefix", "name", "tier"]);
    assert_eq!(r.body["warning"], "Store securely - won't be shown again");
    assert_eq!(r.body["key_info"]["tier"], "premium");
    assert_eq!(r.body["key_info"]["description"], "Main app key");
    let secret = r.body["api_key"].as_str().unwrap().to_string();
    let prefix = r.body["key_info"]["key_prefix"].as_str().unwrap();
    assert!(secret.starts_with("pk_live_") && secret.starts_with(prefix));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let key_id = r.body["key_info"]["id"].as_str().unwrap().to_string();

    // The session cookie works as well as the Bearer header; tier defaults to free.
    let req = test::TestRequest::post()
        .uri("/api/keys/create")
        .cookie(crate::http::session::session_cookie(&fx.data, &jwt))
        .set_json(json!({"name": "second"}))
        .to_request();
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["key_info"]["tier"], "free");
    assert_eq!(r.body["key_info"]["description"], Value::Null);

    let r = send(&app, test::TestRequest::get().uri("/api/keys/list").insert_header(bearer(&jwt)).to_request()).await;
    assert_eq!(r.status, StatusCode::OK);
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let mut fields: Vec<_> = keys[0].as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["created_at", "description", "id", "is_active", "key_prefix", "last_used_at", "name", "tier"]);
    assert!(!r.body.to_string().contains(&secret));

    let r = send(
        &app,
        test::TestRequest::delete().uri(&format!("/api/keys/{key_id}")).insert_header(bearer(&jwt)).to_request(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"id": key_id, "is_active": false}));
    let r = send(&app, test::TestRequest::get().uri("/api/keys/list").insert_header(bearer(&jwt)).to_request()).await;
    let revoked = r.body["keys"].as_array().unwrap().iter().find(|k| k["id"] == key_id.as_str()).unwrap().clone();
    assert_eq!(revoked["is_active"], false);
    let r =
        send(&app, test::TestRequest::get().uri("/api/me").insert_header(("X-API-Key", secret.as_str())).to_request())
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn other_users_and_tenants_keys_are_not_found() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let bob = user(&fx, "bob@example.com", None).await;
    let eve = user(&fx, "eve@example.com", Some("acme")).await;
    let app = app!(fx);
    let ada_key = accounts::create_key(
        &fx.data.store,
        &ada.tenant_id,
        &ada.id,
        "k",
        None,
        pacer_shared::Tier::Free,
        accounts::Grantor::Admin,
    )
    .await
    .unwrap();
    for intruder in [&bob, &eve] {
        let req = test::TestRequest::delete()
            .uri(&format!("/api/keys/{}", ada_key.key_info.id))
            .insert_header(bearer(&jwt_for(&fx, intruder)))
            .to_request();
        let r = send(&app, req).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error_code(), "not_found");
    }
    let r = send(
        &app,
        test::TestRequest::get().uri("/api/keys/list").insert_header(bearer(&jwt_for(&fx, &eve))).to_request(),
    )
    .await;
    assert_eq!(r.body["keys"], json!([]));
    let req = test::TestRequest::delete()
        .uri("/api/keys/no-such-key")
        .insert_header(bearer(&jwt_for(&fx, &ada)))
        .to_request();
    assert_eq!(send(&app, req).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn key_routes_reject_bad_sessions_and_bad_input() {
    let fx = fixture(LimitSettings::default());
    let ada = user(&fx, "ada@example.com", None).await;
    let jwt = jwt_for(&fx, &ada);
    let app = app!(fx);
    let create = |auth: Option<(&'static str, String)>, body: Value| {
        let mut req = test::TestRequest::post().uri("/api/keys/create").set_json(body);
        if let Some(h) = auth {
            req = req.insert_header(h);
        }
        req.to_request()
    };

    let expired = {
        let claims = Claims {
            sub: ada.id.to_string(),
            tid: ada.tenant_id.to_string(),
            exp: now() - 10,
            iat: now() - 3610,
            nbf: None,
            jti: "x".into(),
        };
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET))
            .unwrap()
    };
    let foreign = JwtKeys::from_secret(b"another-secret-another-secret-xx").issue(&ada.tenant_id, &ada.id).unwrap();
    for (auth, why) in [
        (None, "missing credentials"),
        (Some(bearer("not.a.jwt")), "invalid token"),
        (Some(bearer(&expired)), "token expired"),
        (Some(bearer(foreign.expose())), "invalid token"),
        (Some(("Authorization", format!("Basic {jwt}"))), "Bearer"),
    ] {
        let r = send(&app, create(auth, json!({"name": "x"}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(r.error_code(), "unauthorized");
        assert!(r.error_message().contains(why), "{why}: {:?}", r.body);
    }
    for path in ["/api/keys/list"] {
        assert_eq!(send(&app, test::TestRequest::get().uri(path).to_request()).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        send(&app, test::TestRequest::delete().uri("/api/keys/x").to_request()).await.status,
        StatusCode::UNAUTHORIZED
    );

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "n".repeat(101)}), "name"),
        (json!({"name": "ok", "tier": "gold"}), "tier"),
        (json!({"name": "ok", "description": "d".repeat(501)}), "description"),
        (json!({"description": "no name"}), "name"),
    ] {
        let r = send(&app, create(Some(bearer(&jwt)), body.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.error_code(), "invalid_input");
        assert!(r.error_message().contains(field), "{body}: {:?}", r.body);
    }
    let r = send(&app, create(Some(bearer(&jwt)), json!({"name": "n".repeat(100)}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
}
