//! DNS-rebinding and cross-site protection: the `Host` of every request, and the `Origin` of a
//! WebSocket upgrade, must name this daemon.
//!
//! Allowed names ([`allowed_hosts`]): `localhost`, `127.0.0.1`, `::1`, the bound address and
//! the host of `public_url`. A request whose `Host` names anything else is refused with 403
//! JSON before any route runs ([`require_allowed_host`], mounted once on the App). A request
//! without `Host` (HTTP/1.0) passes: a browser always sends one. On `GET /mcp/ws`
//! ([`require_allowed_origin`]) an `Origin` header, which browsers always send on WebSockets,
//! must be `http(s)://` one of the same names; clients that send none (agents, CLIs) pass.

use std::net::SocketAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::error::ApiError;
use crate::state::AppState;

/// The `Host` names this daemon answers to (sorted, unique).
pub fn allowed_hosts(http_addr: &SocketAddr, public_url: &str) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    hosts.push(http_addr.ip().to_string());
    if let Some(host) = url::Url::parse(public_url).ok().and_then(|u| u.host_str().map(str::to_owned)) {
        hosts.push(host.trim_start_matches('[').trim_end_matches(']').to_owned());
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The host part of a `Host` header value (`name`, `name:port`, `[v6]:port`), lower-cased.
fn host_name(value: &str) -> Option<String> {
    let authority: http::uri::Authority = value.parse().ok()?;
    Some(authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase())
}

fn is_allowed(state: &AppState, host: &str) -> bool {
    state.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
}

/// App-wide middleware: 403 JSON unless `Host` names this daemon.
pub async fn require_allowed_host(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let (Some(state), Some(value)) = (req.app_data::<web::Data<AppState>>(), req.headers().get(header::HOST)) {
        let host = value.to_str().ok().and_then(host_name);
        if !host.as_deref().is_some_and(|h| is_allowed(state, h)) {
            tracing::info!(path = req.path(), "request for a Host this daemon does not serve refused");
            return Err(ApiError::forbidden(
                "Host not allowed: this daemon answers only to its own address (set public_url when it is reached by another name)",
            )
            .into());
        }
    }
    next.call(req).await
}

/// Route middleware for WebSocket upgrades: 403 JSON when `Origin` names another site.
pub async fn require_allowed_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let (Some(state), Some(origin)) = (req.app_data::<web::Data<AppState>>(), req.headers().get(header::ORIGIN)) {
        let ok = origin
            .to_str()
            .ok()
            .and_then(|o| url::Url::parse(o).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .and_then(|u| u.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned()))
            .is_some_and(|h| is_allowed(state, &h));
        if !ok {
            tracing::info!("WebSocket upgrade from a foreign Origin refused");
            return Err(ApiError::forbidden(
                "Origin not allowed: WebSocket connections only from this daemon's own pages",
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
        assert_eq!(host_name("127.0.0.1:8081").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_name("[::1]:8081").as_deref(), Some("::1"));
        assert_eq!(host_name("LocalHost").as_deref(), Some("localhost"));
        assert_eq!(host_name("a b"), None);
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap_or_else(|_| unreachable!());
        let hosts = allowed_hosts(&addr, "https://pacer.example.org/");
        assert!(hosts.contains(&"pacer.example.org".to_string()) && hosts.contains(&"::1".to_string()));
    }
}
