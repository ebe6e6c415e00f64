//! Route-level tests: real requests through the real routes with `actix_web::test`.
//!
//! Helpers are macros because the service type of `init_service` cannot be named here.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use serde_json::Value;

use super::SandboxConfig;

pub(super) const PREFIX: &str = "/sandbox/strava";

/// Builds the app for a `SandboxStrava` mounted at [`PREFIX`].
macro_rules! app {
    ($sb:expr) => {
        actix_web::test::init_service(actix_web::App::new().configure(|c| $sb.configure($crate::tests::PREFIX, c)))
            .await
    };
}

/// Sends a `TestRequest` and reads the whole reply.
macro_rules! send {
    ($app:expr, $req:expr) => {
        $crate::tests::Reply::read(actix_web::test::call_service(&$app, $req.to_request()).await).await
    };
}

/// `TestRequest` for `method` on `PREFIX + path`, with an optional bearer token.
macro_rules! req {
    ($method:ident, $path:expr) => {
        actix_web::test::TestRequest::$method().uri(&format!("{}{}", $crate::tests::PREFIX, $path))
    };
    ($method:ident, $path:expr, $token:expr) => {
        req!($method, $path).insert_header(("Authorization", format!("Bearer {}", $token)))
    };
}

/// Runs the consent + code exchange for `athlete` with `scope`; yields the token response JSON.
macro_rules! login {
    ($app:expr, $athlete:expr, $scope:expr) => {{
        let consent = send!(
            $app,
            req!(post, "/oauth/authorize").set_form([
                ("client_id", "pacer-sandbox"),
                ("redirect_uri", "http://localhost/cb"),
                ("response_type", "code"),
                ("scope", $scope),
                ("state", "s1"),
                ("athlete_id", &$athlete.to_string()),
                ("decision", "approve"),
            ])
        );
        assert_eq!(consent.status, actix_web::http::StatusCode::FOUND);
        let code = $crate::tests::query_value(consent.header("location"), "code");
        let reply = send!(
            $app,
            req!(post, "/oauth/token").set_form([
                ("client_id", "pacer-sandbox"),
                ("client_secret", "sandbox-secret"),
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
            ])
        );
        assert_eq!(reply.status, actix_web::http::StatusCode::OK, "{}", reply.text());
        reply.json()
    }};
}

/// POSTs an upload and returns `(status, body)`.
macro_rules! upload {
    ($app:expr, $token:expr, $fields:expr, $file:expr) => {{
        let (content_type, body) = $crate::tests::multipart($fields, $file);
        let reply = send!(
            $app,
            req!(post, "/api/v3/uploads", $token).insert_header(("Content-Type", content_type)).set_payload(body)
        );
        (reply.status, reply.json())
    }};
}

/// Waits out the processing delay and returns the upload document.
macro_rules! settled {
    ($app:expr, $token:expr, $upload:expr) => {{
        actix_web::rt::time::sleep(std::time::Duration::from_millis(150)).await;
        send!($app, req!(get, format!("/api/v3/uploads/{}", $upload["id"]), $token)).json()
    }};
}

mod api_tests;
mod faults_tests;
mod oauth_tests;
mod parse_tests;
mod streams_stats_tests;
mod upload_tests;

/// Scope the pacer daemon asks for.
pub(super) const FULL_SCOPE: &str = "read,activity:read_all,activity:write";

pub(super) fn config() -> SandboxConfig {
    SandboxConfig {
        upload_processing_ms: 100,
        redirect_uris: vec!["http://localhost/cb".into(), "https://app.example/cb".into(), "http://x/cb".into()],
        ..SandboxConfig::default()
    }
}

/// A response read to the end.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Reply {
    pub(super) async fn read<B: MessageBody>(response: ServiceResponse<B>) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = actix_web::test::read_body(response).await.to_vec();
        Self { status, headers, body }
    }

    pub(super) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(super) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// The value of `key` in the query of URL `location` ("" if absent).
pub(super) fn query_value(location: &str, key: &str) -> String {
    url::Url::parse(location)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()))
        .unwrap_or_default()
}

/// The string at `pointer` in a token response.
pub(super) fn s(value: &Value, pointer: &str) -> String {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// A multipart/form-data body: `(content type, bytes)`.
pub(super) fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----pacer-sandbox-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A GPX track: `n` points 30 s apart going north 0.001° (≈ 111.2 m) each, climbing 1 m,
/// heart rate 140 + i in the Garmin extension.
pub(super) fn gpx(start: chrono::DateTime<chrono::Utc>, n: usize, kind: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"pacer test\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\n",
    );
    out.push_str(&format!("<trk><name>Test &amp; track</name><type>{kind}</type><trkseg>\n"));
    for i in 0..n {
        let time = start + chrono::Duration::seconds(30 * i as i64);
        out.push_str(&format!(
            "<trkpt lat=\"{:.6}\" lon=\"6.100000\"><ele>{}</ele><time>{}</time>\
             <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>\n",
            45.0 + 0.001 * i as f64,
            400 + i,
            time.format("%Y-%m-%dT%H:%M:%SZ"),
            140 + i
        ));
    }
    out.push_str("</trkseg></trk></gpx>\n");
    out
}
