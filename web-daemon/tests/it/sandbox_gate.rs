//! The sandbox mounted in the daemon's origin: its admin routes need the per-daemon token and
//! JSON, and its consent step redirects only to pacer's registered callback.

use std::os::unix::fs::PermissionsExt;

use reqwest::StatusCode;

use crate::fixture::{Options, TestDaemon, Web};

#[test]
fn sandbox_admin_routes_need_the_token_and_json() {
    let d = TestDaemon::start_with(Options { sandbox: true, ..Default::default() });
    let path = pacerd::sandbox_admin_token_path(d.home());
    assert_eq!(std::fs::metadata(&path).expect("token file").permissions().mode() & 0o777, 0o600);
    let (name, token) = d.sandbox_admin();
    let web = Web::new(&d);
    let faults = "/sandbox/strava/_sandbox/faults";
    let body = r#"{"fail_refresh": true}"#;
    // A cross-site form post: text/plain, no token.
    let r = web.send(web.post(faults).header("content-type", "text/plain").body(body));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let r = web.send(web.post(faults).header(name, &token).header("content-type", "text/plain").body(body));
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    let r = web.send(web.post(faults).header("content-type", "application/json").body(body));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(web.send(web.post("/sandbox/strava/_sandbox/reset")).status, StatusCode::UNAUTHORIZED);
    assert_eq!(web.send(web.get("/sandbox/strava/_sandbox/state")).status, StatusCode::UNAUTHORIZED);
    let state = web.send(web.get("/sandbox/strava/_sandbox/state").header(name, &token)).json();
    assert_eq!(state["faults"]["fail_refresh"], false, "nothing was switched: {state}");
    let r = web.send(web.post(faults).header(name, &token).header("content-type", "application/json").body(body));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[test]
fn sandbox_consent_redirects_only_to_the_pacer_callback() {
    let d = TestDaemon::start_with(Options { sandbox: true, ..Default::default() });
    let web = Web::new(&d);
    let consent = |redirect: &str| {
        let form = [
            ("client_id", "pacer-sandbox"),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("scope", "read"),
            ("state", "s"),
            ("decision", "approve"),
        ];
        web.send(web.post("/sandbox/strava/oauth/authorize").form(&form))
    };
    let r = consent("https://evil.example/steal");
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.header("location").is_none(), "no code may go to an unregistered redirect");
    let callback = format!("{}/oauth/strava/callback", d.http_url);
    let r = consent(&callback);
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
    assert!(r.location().as_str().starts_with(&callback));
}
