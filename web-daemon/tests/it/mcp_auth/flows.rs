//! The successful paths: discovery, a tool call with an access token, refresh rotation,
//! revocation, the connected-applications list, and step-up on a write tool.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::fixture::{Options, TestDaemon, Web, open_db};

#[test]
fn metadata_and_every_mcp_401_point_to_it() {
    let d = TestDaemon::start();
    let web = Web::new(&d);
    let base = web.base.clone();
    for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
        let prm = web.send(web.get(path));
        assert_eq!(prm.status, StatusCode::OK);
        let v = prm.json();
        assert_eq!(v["resource"], json!(format!("{base}/mcp")));
        assert_eq!(v["authorization_servers"], json!([base]));
        assert_eq!(v["scopes_supported"], json!(["activities:read", "activities:write"]));
    }
    let asm = web.send(web.get("/.well-known/oauth-authorization-server")).json();
    assert_eq!(asm["issuer"], json!(base));
    assert_eq!(asm["authorization_endpoint"], json!(format!("{base}/oauth/authorize")));
    assert_eq!(asm["token_endpoint"], json!(format!("{base}/oauth/token")));
    assert_eq!(asm["registration_endpoint"], json!(format!("{base}/oauth/register")));
    assert_eq!(asm["revocation_endpoint"], json!(format!("{base}/oauth/revoke")));
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(asm["client_id_metadata_document_supported"], json!(true));
    let preflight = web.send(
        web.req(reqwest::Method::OPTIONS, "/oauth/token")
            .header("Origin", "https://inspector.example")
            .header("Access-Control-Request-Method", "POST"),
    );
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));

    let expected = format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
    let accept = "application/json, text/event-stream";
    let bare =
        web.send(web.post("/mcp").header("Accept", accept).json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})));
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bare.header("www-authenticate"), Some(expected.as_str()));
    let bad_key = web.send(
        web.post("/mcp").header("X-API-Key", "pk_live_0000000000000000000000000000000000000000").json(&json!({})),
    );
    assert_eq!(bad_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_key.error_message(), "invalid API key");
    assert_eq!(bad_key.header("www-authenticate"), Some(expected.as_str()));
    let bad_token = web.send(web.post("/mcp").bearer_auth("pacer_at_nope").json(&json!({})));
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
    assert!(bad_token.expect_header("www-authenticate").starts_with(&format!("{expected}, error=\"invalid_token\"")));
    let ws = web.send(web.get("/mcp/ws"));
    assert_eq!(ws.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ws.header("www-authenticate"), Some(expected.as_str()));
}

#[test]
fn an_access_token_calls_tools_through_the_gate_and_the_page_lists_and_revokes_it() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let t = client.tokens("activities:read");
    assert_eq!(t["token_type"], json!("Bearer"));
    assert_eq!(t["scope"], json!("activities:read"));
    assert_eq!(t["expires_in"], json!(3600));
    let r = call_tool(&web, access(&t), "get_connection_status", json!({}));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("\"connected\""), "{}", r.text);
    assert_eq!(r.num("x-ratelimit-limit"), 100, "charged like a key, by the user's tier (free)");

    // The same usage record as a key: one row for the grant.
    let rows: Vec<(String, String)> = {
        let db = open_db(d.home());
        let mut stmt = db.prepare("SELECT operation, status FROM oauth_grant_usage").expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").map(Result::unwrap).collect()
    };
    assert_eq!(rows, vec![("get_connection_status".to_owned(), "ok".to_owned())]);

    // Connected applications: listed for the owner, revoked from the page.
    let jwt = web.login(EMAIL, PASSWORD);
    let list = web.send(web.get("/api/oauth/grants").bearer_auth(&jwt)).json();
    let grants = list["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), 1, "{list:#}");
    assert_eq!(grants[0]["client_name"], json!("Test Assistant"));
    assert_eq!(grants[0]["scopes"], json!(["activities:read"]));
    assert!(grants[0]["last_used_at"].is_string());
    let id = grants[0]["id"].as_str().expect("id");
    let gone = web.send(web.req(reqwest::Method::DELETE, &format!("/api/oauth/grants/{id}")).bearer_auth(&jwt));
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    let again = web.send(web.req(reqwest::Method::DELETE, &format!("/api/oauth/grants/{id}")).bearer_auth(&jwt));
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let refused = call_tool(&web, access(&t), "get_connection_status", json!({}));
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&client.refresh(refresh_of(&t))), "invalid_grant");
}

#[test]
fn refresh_rotates_and_reusing_an_old_refresh_token_revokes_the_family() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let first = client.tokens("activities:read activities:write");
    let r = client.refresh(refresh_of(&first));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let second = r.json();
    assert_ne!(refresh_of(&second), refresh_of(&first), "rotated");
    assert_eq!(second["scope"], json!("activities:read activities:write"));
    assert_eq!(call_tool(&web, access(&second), "get_connection_status", json!({})).status, StatusCode::OK);

    let reuse = client.refresh(refresh_of(&first));
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&reuse), "invalid_grant");
    // The whole family is gone: the newest refresh token and the access tokens too.
    assert_eq!(oauth_error(&client.refresh(refresh_of(&second))), "invalid_grant");
    assert_eq!(call_tool(&web, access(&second), "get_connection_status", json!({})).status, StatusCode::UNAUTHORIZED);
}

#[test]
fn revocation_of_a_refresh_token_ends_the_grant_and_of_an_access_token_only_itself() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let t = client.tokens("activities:read");
    // Access token: only it stops working.
    assert_eq!(client.revoke(access(&t)).status, StatusCode::OK);
    assert_eq!(call_tool(&web, access(&t), "get_connection_status", json!({})).status, StatusCode::UNAUTHORIZED);
    let fresh = client.refresh(refresh_of(&t)).json();
    assert_eq!(call_tool(&web, access(&fresh), "get_connection_status", json!({})).status, StatusCode::OK);
    // Refresh token: the grant ends.
    assert_eq!(client.revoke(refresh_of(&fresh)).status, StatusCode::OK);
    assert_eq!(call_tool(&web, access(&fresh), "get_connection_status", json!({})).status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&client.refresh(refresh_of(&fresh))), "invalid_grant");
    // Unknown tokens: the same 200 (RFC 7009).
    assert_eq!(client.revoke("pacer_rt_unknown").status, StatusCode::OK);
}

#[test]
fn a_write_tool_without_the_write_scope_is_refused_with_a_step_up_challenge() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let t = client.tokens("activities:read");
    let r = call_tool(&web, access(&t), "upload_activity", json!({"content_base64": "AA==", "data_type": "gpx"}));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.error_code(), "insufficient_scope");
    let challenge = r.expect_header("www-authenticate");
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert!(challenge.ends_with("scope=\"activities:write\""), "{challenge}");

    // Over the WebSocket the gate answers with an MCP error.
    let url = format!("{}/mcp/ws", web.base.replacen("http://", "ws://", 1));
    let reply = web.block_on(async {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
        let mut req = url.into_client_request().expect("ws request");
        req.headers_mut().insert("Authorization", format!("Bearer {}", access(&t)).parse().expect("header"));
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("ws connect");
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
            "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
        ws.send(Message::text(init.to_string())).await.expect("send");
        let _ = ws.next().await;
        ws.send(Message::text(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string()))
            .await
            .expect("send");
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "disconnect_provider", "arguments": {}}});
        ws.send(Message::text(call.to_string())).await.expect("send");
        loop {
            let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("no reply") };
            let v: serde_json::Value = serde_json::from_str(text.as_str()).expect("json");
            if v["id"] == json!(1) {
                return v;
            }
        }
    });
    assert_eq!(reply["error"]["code"], json!(-32003), "{reply:#}");
    assert_eq!(reply["error"]["data"]["scope"], json!("activities:write"));
}

#[test]
fn a_token_for_another_resource_is_refused() {
    // Tokens are bound to <public_url>/mcp; the daemon restarted under another public URL serves
    // another resource, and the old token is refused.
    let d = daemon_with_user();
    let t = {
        let web = Web::new(&d);
        OAuthClient::register(&web).tokens("activities:read")
    };
    let mut d = d;
    d.stop();
    let home = std::mem::replace(&mut d.home, crate::fixture::new_home());
    let moved = TestDaemon::start_in(
        home,
        Options { env: vec![("PACER_PUBLIC_URL".into(), "https://pacer.example".into())], ..Options::default() },
    );
    let web = Web::new(&moved);
    let r = call_tool(&web, access(&t), "get_connection_status", json!({}));
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert!(r.error_message().contains("another resource"), "{}", r.text);
    assert!(
        r.expect_header("www-authenticate").contains("https://pacer.example/.well-known/oauth-protected-resource/mcp")
    );
}

#[test]
fn concurrent_presentations_of_one_refresh_token_yield_one_answer_and_revoke_the_family() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let client = OAuthClient::register(&web);
    let t = client.tokens("activities:read");
    let url = format!("{}/oauth/token", web.base);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_of(&t)),
        ("client_id", client.client_id.as_str()),
        ("resource", client.resource.as_str()),
    ];
    let http = crate::fixture::http();
    let statuses: Vec<(StatusCode, serde_json::Value)> = web.block_on(async {
        let requests = (0..4).map(|_| {
            let req = http.post(&url).form(&form);
            async move {
                let res = req.send().await.expect("request");
                let status = res.status();
                (status, res.json::<serde_json::Value>().await.unwrap_or_default())
            }
        });
        futures_util::future::join_all(requests).await
    });
    let winners: Vec<&serde_json::Value> =
        statuses.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, v)| v).collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert!(statuses.iter().filter(|(s, _)| *s != StatusCode::OK).all(|(_, v)| v["error"] == json!("invalid_grant")));
    // The presentations after the first were reuse: the new tokens are revoked too.
    assert_eq!(oauth_error(&client.refresh(refresh_of(winners[0]))), "invalid_grant");
}
