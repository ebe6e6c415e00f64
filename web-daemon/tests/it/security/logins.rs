//! Finding 3: password checks run a few at a time (a burst of logins gets 503 with
//! `Retry-After`, and `/health` keeps answering), and an account is locked for a while after
//! repeated failures, whatever the password then tried.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixture::{Options, TestDaemon, Web};
use crate::flows::PASSWORD;

fn daemon() -> TestDaemon {
    TestDaemon::start_with(Options { config_toml: "[limits]\nip_per_minute = 100000\n".into(), ..Default::default() })
}

#[test]
fn a_burst_of_logins_is_capped_and_health_still_answers() {
    let d = daemon();
    d.user_with_password("ada@example.com", None, PASSWORD);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let login = format!("{}/api/auth/login", d.http_url);
    let health = format!("{}/health", d.http_url);
    let (answers, health) = rt.block_on(async {
        let logins = (0..32).map(|_| {
            let req = client.post(&login).json(&json!({"email": "ada@example.com", "password": PASSWORD}));
            async move {
                let r = req.send().await.expect("login");
                let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                (status, retry, body)
            }
        });
        let health = async {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            client.get(&health).send().await.map(|r| r.status())
        };
        futures_util::future::join(futures_util::future::join_all(logins), health).await
    });
    assert_eq!(health.expect("/health answers during the burst"), StatusCode::OK);
    let ok = answers.iter().filter(|(s, _, _)| *s == StatusCode::OK).count();
    let busy: Vec<_> = answers.iter().filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert_eq!(ok + busy.len(), answers.len(), "only 200 or 503: {answers:?}");
    assert!(ok >= 1, "some logins get through");
    assert!(!busy.is_empty(), "32 concurrent Argon2 checks were not capped");
    for (_, retry, body) in busy {
        assert!(retry.as_deref().is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1)), "{retry:?}");
        assert_eq!(body["error"]["code"], "busy", "{body}");
    }
}

#[test]
fn an_account_is_locked_after_repeated_failures() {
    let d = daemon();
    d.user_with_password("ada@example.com", None, PASSWORD);
    d.user_with_password("bob@example.com", None, PASSWORD);
    let web = Web::new(&d);
    let attempt = |email: &str, password: &str| {
        web.send(web.post("/api/auth/login").json(&json!({"email": email, "password": password})))
    };
    for i in 0..5 {
        let r = attempt("ada@example.com", "wrong password");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {i}: {}", r.text);
    }
    // Locked now: even the right password is refused, without being checked.
    let r = attempt("ADA@example.com", PASSWORD);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.error_code(), "rate_limited");
    assert!(r.num("retry-after") >= 1);
    assert!(r.header("set-cookie").is_none());
    // An unknown email is treated the same (no oracle), and other accounts are untouched.
    for _ in 0..5 {
        attempt("nobody@example.com", "wrong password");
    }
    assert_eq!(attempt("nobody@example.com", "wrong password").status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt("bob@example.com", PASSWORD).status, StatusCode::OK);
}
