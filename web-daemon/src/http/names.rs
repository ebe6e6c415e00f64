//! The `Host` names and `Origin` values this daemon answers to, derived from the bound address
//! and `public_url` (pure functions: `AppState::new` computes them; `host.rs` enforces them).

use std::net::SocketAddr;

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

/// The `Origin` values this daemon's own pages have (sorted, unique; ASCII serialization:
/// `scheme://host[:port]`, the port left out when it is the scheme's default).
pub fn allowed_origins(http_addr: &SocketAddr, public_url: &str) -> Vec<String> {
    let port = http_addr.port();
    let bound = match http_addr.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let mut origins: Vec<String> = ["localhost", "127.0.0.1", "[::1]", bound.as_str()]
        .iter()
        .filter_map(|host| origin_of(&format!("http://{host}:{port}")))
        .collect();
    origins.extend(origin_of(public_url));
    origins.sort();
    origins.dedup();
    origins
}

/// The ASCII serialization of `url`'s origin; `None` for an opaque origin or no URL.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}
