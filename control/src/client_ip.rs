//! Who is calling, by address: the TCP peer, unless the peer is one of the
//! operator's trusted proxies, in which case the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy. Entries to the
//! left of it were written by the client and prove nothing. One answer for
//! both the rate limits and the audit trail.

use std::net::IpAddr;

/// The client address of one request, put in the request's extensions by
/// the server before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an address or a network in CIDR notation"))?;
        let network = canonical(network);
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {width}"))?,
        };
        Ok(Self { network, prefix })
    }
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:10.0.0.1`) compare
/// as the IPv4 addresses they are.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty (the default):
/// nobody's, the TCP peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses `["10.0.0.0/8", "192.168.1.7"]`; the error names the bad entry.
    pub fn parse<S: AsRef<str>>(networks: &[S]) -> Result<Self, String> {
        networks
            .iter()
            .map(|n| n.as_ref().parse())
            .collect::<Result<Vec<Cidr>, String>>()
            .map(Self)
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For`
    /// header values in order. An entry that is not an address stops the
    /// walk: the last address vouched for by a trusted hop is the client.
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            let Some(address) = parse_hop(hop) else {
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|socket| canonical(socket.ip()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        assert_eq!(
            proxies.client_ip(ip("203.0.113.9"), ["1.1.1.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().client_ip(ip("10.0.0.1"), ["1.1.1.1"]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_spoofed_left_most_entry_does_not_hide_the_real_client() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "192.168.0.1"]).unwrap();
        // The client wrote "6.6.6.6"; the load balancer appended its peer,
        // then the ingress the load balancer's address.
        let client = proxies.client_ip(ip("10.1.2.3"), ["6.6.6.6, 198.51.100.7", "192.168.0.1"]);
        assert_eq!(client, ip("198.51.100.7"));
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_trusted_hop() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), ["nonsense"]), ip("10.0.0.1"));
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), ["10.0.0.2, x, 10.0.0.3"]),
            ip("10.0.0.3")
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.1"), ["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn networks_are_matched_by_prefix_and_mapped_addresses_as_ipv4() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "fd00::/8"]).unwrap();
        assert!(proxies.trusts(ip("10.255.0.1")));
        assert!(proxies.trusts(ip("::ffff:10.0.0.1")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("11.0.0.1")));
        assert!(!proxies.trusts(ip("fe80::1")));
        assert!(TrustedProxies::parse(&["0.0.0.0/0"])
            .unwrap()
            .trusts(ip("8.8.8.8")));
    }

    #[test]
    fn a_malformed_network_is_named() {
        let error = TrustedProxies::parse(&["10.0.0.0/33"]).unwrap_err();
        assert!(error.contains("10.0.0.0/33"), "{error}");
        assert!(TrustedProxies::parse(&["ten"]).unwrap_err().contains("ten"));
    }
}
