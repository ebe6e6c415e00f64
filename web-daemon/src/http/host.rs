//! DNS-rebinding and cross-site protection: the `Host` of every request, and the `Origin` of
//! every request to an MCP route (`POST /mcp`, `GET /mcp/ws`), must name this daemon.
//!
//! Allowed names ([`allowed_hosts`], computed in `names.rs`, a leaf the state builder uses): `localhost`, `127.0.0.1`, `::1`, the bound address and
//! the host of `public_url`. A request whose `Host` names anything else is refused with 403
//! JSON before any route runs ([`check_host`], run by the App-wide [`super::edge`]). A request
//! without `Host` (HTTP/1.0) passes: a browser always sends one.
//!
//! Allowed origins ([`allowed_origins`]): `public_url`'s origin and `http://` + each loopback
//! name or the bound address + the bound port — scheme, host and port must all match, so a page
//! served by another program on this machine (another port) is refused too. On the MCP routes
//! ([`require_allowed_origin`]) an `Origin` header, which browsers send on every cross-origin
//! request and every WebSocket, must be one of them (`null` never is); clients that send none
//! (agents, CLIs) pass.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::error::ApiError;
use super::names::origin_of;
pub use super::names::{allowed_hosts, allowed_origins};
use crate::state::AppState;

/// The host part of a `Host` header value (`name`, `name:port`, `[v6]:port`), as sent (compare
/// it case-insensitively); `None` when the value is not of that shape. Borrowed, no allocation:
/// this runs on every request.
fn host_name(value: &str) -> Option<&str> {
    let (host, port) = match value.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest.split_once(']')?;
            let port = if after.is_empty() { "" } else { after.strip_prefix(':')? };
            (host, port)
        }
        None => value.split_once(':').unwrap_or((value, "")),
    };
    let host_ok = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    let port_ok = port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    (host_ok && port_ok).then_some(host)
}

fn is_allowed(state: &AppState, host: &str) -> bool {
    state.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
}

/// The App-wide Host check (run by [`super::edge`]): 403 JSON unless `Host` names this daemon.
pub fn check_host(req: &ServiceRequest) -> Result<(), ApiError> {
    if let (Some(state), Some(value)) = (req.app_data::<web::Data<AppState>>(), req.headers().get(header::HOST)) {
        let host = value.to_str().ok().and_then(host_name);
        if !host.is_some_and(|h| is_allowed(state, h)) {
            tracing::info!(path = req.path(), "request for a Host this daemon does not serve refused");
            return Err(ApiError::forbidden(
                "Host not allowed: this daemon answers only to its own address (set public_url when it is reached by another name)",
            ));
        }
    }
    Ok(())
}

/// Route middleware for the MCP routes: 403 JSON when `Origin` is not one of
/// [`AppState::allowed_origins`].
pub async fn require_allowed_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let (Some(state), Some(origin)) = (req.app_data::<web::Data<AppState>>(), req.headers().get(header::ORIGIN)) {
        let ok = origin.to_str().ok().and_then(origin_of).is_some_and(|o| state.allowed_origins.contains(&o));
        if !ok {
            tracing::info!(path = req.path(), "MCP request from a foreign Origin refused");
            return Err(ApiError::forbidden(
                "Origin not allowed: MCP requests from a browser only from this daemon's own pages",
            )
            .into());
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_name("127.0.0.1:8081"), Some("127.0.0.1"));
        assert_eq!(host_name("[::1]:8081"), Some("::1"));
        assert_eq!(host_name("[::1]"), Some("::1"));
        assert_eq!(host_name("LocalHost"), Some("LocalHost"));
        for bad in ["a b", "", ":80", "[::1", "[::1]x", "h:8o", "h:123456", "u@h", "h/x", "h:1:2"] {
            assert_eq!(host_name(bad), None, "{bad:?}");
        }
        let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap_or_else(|_| unreachable!());
        let hosts = allowed_hosts(&addr, "https://pacer.example.org/");
        assert!(hosts.contains(&"pacer.example.org".to_string()) && hosts.contains(&"::1".to_string()));
        let origins = allowed_origins(&addr, "https://pacer.example.org/");
        assert!(origins.contains(&"https://pacer.example.org".to_string()), "{origins:?}");
        assert!(origins.contains(&"http://[::1]:9".to_string()) && origins.contains(&"http://localhost:9".to_string()));
        assert_eq!(origin_of("HTTP://LocalHost:9/x").as_deref(), Some("http://localhost:9"));
        assert_eq!(origin_of("null"), None);
    }
}
