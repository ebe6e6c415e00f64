//! Tenant OAuth apps end to end: `pacerd oauth-apps set|list|remove` against a real daemon with
//! the sandbox provider, and the connect flow (`/oauth/strava/authorize` → sandbox consent →
//! `/oauth/strava/callback`) using the tenant's app for its users only.
//!
//! The sandbox accepts only its own application (`pacer-sandbox` / `sandbox-secret`), so the
//! tenant app differs from the global one by its redirect URI (authorize URL) or by a wrong
//! secret (the callback's code exchange fails for the tenant's users only).

use std::process::Output;

use pacer_shared::Secret;
use pacer_shared::ipc::{AdminRequest, AdminResponse};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::fixture::{Options, TestDaemon, cli_in, contains, http, raw_db_bytes};

const PASSWORD: &str = "correct horse battery staple";
const SANDBOX_CLIENT_ID: &str = "pacer-sandbox";
const SANDBOX_SECRET: &str = "sandbox-secret";
const WRONG_SECRET: &str = "wrong-club-secret-7f3a9c";
const CLUB_REDIRECT: &str = "https://club.example/oauth/strava/callback";

fn add_user(d: &TestDaemon, email: &str, tenant: &str) {
    let req = AdminRequest::UsersAdd {
        email: email.into(),
        tenant: Some(tenant.into()),
        password: Some(Secret::new(PASSWORD.into())),
    };
    assert!(matches!(d.admin(req), AdminResponse::User(_)));
}

/// `pacerd oauth-apps <args>` with `stdin` piped in.
fn oauth_apps(d: &TestDaemon, args: &[&str], stdin: Option<&str>) -> Output {
    let mut all = vec!["oauth-apps"];
    all.extend_from_slice(args);
    cli_in(d.home(), &all, stdin)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn set_club_app(d: &TestDaemon, secret: &str, redirect_uri: Option<&str>) -> Value {
    let mut args = vec!["set", "--tenant", "club", "--client-id", SANDBOX_CLIENT_ID, "--client-secret-stdin", "--json"];
    if let Some(uri) = redirect_uri {
        args.extend(["--redirect-uri", uri]);
    }
    let out = oauth_apps(d, &args, Some(&format!("{secret}\n")));
    assert!(out.status.success(), "oauth-apps set failed: {}", stderr(&out));
    assert!(!stdout(&out).contains(secret), "the secret is never printed: {}", stdout(&out));
    serde_json::from_slice(&out.stdout).expect("set --json")
}

/// Fails with exit status 1 and one line on stderr containing `expected`.
fn assert_refused(out: &Output, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stdout {} stderr {err}", stdout(out));
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(expected), "expected '{expected}' in: {err}");
}

/// A browser-less person going through the connect flow over real HTTP.
struct Person<'a> {
    d: &'a TestDaemon,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    jwt: String,
}

impl<'a> Person<'a> {
    fn login(d: &'a TestDaemon, email: &str) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let http = http();
        let url = format!("{}/api/auth/login", d.http_url);
        let body: Value = rt.block_on(async {
            let r = http
                .post(url)
                .json(&serde_json::json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .expect("login");
            assert_eq!(r.status(), StatusCode::OK, "login {email}");
            r.json().await.expect("login json")
        });
        let jwt = body["access_token"].as_str().expect("access_token").to_owned();
        Self { d, rt, http, jwt }
    }

    /// `GET /oauth/strava/authorize` (JSON): the provider URL with its query.
    fn authorize_url(&self) -> Url {
        let url = format!("{}/oauth/strava/authorize", self.d.http_url);
        let body: Value = self.rt.block_on(async {
            let r = self.http.get(url).bearer_auth(&self.jwt).header("accept", "application/json").send().await;
            let r = r.expect("authorize");
            assert_eq!(r.status(), StatusCode::OK, "authorize");
            r.json().await.expect("authorize json")
        });
        Url::parse(body["authorize_url"].as_str().expect("authorize_url")).expect("authorize url")
    }

    /// Approves at the sandbox's consent page (as `pacerd demo` does) and returns the redirect.
    fn consent(&self, authorize: &Url) -> Url {
        let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        form.push(("decision".into(), "approve".into()));
        let mut action = authorize.clone();
        action.set_query(None);
        let location = self.rt.block_on(async {
            let r = self.http.post(action).form(&form).send().await.expect("consent");
            assert_eq!(r.status(), StatusCode::FOUND, "consent: {}", r.text().await.unwrap_or_default());
            r.headers()["location"].to_str().expect("location").to_owned()
        });
        Url::parse(&location).expect("redirect url")
    }

    /// Delivers the provider's redirect to pacer's callback (wherever the redirect URI points,
    /// e.g. a tenant's proxy in front of pacer) and returns (status, JSON body).
    fn callback(&self, redirect: &Url) -> (StatusCode, Value) {
        let mut url = Url::parse(&format!("{}/oauth/strava/callback", self.d.http_url)).expect("callback url");
        url.set_query(redirect.query());
        self.rt.block_on(async {
            // The link is not bound to a browser: the person's own session connects it at once.
            let r = self
                .http
                .get(url)
                .header("accept", "application/json")
                .bearer_auth(&self.jwt)
                .send()
                .await
                .expect("callback");
            let status = r.status();
            (status, r.json().await.unwrap_or(Value::Null))
        })
    }

    /// The whole flow; returns the authorize URL and the callback's answer.
    fn connect(&self) -> (Url, StatusCode, Value) {
        let authorize = self.authorize_url();
        let redirect = self.consent(&authorize);
        let (status, body) = self.callback(&redirect);
        (authorize, status, body)
    }
}

fn param(url: &Url, name: &str) -> String {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[test]
fn tenant_apps_serve_their_tenant_only() {
    let d = TestDaemon::start_with(Options { sandbox: true, ..Options::default() });
    add_user(&d, "ada@example.com", "default");
    add_user(&d, "cy@example.com", "club");
    let global_redirect = format!("{}/oauth/strava/callback", d.http_url);

    // (a) The club's app (right credentials, its own redirect URI).
    let app = set_club_app(&d, SANDBOX_SECRET, Some(CLUB_REDIRECT));
    assert_eq!(app["tenant"], "club");
    assert_eq!(app["client_id"], SANDBOX_CLIENT_ID);
    assert_eq!(app["redirect_uri"], CLUB_REDIRECT);

    let ada = Person::login(&d, "ada@example.com");
    let cy = Person::login(&d, "cy@example.com");
    let (club_url, status, body) = cy.connect();
    assert_eq!(param(&club_url, "redirect_uri"), CLUB_REDIRECT);
    assert_eq!(param(&club_url, "client_id"), SANDBOX_CLIENT_ID);
    assert_eq!((status, body["connected"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    let default_url = ada.authorize_url();
    assert_eq!(param(&default_url, "redirect_uri"), global_redirect);

    // (b) The club's app with a wrong secret: only the club's code exchange fails.
    set_club_app(&d, WRONG_SECRET, None);
    let (club_url, status, body) = cy.connect();
    assert_eq!(param(&club_url, "redirect_uri"), global_redirect, "no custom redirect URI any more");
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"]["code"], "provider_error", "{body}");
    assert!(!body.to_string().contains(WRONG_SECRET), "{body}");
    let (_, status, body) = ada.connect();
    assert_eq!(status, StatusCode::OK, "the default tenant's flow still works: {body}");

    // Listing never shows a secret; neither does the database file.
    let list = oauth_apps(&d, &["list"], None);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(stdout(&list).contains("club") && stdout(&list).contains(SANDBOX_CLIENT_ID), "{}", stdout(&list));
    let json = oauth_apps(&d, &["list", "--json"], None);
    let listed: Value = serde_json::from_slice(&json.stdout).expect("list --json");
    assert_eq!(listed["apps"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["apps"][0]["tenant"], "club");
    for out in [&list, &json] {
        for secret in [WRONG_SECRET, SANDBOX_SECRET] {
            assert!(!stdout(out).contains(secret), "{}", stdout(out));
        }
    }
    let raw = raw_db_bytes(d.home());
    assert!(contains(&raw, SANDBOX_CLIENT_ID.as_bytes()), "the app reached the database");
    for secret in [WRONG_SECRET, SANDBOX_SECRET] {
        assert!(!contains(&raw, secret.as_bytes()), "client secret {secret} in plaintext at rest");
    }

    // Removing the app brings the club back to the global app.
    let removed = oauth_apps(&d, &["remove", "--tenant", "club"], None);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let (_, status, body) = cy.connect();
    assert_eq!(status, StatusCode::OK, "the global app serves the club again: {body}");
    let json = oauth_apps(&d, &["list", "--json"], None);
    let listed: Value = serde_json::from_slice(&json.stdout).expect("list --json");
    assert_eq!(listed["apps"], serde_json::json!([]));
}

#[test]
fn bad_input_is_one_line_and_exit_1() {
    let d = TestDaemon::start_with(Options { sandbox: true, ..Options::default() });
    add_user(&d, "cy@example.com", "club");
    let set = |extra: &[&str], stdin: Option<&str>| {
        let mut args = vec!["set", "--client-id", "123"];
        args.extend_from_slice(extra);
        oauth_apps(&d, &args, stdin)
    };
    assert_refused(&set(&["--tenant", "nope", "--client-secret-stdin"], Some("s\n")), "tenant 'nope' not found");
    assert_refused(&set(&["--tenant", "club"], Some("s\n")), "--client-secret-stdin is required");
    assert_refused(&set(&["--tenant", "club", "--client-secret-stdin"], Some("\n")), "no client secret on stdin");
    let bad_uri = ["--tenant", "club", "--client-secret-stdin", "--redirect-uri", "not a url"];
    assert_refused(&set(&bad_uri, Some("s\n")), "redirect_uri");
    assert_refused(
        &set(&["--tenant", "club", "--client-secret-stdin", "--provider", "garmin"], Some("s\n")),
        "provider",
    );
    assert_refused(&oauth_apps(&d, &["remove", "--tenant", "club"], None), "not found");
    let list = oauth_apps(&d, &["list", "--json"], None);
    assert_eq!(serde_json::from_slice::<Value>(&list.stdout).expect("json")["apps"], serde_json::json!([]));
}
