//! HTML for every page pacer serves: escaping, one-pass templating and the page headers.
//!
//! A leaf module (it imports nothing from the rest of the crate) so the web page, the OAuth
//! result and confirmation pages and login links share one implementation. Every HTML response
//! is built by [`html_response`], which calls [`apply_page_headers`]: a strict CSP (nothing
//! from elsewhere, no framing, forms only to this origin), `X-Frame-Options: DENY`,
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and `Cache-Control:
//! no-store` (pages can carry session cookies and one-time tokens).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// Only this daemon's own script, styles and API; never framed; forms post only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the security headers every HTML response carries (see the module docs).
pub fn apply_page_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// An HTML response with `status`, `body` and the page headers.
pub fn html_response(status: StatusCode, body: String) -> HttpResponse {
    let mut res = HttpResponse::build(status).body(body);
    apply_page_headers(res.headers_mut());
    res
}

/// A small standalone HTML page with a title and one paragraph (OAuth results, login links).
pub fn message_page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    html_response(
        status,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
             <link rel=\"stylesheet\" href=\"/static/pacer.css\"></head><body><main><h1>{t}</h1><p>{b}</p>\
             <p><a href=\"/\">Back to pacer</a></p></main></body></html>",
            t = escape(title),
            b = escape(body)
        ),
    )
}

/// HTML-escapes `s` for element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Replaces each `{{name}}` in `template` with the escaped value, in one pass (a value that itself
/// contains `{{…}}` is not expanded again). Unknown names are left as they are.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| values.iter().find(|(n, _)| *n == &after[..end]).map(|v| (end, v.1))) {
            Some((end, value)) => {
                out.push_str(&escape(value));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn renders_once_and_escaped() {
        let out = render(
            "<b>{{email}}</b> {{base_url}} {{unknown}} {{",
            &[("email", "<script>{{base_url}}</script>"), ("base_url", "http://h")],
        );
        assert_eq!(out, "<b>&lt;script&gt;{{base_url}}&lt;/script&gt;</b> http://h {{unknown}} {{");
    }

    #[test]
    fn every_page_gets_the_headers() {
        let res = message_page(StatusCode::BAD_REQUEST, "t", "<b>");
        let h = res.headers();
        for name in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"] {
            assert!(h.contains_key(name), "{name} missing");
        }
        assert_eq!(h.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
        assert_eq!(h.get("content-type").and_then(|v| v.to_str().ok()), Some("text/html; charset=utf-8"));
    }
}
