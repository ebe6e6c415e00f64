//! The HTTP-side transports against a real `pacerd demo` (sandbox Strava, connected demo user):
//! MCP over WebSocket (`GET /mcp/ws`), MCP over Streamable HTTP (`POST /mcp`), and the web page
//! (`/`, its assets and the JSON routes it uses).

mod mcp_2026;
mod streamable_http;
mod web_page;
mod websocket;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixture::{Options, Reply, TestDaemon, Web};

const ACCEPT_BOTH: &str = "application/json, text/event-stream";

struct Demo {
    d: TestDaemon,
    web: Web,
    key: String,
    email: String,
    password: String,
}

fn demo() -> Demo {
    let d = TestDaemon::start_with(Options { demo: true, sandbox: true, ..Default::default() });
    let facts = d.demo_facts();
    let s = |k: &str| facts[k].as_str().unwrap_or_else(|| panic!("demo.json lacks {k}")).to_string();
    let web = Web::new(&d);
    Demo { key: s("api_key"), email: s("email"), password: s("password"), d, web }
}

impl Demo {
    fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.web.base).replacen("http://", "ws://", 1)
    }
    /// Logs in; returns the `pacer_session=…` cookie pair.
    fn login_cookie(&self) -> String {
        let web = &self.web;
        let r = web.send(web.post("/api/auth/login").json(&json!({"email": self.email, "password": self.password})));
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let set = r.expect_header("set-cookie");
        let pair = set.split(';').next().unwrap().to_string();
        assert!(pair.starts_with("pacer_session=") && pair.len() > 20, "{set}");
        pair
    }
    /// A JWT for the demo user.
    fn jwt(&self) -> String {
        self.login_cookie().trim_start_matches("pacer_session=").to_string()
    }
    /// `POST /mcp` with the demo key.
    fn mcp_post(&self, message: &Value, version: Option<&str>) -> Reply {
        let web = &self.web;
        let mut req = web.post("/mcp").header("X-API-Key", &self.key).header("Accept", ACCEPT_BOTH).json(message);
        if let Some(v) = version {
            req = req.header("MCP-Protocol-Version", v);
        }
        web.send(req)
    }
}

fn initialize(id: u64, version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "pacer-it", "version": "0"},
    }})
}

fn request(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn tool_names(r: &Value) -> Vec<String> {
    let mut names: Vec<String> = r["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {r}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}
