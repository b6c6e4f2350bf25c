//! Where the console's own outbound calls (to connected systems and agents' callbacks) may go.
//! A destination is resolved once, every address it resolves to is checked, and the connection
//! is made to the checked addresses only (the resolver below is the client's only resolver, so
//! there is no second lookup a rebinding DNS server could answer differently). Loopback,
//! private, link-local (cloud metadata lives there), shared, multicast and reserved addresses
//! are refused unless `COUNTERSIGN_OUTBOUND_ALLOW` names them.

use crate::config::hardening::OutboundAllow;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allow: OutboundAllow,
}

/// Why a destination was refused, naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl OutboundPolicy {
    pub fn new(allow: OutboundAllow) -> Self {
        Self { allow }
    }

    /// Whether a call may go to `ip`, reached as `host`.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        let ip = canonical(ip);
        let Some(class) = internal_class(ip) else {
            return Ok(());
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.allow.networks.iter().any(|net| net.contains(&ip))
            || self.allow.hosts.contains(&host)
        {
            return Ok(());
        }
        Err(Refused(format!(
            "{host} is {ip}, {class}; an operator can allow it with COUNTERSIGN_OUTBOUND_ALLOW"
        )))
    }

    /// Checks a URL before it is called: http(s) only, and an address written in the URL is
    /// checked here (the resolver is not asked about it).
    pub fn check_url(&self, url: &str) -> Result<(), Refused> {
        let parsed =
            url::Url::parse(url).map_err(|e| Refused(format!("`{url}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Refused(format!("`{url}` is not an http(s) URL")));
        }
        match parsed.host() {
            Some(url::Host::Ipv4(ip)) => self.check(&ip.to_string(), IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check(&ip.to_string(), IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err(Refused(format!("`{url}` names no host"))),
        }
    }

    /// A resolver that returns only addresses this policy allows.
    pub fn resolver(self: &Arc<Self>) -> Arc<CheckedResolver> {
        Arc::new(CheckedResolver {
            policy: self.clone(),
        })
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Which kind of internal address `ip` is; `None` for a public one.
fn internal_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => internal_v4(ip),
        IpAddr::V6(ip) => internal_v6(ip),
    }
}

fn internal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        () if ip.is_loopback() => "a loopback address",
        () if ip.is_private() => "a private address",
        () if ip.is_link_local() => "a link-local address (cloud metadata services live here)",
        () if ip.is_unspecified() || a == 0 => "an unspecified address",
        () if a == 100 && (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        () if a == 192 && b == 0 && c == 0 => "an IETF protocol address",
        () if a == 198 && (b == 18 || b == 19) => "a benchmarking address",
        () if ip.is_multicast() => "a multicast address",
        () if a >= 240 => "a reserved address",
        () if ip.is_documentation() => "a documentation address",
        () => return None,
    })
}

fn internal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(match () {
        () if ip.is_loopback() => "a loopback address",
        () if ip.is_unspecified() => "an unspecified address",
        () if first & 0xfe00 == 0xfc00 => "a private (unique local) address",
        () if first & 0xffc0 == 0xfe80 => "a link-local address",
        () if first & 0xffc0 == 0xfec0 => "a site-local address",
        () if ip.is_multicast() => "a multicast address",
        () if first == 0x2001 && ip.segments()[1] == 0x0db8 => "a documentation address",
        // NAT64 and IPv4-compatible forms would reach IPv4 addresses this check cannot see.
        () if first == 0x0064 && ip.segments()[1] == 0xff9b => "a NAT64 address",
        () if ip.segments()[..6] == [0; 6] => "an IPv4-compatible address",
        () => return None,
    })
}

/// Resolves through the system, then keeps the answer only if every address is allowed: a name
/// that resolves to an internal address among public ones is refused outright.
#[derive(Debug)]
pub struct CheckedResolver {
    policy: Arc<OutboundPolicy>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.is_empty() {
                return Err(Refused(format!("{host} resolves to no address")).into());
            }
            for addr in &found {
                policy.check(&host, addr.ip())?;
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(policy: &OutboundPolicy, ip: &str) -> bool {
        policy.check("h", ip.parse().unwrap()).is_err()
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        let policy = OutboundPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::7f00:1",
        ] {
            assert!(refused(&policy, ip), "{ip} must be refused");
        }
        for ip in [
            "93.184.215.14",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "8.8.8.8",
        ] {
            assert!(!refused(&policy, ip), "{ip} is public");
        }
        let why = policy.check("metadata.internal", "169.254.169.254".parse().unwrap());
        assert!(why
            .unwrap_err()
            .0
            .contains("metadata.internal is 169.254.169.254"));
    }

    #[test]
    fn the_operator_can_allow_networks_and_hosts() {
        let policy = OutboundPolicy::new(OutboundAllow::parse("10.0.0.0/8, crm.internal").unwrap());
        assert!(!refused(&policy, "10.9.9.9"));
        assert!(refused(&policy, "192.168.0.1"));
        assert!(policy
            .check("CRM.internal.", "192.168.0.1".parse().unwrap())
            .is_ok());
    }

    #[test]
    fn urls_with_addresses_are_checked_before_any_call() {
        let policy = OutboundPolicy::default();
        assert!(policy.check_url("http://127.0.0.1:8080/x").is_err());
        assert!(policy.check_url("http://[::1]/").is_err());
        assert!(
            policy.check_url("http://2130706433/").is_err(),
            "decimal 127.0.0.1"
        );
        assert!(policy.check_url("file:///etc/passwd").is_err());
        assert!(policy.check_url("https://crm.example.com/hook").is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_at_resolution() {
        let resolver = Arc::new(OutboundPolicy::default()).resolver();
        let answer = resolver.resolve("localhost".parse().unwrap()).await;
        let error = answer.err().expect("localhost is refused").to_string();
        assert!(error.contains("loopback"), "{error}");
    }
}
