//! The settings that bound what a caller can make the console do: rate limits, time limits, where
//! outbound calls may go, who may read metrics, and whether a non-https public URL is allowed.

use super::{duration, err, ConfigError, Secret};
use ipnet::IpNet;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Hardening {
    /// Sign-ins a source may start per minute.
    pub sign_in_rate_limit: u32,
    /// Failed sign-ins a source may have in 15 minutes before its sign-ins are refused.
    pub failed_sign_in_limit: u32,
    /// The header a trusted reverse proxy puts the client's address in (its last value is
    /// used); `None`: the peer address of the connection.
    pub client_ip_header: Option<String>,
    /// The longest a request may take, body included (a slow client cannot hold a connection).
    pub request_timeout: Duration,
    /// Private, loopback and link-local destinations outbound calls may reach anyway.
    pub outbound_allow: OutboundAllow,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Serve on a public URL that is neither https nor loopback (the operator said so).
    pub allow_insecure_public_url: bool,
    /// The longest the roles read from the IdP at sign-in count; then the person signs in again
    /// and the IdP says afresh which groups they are in.
    pub role_max_age: Duration,
    /// Dangerous actions need a sign-in at most this old (else the IdP is asked again).
    pub reauth_window: Duration,
}

/// Destinations an operator allows although they are internal: networks (CIDR) and host names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundAllow {
    pub networks: Vec<IpNet>,
    pub hosts: Vec<String>,
}

impl OutboundAllow {
    /// `10.0.0.0/8, 127.0.0.1, crm.internal`: commas or spaces between entries.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut allow = Self::default();
        for entry in raw
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if let Ok(net) = entry.parse::<IpNet>() {
                allow.networks.push(net);
            } else if let Ok(ip) = entry.parse::<std::net::IpAddr>() {
                allow.networks.push(IpNet::from(ip));
            } else if is_host_name(entry) {
                allow.hosts.push(entry.to_ascii_lowercase());
            } else {
                return Err(format!(
                    "`{entry}` is not a network (10.0.0.0/8), an address or a host name"
                ));
            }
        }
        Ok(allow)
    }
}

fn is_host_name(entry: &str) -> bool {
    entry.len() <= 253
        && entry.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn count(
    get: &dyn Fn(&str) -> Option<String>,
    key: &str,
    default: u32,
    what: &str,
) -> Result<u32, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                err(
                    &format!("COUNTERSIGN_{key}"),
                    format!("must be {what} from 1 to 10000"),
                )
            }),
    }
}

pub(super) fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<Hardening, ConfigError> {
    let name = |key: &str| format!("COUNTERSIGN_{key}");
    let request_timeout = duration(&get("REQUEST_TIMEOUT").unwrap_or_else(|| "30s".into()))
        .map_err(|p| err(&name("REQUEST_TIMEOUT"), p))?;
    if request_timeout < Duration::from_secs(5) || request_timeout > Duration::from_secs(600) {
        return Err(err(&name("REQUEST_TIMEOUT"), "must be from 5s to 600s"));
    }
    let client_ip_header = match get("CLIENT_IP_HEADER") {
        None => None,
        Some(header) => {
            let header = header.to_ascii_lowercase();
            if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(err(&name("CLIENT_IP_HEADER"), "is not a header name"));
            }
            Some(header)
        }
    };
    let metrics_token = match get("METRICS_TOKEN") {
        None => None,
        Some(token) if token.len() < 32 => {
            return Err(err(
                &name("METRICS_TOKEN"),
                "must be at least 32 characters (generate one: openssl rand -hex 32)",
            ))
        }
        Some(token) => Some(Secret::new(token)),
    };
    let allow_insecure_public_url = match get("ALLOW_INSECURE_PUBLIC_URL").as_deref() {
        None | Some("false" | "off" | "0") => false,
        Some("true" | "on" | "1") => true,
        Some(other) => {
            return Err(err(
                &name("ALLOW_INSECURE_PUBLIC_URL"),
                format!("`{other}`: write true or false"),
            ))
        }
    };
    let bounded = |key: &str, default: &str, min: u64, max: u64, what: &str| {
        let value = duration(&get(key).unwrap_or_else(|| default.into()))
            .map_err(|p| err(&name(key), p))?;
        if value < Duration::from_secs(min) || value > Duration::from_secs(max) {
            return Err(err(&name(key), what.to_owned()));
        }
        Ok(value)
    };
    let role_max_age = bounded(
        "ROLE_MAX_AGE",
        "8h",
        300,
        7 * 86_400,
        "must be from 5m to 7d",
    )?;
    let reauth_window = bounded(
        "REAUTH_WINDOW",
        "15m",
        10,
        12 * 3600,
        "must be from 10s to 12h",
    )?;
    Ok(Hardening {
        role_max_age,
        reauth_window,
        sign_in_rate_limit: count(
            get,
            "SIGN_IN_RATE_LIMIT",
            30,
            "sign-ins per source per minute",
        )?,
        failed_sign_in_limit: count(
            get,
            "FAILED_SIGN_IN_LIMIT",
            10,
            "failed sign-ins per source per 15 minutes",
        )?,
        client_ip_header,
        request_timeout,
        outbound_allow: OutboundAllow::parse(&get("OUTBOUND_ALLOW").unwrap_or_default())
            .map_err(|p| err(&name("OUTBOUND_ALLOW"), p))?,
        metrics_token,
        allow_insecure_public_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_allow_lists_networks_addresses_and_hosts() {
        let allow = OutboundAllow::parse("10.0.0.0/8, 127.0.0.1 crm.internal\n::1").unwrap();
        assert_eq!(allow.networks.len(), 3);
        assert_eq!(allow.hosts, vec!["crm.internal".to_owned()]);
        for bad in ["10.0.0.0/33", "http://x", "a..b", "-bad.example"] {
            let problem = OutboundAllow::parse(bad).unwrap_err();
            assert!(problem.contains(bad), "{problem}");
        }
    }
}
