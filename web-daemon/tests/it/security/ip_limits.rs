//! Finding 4: per-IP limits bucket all of loopback as one client (rotating the source through
//! 127.0.0.0/8 does not escape the login limit), and honour `X-Forwarded-For` only from a
//! configured trusted proxy.

use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::json;

use crate::fixture::{Options, TestDaemon};

/// One login attempt (an unknown email each time, so no per-account backoff is involved) from
/// `source`, optionally through a proxy header; returns the status.
fn attempt(d: &TestDaemon, rt: &tokio::runtime::Runtime, source: &str, i: usize, xff: Option<&str>) -> StatusCode {
    let ip: IpAddr = source.parse().expect("source address");
    let client = reqwest::Client::builder().local_address(ip).build().expect("client");
    let mut req = client
        .post(format!("{}/api/auth/login", d.http_url))
        .json(&json!({"email": format!("nobody{i}@example.com"), "password": "wrong password"}));
    if let Some(v) = xff {
        req = req.header("X-Forwarded-For", v);
    }
    rt.block_on(async { req.send().await.expect("login request").status() })
}

fn daemon(extra: &str) -> TestDaemon {
    TestDaemon::start_with(Options {
        config_toml: format!("{extra}[limits]\nip_per_minute = 3\n"),
        ..Default::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn rotating_loopback_source_addresses_does_not_escape_the_login_limit() {
    let d = daemon("");
    let rt = runtime();
    let statuses: Vec<StatusCode> = (0..8).map(|i| attempt(&d, &rt, &format!("127.0.0.{}", i + 2), i, None)).collect();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    // A bucket of 3 (refilling one per 20 s): most of eight attempts from "eight" addresses are refused.
    assert!(limited >= 4, "loopback rotation escaped the limit: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    // A forwarded header from an untrusted peer changes nothing.
    let spoofed = attempt(&d, &rt, "127.0.0.20", 99, Some("198.51.100.1"));
    assert_eq!(spoofed, StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn a_trusted_proxy_names_the_client() {
    let d = daemon("trusted_proxies = [\"127.0.0.5\"]\n");
    let rt = runtime();
    // Through the proxy, eight different clients: eight buckets.
    for i in 0..8 {
        let status = attempt(&d, &rt, "127.0.0.5", i, Some(&format!("198.51.100.{}", i + 1)));
        assert_eq!(status, StatusCode::UNAUTHORIZED, "client {i} behind the trusted proxy");
    }
    // The same header from another local address is ignored: one loopback bucket.
    let statuses: Vec<StatusCode> =
        (0..6).map(|i| attempt(&d, &rt, "127.0.0.6", 20 + i, Some(&format!("203.0.113.{}", i + 1)))).collect();
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}
