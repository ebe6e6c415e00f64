//! Fetching a Client ID Metadata Document: the client id is an https URL, pacer GETs it.
//!
//! The URL comes from whoever opens the authorize page, so the fetch is guarded against SSRF:
//! - `https` only; `http` and loopback addresses only when `allow_loopback_client_ids` is set
//!   (development: a client serving its document on 127.0.0.1);
//! - no user info, no fragment, a path other than `/`, at most [`MAX_URL_LEN`] characters;
//! - the host is resolved here and **every** resolved address must be a public unicast address
//!   (not loopback, private, link-local, shared/CGNAT, unique-local, multicast, unspecified,
//!   broadcast or documentation; IPv4-mapped IPv6 is judged as IPv4); the request is then pinned
//!   to exactly those addresses (no second resolution a rebinding DNS server could answer
//!   differently), with no proxy and no redirects;
//! - at most [`MAX_DOCUMENT_BYTES`] and [`FETCH_TIMEOUT`] (connect + whole body).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Longest client id URL.
pub const MAX_URL_LEN: usize = 2048;
/// Largest metadata document.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// Time for resolving, connecting and reading the whole document.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fetched document is used before it is fetched again.
pub const CACHE_SECS: i64 = 3600;

/// Why a client id URL was not fetched or not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CimdError {
    #[error("client_id is not a usable URL: {0}")]
    BadUrl(String),
    #[error("client_id must be an https URL")]
    NotHttps,
    #[error("client_id host {0} resolves to a loopback, private or link-local address; refused")]
    Forbidden(String),
    #[error("client_id host {0} could not be resolved")]
    Unresolved(String),
    #[error("fetching the client metadata document failed: {0}")]
    Fetch(String),
}

/// Whether `ip` may be contacted. Loopback only with `allow_loopback`.
pub fn is_allowed_address(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => allowed_v4(v4, allow_loopback),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => allowed_v4(v4, allow_loopback),
            None => allowed_v6(v6, allow_loopback),
        },
    }
}

fn allowed_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10 (CGNAT)
    let this_network = a == 0;
    let reserved = a >= 240;
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || shared
        || this_network
        || reserved)
}

fn allowed_v6(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    let first = ip.segments()[0];
    let unique_local = (first & 0xfe00) == 0xfc00; // fc00::/7
    let link_local = (first & 0xffc0) == 0xfe80; // fe80::/10
    let site_local = (first & 0xffc0) == 0xfec0; // fec0::/10 (deprecated)
    let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8;
    let nat64 = first == 0x0064 && ip.segments()[1] == 0xff9b;
    !(ip.is_unspecified() || ip.is_multicast() || unique_local || link_local || site_local || documentation || nat64)
}

/// A parsed, policy-checked client id URL.
#[derive(Debug, Clone)]
pub struct ClientIdUrl {
    pub url: url::Url,
    pub host: String,
    pub port: u16,
}

/// Checks the shape of a client id URL (no network).
pub fn parse_client_id_url(raw: &str, allow_loopback: bool) -> Result<ClientIdUrl, CimdError> {
    if raw.len() > MAX_URL_LEN {
        return Err(CimdError::BadUrl(format!("longer than {MAX_URL_LEN} characters")));
    }
    let url = url::Url::parse(raw).map_err(|e| CimdError::BadUrl(e.to_string()))?;
    let host = url.host_str().ok_or_else(|| CimdError::BadUrl("no host".into()))?.to_owned();
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && is_loopback_name(&host) => {}
        _ => return Err(CimdError::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CimdError::BadUrl("user info is not allowed".into()));
    }
    if url.fragment().is_some() {
        return Err(CimdError::BadUrl("a fragment is not allowed".into()));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(CimdError::BadUrl("the URL needs a path (e.g. https://app.example/oauth/client.json)".into()));
    }
    let port = url.port_or_known_default().ok_or_else(|| CimdError::BadUrl("no port".into()))?;
    Ok(ClientIdUrl { url, host, port })
}

fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Resolves the host and checks every address.
async fn resolve(target: &ClientIdUrl, allow_loopback: bool) -> Result<Vec<SocketAddr>, CimdError> {
    let addrs: Vec<SocketAddr> = match target.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((target.host.as_str(), target.port)))
            .await
            .map_err(|_| CimdError::Unresolved(target.host.clone()))?
            .map_err(|_| CimdError::Unresolved(target.host.clone()))?
            .take(16)
            .collect(),
    };
    if addrs.is_empty() {
        return Err(CimdError::Unresolved(target.host.clone()));
    }
    if addrs.iter().any(|a| !is_allowed_address(a.ip(), allow_loopback)) {
        return Err(CimdError::Forbidden(target.host.clone()));
    }
    Ok(addrs)
}

/// Fetches the document at a client id URL under the rules above; returns its bytes.
pub async fn fetch(raw: &str, allow_loopback: bool) -> Result<Vec<u8>, CimdError> {
    let target = parse_client_id_url(raw, allow_loopback)?;
    let addrs = resolve(&target, allow_loopback).await?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .resolve_to_addrs(&target.host, &addrs)
        .build()
        .map_err(|e| CimdError::Fetch(e.to_string()))?;
    let fetch = async {
        let mut res = client
            .get(target.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| CimdError::Fetch(e.without_url().to_string()))?;
        if res.status() != reqwest::StatusCode::OK {
            return Err(CimdError::Fetch(format!("HTTP {}", res.status().as_u16())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| CimdError::Fetch(e.without_url().to_string()))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(CimdError::Fetch(format!("document larger than {MAX_DOCUMENT_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(FETCH_TIMEOUT, fetch).await.map_err(|_| CimdError::Fetch("timed out".into()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_policy() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_allowed_address(bad.parse().unwrap(), false), "{bad}");
        }
        for good in ["93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_allowed_address(good.parse().unwrap(), false), "{good}");
        }
        assert!(is_allowed_address("127.0.0.1".parse().unwrap(), true));
        assert!(!is_allowed_address("10.0.0.1".parse().unwrap(), true));
    }

    #[test]
    fn url_shape() {
        assert_eq!(parse_client_id_url("http://example.com/c.json", false).unwrap_err(), CimdError::NotHttps);
        assert!(parse_client_id_url("https://example.com/", false).is_err());
        assert!(parse_client_id_url("https://u:p@example.com/c", false).is_err());
        assert!(parse_client_id_url("https://example.com/c#x", false).is_err());
        assert!(parse_client_id_url("https://example.com/c.json", false).is_ok());
        assert!(parse_client_id_url("http://127.0.0.1:9/c.json", true).is_ok());
        assert_eq!(parse_client_id_url("http://127.0.0.1:9/c.json", false).unwrap_err(), CimdError::NotHttps);
    }
}
