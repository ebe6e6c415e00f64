//! What a request no route took gets: `405 Method Not Allowed` with `Allow` when its path is a
//! documented route (another method), else `404` — the JSON error shape for API clients, a
//! small HTML page (through [`html`](super::html)) for browsers (`Accept: text/html`).
//!
//! The path → methods table is read from the OpenAPI document itself, so it lists exactly what
//! [`openapi`](super::openapi) documents; `{param}` segments match any one segment.

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

use super::error::ApiError;
use super::html::message_page;

/// One documented path: its segments (`None` for a `{param}`) and its methods, upper case.
struct Route {
    segments: Vec<Option<String>>,
    methods: Vec<String>,
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The documented routes, parsed once from the OpenAPI document.
fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let doc: serde_json::Value = serde_json::from_str(super::openapi::document_json()).unwrap_or_default();
        let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) else { return Vec::new() };
        paths
            .iter()
            .map(|(path, item)| Route {
                segments: split(path)
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect(),
                methods: METHODS.iter().filter(|m| item.get(**m).is_some()).map(|m| m.to_ascii_uppercase()).collect(),
            })
            .collect()
    })
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_start_matches('/').split('/')
}

/// The methods documented for `path`, or `None` when no documented route has that path. As in
/// OpenAPI, concrete paths win over templated ones: `/api/keys/create` is that path's methods
/// only, not also those of `/api/keys/{key_id}`.
pub fn allowed_methods(path: &str) -> Option<Vec<&'static str>> {
    let want: Vec<&str> = split(path).collect();
    let matching = routes().iter().filter(|r| {
        r.segments.len() == want.len()
            && r.segments.iter().zip(&want).all(|(s, w)| s.as_deref().is_none_or(|s| s == *w))
    });
    let templated = |r: &Route| r.segments.iter().filter(|s| s.is_none()).count();
    let best = matching.clone().map(templated).min()?;
    let mut found: Vec<&'static str> =
        matching.filter(|r| templated(r) == best).flat_map(|r| r.methods.iter().map(String::as_str)).collect();
    found.sort_unstable();
    found.dedup();
    Some(found)
}

/// Whether the client prefers a page (a browser navigating) to JSON.
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("text/html")))
}

/// The app's default service: 405 with `Allow` for a documented path, else 404.
pub async fn not_routed(req: HttpRequest) -> HttpResponse {
    if let Some(methods) = allowed_methods(req.path()) {
        let allow = methods.join(", ");
        let message = format!("{} is not allowed here; allowed: {allow}", req.method());
        let mut res = if wants_html(&req) {
            message_page(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", &message)
        } else {
            actix_web::ResponseError::error_response(&ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                message,
            ))
        };
        if let Ok(v) = HeaderValue::from_str(&allow) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        return res;
    }
    if wants_html(&req) && req.method() == Method::GET {
        return message_page(StatusCode::NOT_FOUND, "Not found", "There is no page at this address.");
    }
    actix_web::ResponseError::error_response(&ApiError::not_found("no such route"))
}

#[cfg(test)]
mod tests {
    use super::allowed_methods;

    #[test]
    fn documented_paths_list_their_methods() {
        assert_eq!(allowed_methods("/api/auth/login"), Some(vec!["POST"]));
        assert_eq!(allowed_methods("/a2a/agents/some-id"), Some(vec!["DELETE"]));
        // Concrete paths win over templates, as in OpenAPI.
        assert_eq!(allowed_methods("/a2a/agents/discover"), Some(vec!["GET"]));
        assert_eq!(allowed_methods("/api/keys/create"), Some(vec!["POST"]));
        assert_eq!(allowed_methods("/api/connection"), Some(vec!["DELETE", "GET"]));
        assert_eq!(allowed_methods("/no/such/route"), None);
        assert_eq!(allowed_methods("/api/auth/login/extra"), None);
    }
}
