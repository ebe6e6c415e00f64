//! Who a request comes from, for per-IP limits.
//!
//! [`client_ip`] is the TCP peer, or — only when the peer is one of the configured
//! `trusted_proxies` — the client a proxy named in `Forwarded` (RFC 7239, preferred) or
//! `X-Forwarded-For`: the list is read from the right, skipping addresses that are themselves
//! trusted proxies, so a client cannot choose its bucket by prepending entries. A forwarded
//! header from any other peer is ignored.
//!
//! [`bucket`] then folds addresses one client can rotate through into one key: all of loopback
//! (127.0.0.0/8 and `::1`: every local process is the same client), an IPv6 address by its /64
//! (what one host or site is handed), IPv4-mapped IPv6 as its IPv4 address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// Prefix length an IPv6 client is bucketed by.
pub const IPV6_CLIENT_PREFIX: u8 = 64;

/// The client's address: the peer, or the forwarded client when the peer is a trusted proxy.
/// Unknown peers are `0.0.0.0` (one shared bucket).
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpNet]) -> IpAddr {
    let peer = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| canonical(a.ip()));
    if is_trusted(peer, trusted_proxies)
        && let Some(ip) = forwarded_client(req.headers(), trusted_proxies)
    {
        return ip;
    }
    peer
}

/// The key a client address is limited by (see the module docs).
pub fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V4(v4) if v4.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) if v6.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) => {
            let mask = u128::MAX << (128 - u32::from(IPV6_CLIENT_PREFIX));
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// The rightmost forwarded address that is not a trusted proxy (else the leftmost one).
fn forwarded_client(headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let chain: Vec<IpAddr> = if headers.contains_key("forwarded") {
        headers
            .get_all("forwarded")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value))?
                })
            })
            .collect()
    } else {
        headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(parse_node)
            .collect()
    };
    chain.iter().rev().copied().find(|ip| !is_trusted(*ip, trusted)).or_else(|| chain.first().copied())
}

/// One node of a forwarded chain: `192.0.2.1`, `192.0.2.1:80`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    let ip = s
        .parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| s.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|v| v.parse().ok()))?;
    Some(canonical(ip))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap_or_else(|e| panic!("{n}: {e}"))).collect()
    }

    #[test]
    fn loopback_is_one_client_and_ipv6_goes_by_its_64() {
        for a in ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.9"] {
            assert_eq!(bucket(ip(a)), ip("127.0.0.1"), "{a}");
        }
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), bucket(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(bucket(ip("2001:db8:1:2::1")), bucket(ip("2001:db8:1:3::1")));
        assert_eq!(bucket(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(bucket(ip("10.0.0.1")), bucket(ip("10.0.0.2")));
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted = nets(&["10.0.0.0/8"]);
        let via = |peer: &str, name: &str, value: &str| {
            let req = TestRequest::default()
                .peer_addr(format!("{peer}:4444").parse().unwrap_or_else(|_| unreachable!()))
                .insert_header((name, value))
                .to_http_request();
            client_ip(&req, &trusted)
        };
        assert_eq!(via("192.0.2.1", "X-Forwarded-For", "198.51.100.9"), ip("192.0.2.1"), "untrusted peer");
        assert_eq!(via("10.1.2.3", "X-Forwarded-For", "198.51.100.9"), ip("198.51.100.9"));
        // A client prepending its own entries does not pick its bucket.
        assert_eq!(via("10.1.2.3", "X-Forwarded-For", "1.2.3.4, 198.51.100.9, 10.0.0.7"), ip("198.51.100.9"));
        assert_eq!(
            via("10.1.2.3", "Forwarded", "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https"),
            ip("2001:db8::7")
        );
        assert_eq!(via("10.1.2.3", "Forwarded", "for=unknown"), ip("10.1.2.3"), "nothing usable: the peer");
        let bare = TestRequest::default().to_http_request();
        assert!(client_ip(&bare, &trusted).is_unspecified());
    }
}
