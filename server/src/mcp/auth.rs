//! The bearer check in front of `/mcp`, and the RFC 9728 metadata it points to.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use countersign_core::actor::Via;
use countersign_core::services::CredentialError;

fn metadata_url(state: &AppState) -> String {
    format!(
        "{}{}",
        state.config.public_url.as_str().trim_end_matches('/'),
        super::METADATA_PATH
    )
}

/// 401 with a `WWW-Authenticate` challenge naming the metadata (RFC 9728 §5.1).
fn challenge(state: &AppState, error: Option<&str>, detail: &str) -> Response {
    let mut value = format!(
        "Bearer realm=\"countersign\", resource_metadata=\"{}\"",
        metadata_url(state)
    );
    if let Some(error) = error {
        value.push_str(&format!(", error=\"{error}\""));
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        detail.to_owned(),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Every request to `/mcp` carries a working step token in its Authorization header; the
/// principal it stands for rides with the request to the tools.
pub async fn require_step_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    if query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        name.eq_ignore_ascii_case("access_token") || name.eq_ignore_ascii_case("token")
    }) {
        return (
            StatusCode::BAD_REQUEST,
            "tokens are accepted only in the Authorization header, never in the URL",
        )
            .into_response();
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        return challenge(
            &state,
            None,
            "a step token is required: Authorization: Bearer <token from POST /api/v1/token>",
        );
    };
    match state.services.authenticate_token(&token).await {
        Ok(mut principal) => {
            principal.actor = principal.actor.through(Via::Mcp);
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(CredentialError::Store(error)) => {
            tracing::error!(%error, "token check failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the console could not check the token",
            )
                .into_response()
        }
        Err(other) => challenge(&state, Some("invalid_token"), &other.to_string()),
    }
}

/// `GET /.well-known/oauth-protected-resource` (RFC 9728).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let public = state
        .config
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    (
        [(header::CACHE_CONTROL, "max-age=3600")],
        axum::Json(serde_json::json!({
            "resource": format!("{public}{}", super::PATH),
            "resource_name": "Countersign",
            "bearer_methods_supported": ["header"],
            "resource_documentation": format!("{public}/api/v1/openapi.json"),
            "scopes_supported": [],
        })),
    )
        .into_response()
}
