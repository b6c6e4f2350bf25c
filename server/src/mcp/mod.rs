//! The Model Context Protocol at `/mcp` (streamable HTTP, `rmcp`): agents reach the same core
//! commands as through `/api/v1`, as tools. Authentication is the agent API's: a short-lived step
//! token, as a Bearer header only, checked on every request against the registry as it is now;
//! a request without one is answered 401 naming the protected-resource metadata (RFC 9728) at
//! `/.well-known/oauth-protected-resource`. Approval, publishing, rollback and revocation are not
//! tools: agents draft, people countersign.

mod auth;
mod tools;

use crate::state::AppState;
use axum::routing::get;
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

pub use tools::CountersignTools;

/// Where the MCP endpoint is served.
pub const PATH: &str = "/mcp";
/// RFC 9728 protected-resource metadata.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// `/mcp` behind the bearer check, and its metadata document.
pub fn router(state: &AppState) -> Router<AppState> {
    let public = &state.config.public_url;
    // The Host header must name this console (DNS-rebinding protection).
    let host = public.host_str().unwrap_or("127.0.0.1").to_owned();
    let hosts = match public.port() {
        Some(port) => vec![format!("{host}:{port}"), host],
        None => vec![host],
    };
    let services = state.services.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(CountersignTools::new(services.clone())),
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default()
            .with_allowed_hosts(hosts)
            // A browser page elsewhere may not drive an agent's session (the Origin, when sent,
            // must be the console's own).
            .with_allowed_origins([public.origin().ascii_serialization()])
            .with_max_request_body_bytes(state.config.max_body_bytes),
    );
    Router::new()
        .route(METADATA_PATH, get(auth::metadata))
        .nest_service(
            PATH,
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    auth::require_step_token,
                ))
                .service(mcp),
        )
}
