//! Cross-site request forgery protection for every state-changing request, server functions
//! included. Browsers label each request's origin: `Sec-Fetch-Site` (all current browsers) or,
//! failing that, `Origin`. A state change is accepted only from this console's own origin; a
//! request with neither header did not come from a browser page and carries no ambient authority
//! a forger could use (the agent API authenticates with bearer tokens, not cookies).

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_allowed(
        request.method(),
        request
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok()),
        request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        &state.config.public_origin(),
    ) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "cross-site request refused");
        (
            StatusCode::FORBIDDEN,
            "Cross-site request refused: this action can only be submitted from Countersign's own pages.",
        )
            .into_response()
    }
}

pub fn is_allowed(
    method: &Method,
    fetch_site: Option<&str>,
    origin: Option<&str>,
    public_origin: &str,
) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    match (fetch_site, origin) {
        (Some(site), _) => site == "same-origin" || site == "none",
        (None, Some(origin)) => origin == public_origin,
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "http://127.0.0.1:3000";

    #[test]
    fn state_changes_only_from_our_origin() {
        let post = Method::POST;
        assert!(is_allowed(&post, Some("same-origin"), Some(HOME), HOME));
        assert!(!is_allowed(
            &post,
            Some("cross-site"),
            Some("https://evil.example"),
            HOME
        ));
        assert!(!is_allowed(&post, Some("same-site"), None, HOME));
        assert!(is_allowed(&post, None, Some(HOME), HOME));
        assert!(!is_allowed(&post, None, Some("https://evil.example"), HOME));
        assert!(!is_allowed(&post, None, Some("null"), HOME));
        assert!(is_allowed(&post, None, None, HOME));
        assert!(is_allowed(
            &Method::GET,
            Some("cross-site"),
            Some("https://evil.example"),
            HOME
        ));
    }
}
