//! Which network source a request came from, for per-source limits and the ledger: the peer
//! address of the connection, or, behind a reverse proxy the operator names, the last address in
//! the header that proxy sets (earlier entries are whatever the client claimed).

use crate::state::AppState;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// The request's source address as text; `unknown` when neither is available (in-process tests).
pub fn source(state: &AppState, parts: &Parts) -> String {
    if let Some(header) = &state.config.hardening.client_ip_header {
        let forwarded = parts
            .headers
            .get_all(header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            // Only the entry the proxy appended counts: if it is not an address, earlier
            // (client-written) entries are not a fallback.
            .next_back()
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}
