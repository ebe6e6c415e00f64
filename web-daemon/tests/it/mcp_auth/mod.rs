//! MCP authorization against a real daemon: discovery, registration, the sign-in and consent
//! forms driven over HTTP, tokens, their use on `/mcp`, and every refusal.
//!
//! [`OAuthClient`] plays a hosted client and its browser: it registers (or uses a metadata URL),
//! opens `/oauth/authorize`, posts the sign-in and consent forms with the cookies a browser
//! would hold, and exchanges the code.

mod cimd;
mod flows;
mod refusals;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fixture::{Reply, TestDaemon, Web};

pub const EMAIL: &str = "ada@example.com";
pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A daemon with one user who has a password.
pub fn daemon_with_user() -> TestDaemon {
    let d = TestDaemon::start();
    d.user_with_password(EMAIL, None, PASSWORD);
    d
}

/// PKCE S256 pair (verifier, challenge).
pub fn pkce() -> (String, String) {
    let verifier = format!("v{}", uuid::Uuid::new_v4().simple()) + &uuid::Uuid::new_v4().simple().to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The value of cookie `name` set by a response.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (n, value) = pair.split_once('=')?;
        (n.trim() == name).then(|| value.trim().to_owned())
    })
}

/// One hosted client and its browser.
pub struct OAuthClient<'a> {
    pub web: &'a Web,
    pub client_id: String,
    pub resource: String,
}

/// A finished authorization request: the code and its PKCE verifier.
pub struct Authorized {
    pub code: String,
    pub verifier: String,
}

impl<'a> OAuthClient<'a> {
    /// Registers with Dynamic Client Registration.
    pub fn register(web: &'a Web) -> Self {
        let r = web.send(web.post("/oauth/register").json(&json!({
            "redirect_uris": [REDIRECT], "client_name": "Test Assistant", "token_endpoint_auth_method": "none"
        })));
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let client_id = r.json()["client_id"].as_str().expect("client_id").to_owned();
        Self::with_id(web, client_id)
    }

    /// A client with a known id (e.g. a metadata document URL).
    pub fn with_id(web: &'a Web, client_id: String) -> Self {
        let resource = format!("{}/mcp", web.base);
        Self { web, client_id, resource }
    }

    /// `GET /oauth/authorize` with the given overrides of the standard parameters.
    pub fn authorize_request(&self, challenge: &str, scope: &str, overrides: &[(&str, &str)]) -> Reply {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", REDIRECT),
            ("state", "st-123"),
            ("scope", scope),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("resource", &self.resource),
        ];
        for (k, v) in overrides {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        self.web.send(self.web.get(&format!("/oauth/authorize?{query}")))
    }

    /// Opens the authorize page, signs in and allows: the code (asserts every step).
    pub fn authorize(&self, scope: &str) -> Authorized {
        let (verifier, challenge) = pkce();
        let page = self.authorize_request(&challenge, scope, &[]);
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("Sign in"), "sign-in form expected: {}", page.text);
        let request = set_cookie(&page, "pacer_authz").expect("pacer_authz cookie");
        let signed_in =
            self.web.send(self.web.post("/oauth/authorize").header("Cookie", format!("pacer_authz={request}")).form(
                &[("request", request.as_str()), ("action", "sign_in"), ("email", EMAIL), ("password", PASSWORD)],
            ));
        assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
        assert!(signed_in.text.contains("Allow Test") || signed_in.text.contains("Allow "), "{}", signed_in.text);
        for scope in scope.split_whitespace() {
            assert!(signed_in.text.contains(scope), "consent names {scope}: {}", signed_in.text);
        }
        let session = set_cookie(&signed_in, "pacer_session").expect("session cookie");
        let decided = self.web.send(
            self.web
                .post("/oauth/authorize")
                .header("Cookie", format!("pacer_authz={request}; pacer_session={session}"))
                .form(&[("request", request.as_str()), ("action", "allow")]),
        );
        let location = decided.location();
        assert!(location.as_str().starts_with(REDIRECT), "{location}");
        let q: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
        assert_eq!(q.get("iss"), Some(&self.web.base));
        Authorized { code: q.get("code").expect("code").clone(), verifier }
    }

    /// `POST /oauth/token` with the authorization code grant and overrides.
    pub fn exchange(&self, a: &Authorized, overrides: &[(&str, &str)]) -> Reply {
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", &a.code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &a.verifier),
            ("client_id", &self.client_id),
            ("resource", &self.resource),
        ];
        for (k, v) in overrides {
            form.retain(|(name, _)| name != k);
            if !v.is_empty() {
                form.push((k, v));
            }
        }
        self.web.send(self.web.post("/oauth/token").form(&form))
    }

    /// Authorizes and exchanges: the token answer (asserts success).
    pub fn tokens(&self, scope: &str) -> Value {
        let a = self.authorize(scope);
        let r = self.exchange(&a, &[]);
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        r.json()
    }

    /// `POST /oauth/token` with the refresh grant.
    pub fn refresh(&self, refresh_token: &str) -> Reply {
        self.web.send(self.web.post("/oauth/token").form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &self.client_id),
            ("resource", &self.resource),
        ]))
    }

    /// `POST /oauth/revoke`.
    pub fn revoke(&self, token: &str) -> Reply {
        self.web.send(self.web.post("/oauth/revoke").form(&[("token", token), ("client_id", &self.client_id)]))
    }
}

/// `POST /mcp` `tools/call` with a bearer token.
pub fn call_tool(web: &Web, access_token: &str, tool: &str, arguments: Value) -> Reply {
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
    web.send(
        web.post("/mcp").bearer_auth(access_token).header("Accept", "application/json, text/event-stream").json(&body),
    )
}

/// The token answer's access token.
pub fn access(t: &Value) -> &str {
    t["access_token"].as_str().expect("access_token")
}

/// The token answer's refresh token.
pub fn refresh_of(t: &Value) -> &str {
    t["refresh_token"].as_str().expect("refresh_token")
}

/// The `error` of an OAuth error body.
pub fn oauth_error(r: &Reply) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_owned()
}
