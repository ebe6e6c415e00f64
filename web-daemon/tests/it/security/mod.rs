//! The security review's findings (issue 12 §1), each proved against a real daemon over real
//! HTTP on loopback: connect links need the owner's session or an explicit confirmation, page
//! headers, `Host`/`Origin` checks, per-IP buckets that loopback rotation cannot escape, the
//! password-check cap and per-account backoff, and descriptor exhaustion.

mod connect_links;
mod descriptors;
mod headers;
mod host;
mod ip_limits;
mod logins;

use serde_json::Value;

use crate::fixture::{TestDaemon, Web};
use crate::flows::{PASSWORD, sandbox_daemon};

/// A sandbox daemon with Ada (a password user) signed in: the daemon, a client, her user JSON
/// and her JWT.
pub fn ada_signed_in() -> (TestDaemon, Web, Value, String) {
    let d = sandbox_daemon(&[]);
    let web = Web::new(&d);
    let ada = d.user_with_password("ada@example.com", None, PASSWORD);
    let jwt = web.login("ada@example.com", PASSWORD);
    (d, web, ada, jwt)
}

/// Asserts the headers every HTML page carries.
pub fn assert_page_headers(r: &crate::fixture::Reply, what: &str) {
    assert!(r.expect_header("content-type").starts_with("text/html"), "{what}");
    let csp = r.expect_header("content-security-policy");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(r.expect_header("x-frame-options"), "DENY", "{what}");
    assert_eq!(r.expect_header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(r.expect_header("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(r.expect_header("cache-control"), "no-store", "{what}");
}
