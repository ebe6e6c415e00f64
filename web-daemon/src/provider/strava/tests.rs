//! `StravaClient` against a scripted local HTTP server (one response per connection).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::provider::{ActivityQuery, FitnessProvider, OAuthConnect, WINDOW_15_MIN, WINDOW_DAILY};

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

impl Seen {
    fn line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body as sorted form pairs (each key once).
    fn form(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(&self.body).into_owned().collect();
        pairs.sort();
        pairs
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    pairs.sort();
    pairs
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

fn reply(status: u16, body: &'static str) -> Reply {
    Reply { status, headers: vec![], body }
}

struct Mock {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
    fn client(&self) -> StravaClient {
        let mut config = StravaClientConfig::new("1234", Secret::new("app-secret".into()));
        config.api_base = format!("{}/api/v3/", self.base);
        config.oauth_base = self.base.clone();
        config.timeout = Duration::from_secs(5);
        StravaClient::new(config).expect("client")
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let seen = Seen { head, body: Vec::new() };
    let length: usize = seen.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen { body, ..seen })
}

async fn mock(replies: Vec<Reply>) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut replies = replies.into_iter();
        while let Ok((mut stream, _)) = listener.accept().await {
            let Some(request) = read_request(&mut stream).await else {
                continue;
            };
            log.lock().expect("log").push(request);
            let r = replies.next().unwrap_or_else(|| reply(500, r#"{"message":"no scripted reply"}"#));
            let mut out = format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                r.status,
                r.body.len()
            );
            for (k, v) in r.headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(r.body);
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    Mock { base, seen }
}

fn token() -> Secret {
    Secret::new("tok-access".into())
}

#[tokio::test]
async fn athlete_sends_bearer_and_tracks_limits() {
    let m = mock(vec![Reply {
        status: 200,
        headers: vec![
            ("X-RateLimit-Limit", "200,2000"),
            ("X-RateLimit-Usage", "10,100"),
            ("X-ReadRateLimit-Limit", "100,1000"),
            ("X-ReadRateLimit-Usage", "5,50"),
        ],
        body: r#"{"id": 42, "firstname": "Ada", "city": null}"#,
    }])
    .await;
    let client = m.client();
    assert!(client.rate_limit_usage().is_none());
    let athlete = client.athlete(&token()).await.expect("athlete");
    assert_eq!((athlete.id, athlete.firstname.as_deref()), (42, Some("Ada")));
    let seen = m.seen();
    assert_eq!(seen[0].line(), "GET /api/v3/athlete HTTP/1.1");
    assert_eq!(seen[0].header("authorization").as_deref(), Some("Bearer tok-access"));
    let usage = client.rate_limit_usage().expect("usage");
    assert_eq!((usage.usage_15min, usage.limit_daily, usage.read_usage_daily), (Some(10), Some(2000), Some(50)));
}

#[tokio::test]
async fn activities_query_and_mapping() {
    let m = mock(vec![reply(
        200,
        r#"[{"id": 1, "name": "Run", "sport_type": "Run", "distance": 5000.0,
        "moving_time": 1500, "elapsed_time": 1600, "start_date": "2026-01-01T10:00:00Z",
        "start_date_local": "2026-01-01T11:00:00Z"}]"#,
    )])
    .await;
    let query = ActivityQuery { before: Some(1_800_000_000), after: Some(1_700_000_000), page: 2, per_page: 500 };
    let list = m.client().activities(&token(), &query).await.expect("list");
    assert_eq!(list[0].start_date_local, "2026-01-01T11:00:00+01:00");
    assert_eq!(
        m.seen()[0].line(),
        "GET /api/v3/athlete/activities?before=1800000000&after=1700000000&page=2&per_page=200 HTTP/1.1"
    );
}

#[tokio::test]
async fn status_mapping() {
    let m = mock(vec![
        reply(401, r#"{"message":"Authorization Error"}"#),
        reply(
            404,
            r#"{"message":"Record Not Found","errors":[{"resource":"Activity","field":"id","code":"invalid"}]}"#,
        ),
        reply(403, r#"{"message":"Forbidden"}"#),
    ])
    .await;
    let client = m.client();
    assert_eq!(client.activity(&token(), 9).await, Err(ProviderError::Unauthorized));
    assert_eq!(
        client.activity(&token(), 9).await,
        Err(ProviderError::NotFound("Record Not Found (Activity id invalid)".into()))
    );
    assert_eq!(
        client.stats(&token(), 9).await,
        Err(ProviderError::Upstream { status: 403, message: "Forbidden".into() })
    );
}

#[tokio::test]
async fn rate_limited_then_refused_before_sending() {
    let m = mock(vec![Reply {
        status: 429,
        headers: vec![("X-RateLimit-Limit", "200,2000"), ("X-RateLimit-Usage", "201,300")],
        body: r#"{"message":"Rate Limit Exceeded"}"#,
    }])
    .await;
    let client = m.client();
    let first = client.athlete(&token()).await.expect_err("429");
    let ProviderError::RateLimited { window, retry_after_s, .. } = first else { panic!("{first:?}") };
    assert_eq!(window, WINDOW_15_MIN);
    assert!(retry_after_s <= 900);
    let second = client.athlete(&token()).await.expect_err("refused locally");
    assert!(matches!(second, ProviderError::RateLimited { .. }), "{second:?}");
    assert!(second.to_string().starts_with("Strava rate limit reached (15-minute window); retry after "));
    assert_eq!(m.seen().len(), 1, "second call sent nothing");
}

#[tokio::test]
async fn daily_limit_names_daily_window() {
    let m = mock(vec![Reply {
        status: 429,
        headers: vec![("X-RateLimit-Limit", "200,2000"), ("X-RateLimit-Usage", "20,2000")],
        body: "{}",
    }])
    .await;
    let err = m.client().athlete(&token()).await.expect_err("429");
    assert!(matches!(err, ProviderError::RateLimited { window: WINDOW_DAILY, .. }), "{err:?}");
}

#[tokio::test]
async fn reads_retry_5xx_writes_do_not() {
    let ok = r#"{"id": 5, "status": "Your activity is ready.", "activity_id": 77}"#;
    let m = mock(vec![reply(503, "{}"), reply(502, "<html>"), reply(200, ok)]).await;
    let status = m.client().upload_status(&token(), 5).await.expect("after retries");
    assert_eq!(status.activity_id, Some(77));
    assert_eq!(m.seen().len(), 3);

    let m = mock(vec![reply(503, "{}"), reply(503, "{}"), reply(500, r#"{"message":"boom"}"#)]).await;
    let err = m.client().upload_status(&token(), 5).await.expect_err("gives up");
    assert_eq!(err, ProviderError::Upstream { status: 500, message: "boom".into() });
    assert_eq!(m.seen().len(), 3, "1 try + 2 retries");

    let m = mock(vec![reply(503, "{}")]).await;
    let upload = UploadRequest {
        bytes: b"<gpx/>".to_vec(),
        data_type: "gpx".into(),
        name: Some("Lunch".into()),
        description: None,
        external_id: Some("ext-1".into()),
        sport_type: Some("Run".into()),
    };
    assert!(matches!(m.client().upload(&token(), upload).await, Err(ProviderError::Upstream { status: 503, .. })));
    assert_eq!(m.seen().len(), 1, "uploads are not retried");
}

#[tokio::test]
async fn upload_is_multipart() {
    let m = mock(vec![reply(201, r#"{"id": 998, "id_str": "998", "status": "Your activity is still being processed.", "activity_id": null, "error": null}"#)]).await;
    let upload = UploadRequest {
        bytes: b"<gpx>track</gpx>".to_vec(),
        data_type: "gpx".into(),
        name: Some("Lunch".into()),
        description: Some("easy".into()),
        external_id: Some("ext-1".into()),
        sport_type: Some("Run".into()),
    };
    let status = m.client().upload(&token(), upload).await.expect("upload");
    assert_eq!((status.upload_id, status.is_final()), (998, false));
    let seen = &m.seen()[0];
    assert_eq!(seen.line(), "POST /api/v3/uploads HTTP/1.1");
    let body = seen.body_text();
    for part in [
        r#"name="data_type""#,
        r#"filename="activity.gpx""#,
        "<gpx>track</gpx>",
        r#"name="external_id""#,
        r#"name="sport_type""#,
    ] {
        assert!(body.contains(part), "missing {part} in {body}");
    }
}

#[tokio::test]
async fn token_grants_post_forms() {
    let m = mock(vec![
        reply(200, r#"{"token_type":"Bearer","access_token":"a1","refresh_token":"r1","expires_at":1900000000,"expires_in":21600,"athlete":{"id":42,"firstname":"Ada"}}"#),
        reply(200, r#"{"token_type":"Bearer","access_token":"a2","refresh_token":"r2","expires_at":1900003600}"#),
        reply(400, r#"{"message":"Bad Request","errors":[{"resource":"RefreshToken","field":"refresh_token","code":"invalid"}]}"#),
        reply(200, "{}"),
    ])
    .await;
    let client = m.client();
    let exchange = client.exchange_code("the-code").await.expect("exchange");
    assert_eq!((exchange.tokens.access_token.expose(), exchange.tokens.athlete_id), ("a1", Some(42)));
    assert_eq!(exchange.athlete.map(|a| a.id), Some(42));
    let refreshed = client.refresh(&Secret::new("r1".into())).await.expect("refresh");
    assert_eq!((refreshed.refresh_token.expose(), refreshed.expires_at), ("r2", 1_900_003_600));
    let err = client.refresh(&Secret::new("bad".into())).await.expect_err("invalid");
    assert_eq!(err, ProviderError::BadRequest("Bad Request (RefreshToken refresh_token invalid)".into()));
    client.deauthorize(&token()).await.expect("deauthorize");

    // oauth2 writes grant_type first and the credentials after the grant: compare the parsed
    // form pairs, not the byte order.
    let seen = m.seen();
    assert_eq!(seen[0].line(), "POST /oauth/token HTTP/1.1");
    assert_eq!(
        seen[0].form(),
        pairs(&[
            ("client_id", "1234"),
            ("client_secret", "app-secret"),
            ("code", "the-code"),
            ("grant_type", "authorization_code")
        ])
    );
    assert_eq!(seen[1].line(), "POST /oauth/token HTTP/1.1");
    assert_eq!(
        seen[1].form(),
        pairs(&[
            ("client_id", "1234"),
            ("client_secret", "app-secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", "r1")
        ])
    );
    for request in &seen[..3] {
        // Strava wants the secret in the body, not in HTTP Basic.
        assert_eq!(request.header("authorization"), None);
        assert_eq!(request.header("content-type").as_deref(), Some("application/x-www-form-urlencoded"));
        assert_eq!(request.header("accept").as_deref(), Some("application/json"));
    }
    assert_eq!(seen[3].line(), "POST /oauth/deauthorize HTTP/1.1");
    assert_eq!(seen[3].form(), pairs(&[("access_token", "tok-access")]));
}

#[tokio::test]
async fn token_errors_map_like_api_errors() {
    let m = mock(vec![
        reply(401, r#"{"message":"Authorization Error","errors":[{"resource":"Application","field":"client_secret","code":"invalid"}]}"#),
        Reply {
            status: 429,
            headers: vec![("X-RateLimit-Limit", "200,2000"), ("X-RateLimit-Usage", "201,300")],
            body: r#"{"message":"Rate Limit Exceeded"}"#,
        },
        reply(503, r#"{"message":"down"}"#),
        reply(200, r#"{"token_type":"Bearer","access_token":"tok-leak","expires_at":"soon"}"#),
        reply(200, r#"{"token_type":"Bearer","access_token":"tok-leak","expires_at":1900000000}"#),
    ])
    .await;
    let client = m.client();
    assert_eq!(client.exchange_code("tok-code").await, Err(ProviderError::Unauthorized));
    let limited = client.refresh(&Secret::new("tok-refresh".into())).await.expect_err("429");
    assert!(matches!(limited, ProviderError::RateLimited { window: WINDOW_15_MIN, .. }), "{limited:?}");
    // OAuth calls are not held back by the API limits, and are never retried.
    assert_eq!(
        client.exchange_code("tok-code").await,
        Err(ProviderError::Upstream { status: 503, message: "down".into() })
    );
    let malformed = client.exchange_code("tok-code").await.expect_err("malformed");
    assert_eq!(malformed, ProviderError::Decode("token response: missing or malformed fields".into()));
    let no_refresh = client.refresh(&Secret::new("tok-refresh".into())).await.expect_err("no refresh token");
    assert!(matches!(no_refresh, ProviderError::Decode(_)), "{no_refresh:?}");
    for err in [&malformed, &no_refresh] {
        assert!(!err.to_string().contains("tok-"), "no token in {err}");
    }
    assert_eq!(m.seen().len(), 5);
}

#[tokio::test]
async fn transport_errors_are_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let m = Mock { base: format!("http://{addr}"), seen: Arc::default() };
    let err = m.client().athlete(&token()).await.expect_err("refused");
    assert!(matches!(err, ProviderError::Transport(_)), "{err:?}");
    assert!(!err.to_string().contains("tok-access"));
}

#[test]
fn authorize_url_and_config_checks() {
    let mut config = StravaClientConfig::new("1234", Secret::new("s".into()));
    config.oauth_base = "http://127.0.0.1:8081/sandbox/strava/".into();
    let client = StravaClient::new(config.clone()).expect("client");
    let url = client.authorize_url("st ate", "http://127.0.0.1:8081/oauth/strava/callback", "read,activity:read_all");
    // oauth2 orders the query differently from the old hand-built URL: compare parsed pairs.
    let (base, query) = url.split_once('?').expect("query");
    assert_eq!(base, "http://127.0.0.1:8081/sandbox/strava/oauth/authorize");
    let mut query: Vec<&str> = query.split('&').collect();
    query.sort_unstable();
    assert_eq!(
        query,
        [
            "approval_prompt=auto",
            "client_id=1234",
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Foauth%2Fstrava%2Fcallback",
            "response_type=code",
            "scope=read%2Cactivity%3Aread_all",
            "state=st+ate",
        ]
    );
    // A redirect URI that is not an absolute URL is passed through as given.
    let url = client.authorize_url("s", "r", "read");
    assert!(url.contains("&redirect_uri=r&") || url.ends_with("&redirect_uri=r"), "{url}");
    assert!(!format!("{client:?}").contains("\"s\""));
    config.api_base = "ftp://example.com".into();
    assert!(StravaClient::new(config).is_err());
}
