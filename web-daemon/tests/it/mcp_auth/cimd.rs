//! Client ID Metadata Documents: the SSRF guards refuse before connecting; with loopback client
//! ids allowed (development) a document served on 127.0.0.1 registers the client.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::fixture::{Options, TestDaemon, Web};

/// Serves `body` as JSON to every request on 127.0.0.1 until the test ends; counts connections.
fn serve_document(body_for: impl Fn(u16) -> String + Send + 'static) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = body_for(port);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    (port, hits)
}

#[test]
fn private_loopback_and_link_local_client_id_urls_are_refused_without_a_request() {
    let d = daemon_with_user();
    let web = Web::new(&d);
    let (port, hits) = serve_document(|_| "{}".into());
    let (_, challenge) = pkce();
    let cases = [
        (format!("https://127.0.0.1:{port}/client.json"), "loopback"),
        (format!("https://localhost:{port}/client.json"), "loopback"),
        ("https://10.0.0.7/client.json".to_owned(), "private"),
        ("https://192.168.1.1/client.json".to_owned(), "private"),
        ("https://169.254.169.254/latest/meta-data".to_owned(), "link-local"),
        ("https://[fd00::1]/client.json".to_owned(), "private"),
        ("https://[::ffff:127.0.0.1]/client.json".to_owned(), "loopback"),
        (format!("http://127.0.0.1:{port}/client.json"), "https"),
        ("https://example.com/".to_owned(), "path"),
    ];
    for (url, reason) in cases {
        let client = OAuthClient::with_id(&web, url.clone());
        let page = client.authorize_request(&challenge, "activities:read", &[]);
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{url}: {}", page.text);
        assert!(page.text.contains(reason), "{url} should be refused for {reason}: {}", page.text);
        assert!(page.header("location").is_none());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request may leave for a refused client id");
}

#[test]
fn a_loopback_metadata_document_registers_the_client_in_development() {
    let d = TestDaemon::start_with(Options {
        env: vec![("PACER_MCP_AUTH_ALLOW_LOOPBACK_CLIENT_IDS".into(), "1".into())],
        ..Options::default()
    });
    d.user_with_password(EMAIL, None, PASSWORD);
    let web = Web::new(&d);
    let (port, hits) = serve_document(|port| {
        json!({
            "client_id": format!("http://127.0.0.1:{port}/client.json"),
            "client_name": "Document Assistant",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none"
        })
        .to_string()
    });
    let client = OAuthClient::with_id(&web, format!("http://127.0.0.1:{port}/client.json"));
    let (_, challenge) = pkce();
    let page = client.authorize_request(&challenge, "activities:read", &[]);
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Document Assistant"), "{}", page.text);
    let t = client.tokens("activities:read");
    assert_eq!(call_tool(&web, access(&t), "get_connection_status", json!({})).status, StatusCode::OK);
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the document is fetched once, then cached");

    // Development mode allows loopback only: private addresses stay refused.
    let private = OAuthClient::with_id(&web, "https://10.0.0.7/client.json".into());
    assert_eq!(private.authorize_request(&challenge, "activities:read", &[]).status, StatusCode::BAD_REQUEST);
    // A document that names another client id is refused.
    let (other_port, _) = serve_document(|_| {
        json!({"client_id": "https://elsewhere.example/c.json", "redirect_uris": [REDIRECT]}).to_string()
    });
    let liar = OAuthClient::with_id(&web, format!("http://127.0.0.1:{other_port}/client.json"));
    let page = liar.authorize_request(&challenge, "activities:read", &[]);
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.text.contains("client_id"), "{}", page.text);
}
