//! `GET /api/v1/me`: who a bearer token belongs to, the step it is bound to, and when it ends.

use super::problem::{internal, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::services::{CredentialError, TokenPrincipal};

/// A 401 that says what is missing or wrong (RFC 6750 §3).
pub(super) fn challenge(error: Option<&str>, detail: String) -> Response {
    let mut response = Problem {
        status: StatusCode::UNAUTHORIZED,
        title: "Unauthorized",
        detail,
    }
    .into_response();
    let value = match error {
        Some(code) => format!("Bearer realm=\"countersign\", error=\"{code}\""),
        None => "Bearer realm=\"countersign\"".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The token in `Authorization: Bearer …`.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// The 401 for a request without a token, naming how to get one.
pub(super) fn token_required(how: &str) -> Response {
    challenge(None, format!("an access token is required: {how}"))
}

/// A token check that failed: the store's failures are logged and never described.
pub(super) fn token_refusal(error: CredentialError) -> Response {
    match error {
        CredentialError::Store(error) => {
            tracing::error!(%error, "token check failed");
            internal().into_response()
        }
        other => challenge(Some("invalid_token"), other.to_string()),
    }
}

/// The identity and step of the token in `Authorization: Bearer …`, or a 401 that says what is
/// missing (RFC 6750 §3).
pub(super) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<TokenPrincipal, Response> {
    let token = bearer(headers)
        .ok_or_else(|| token_required("Authorization: Bearer <token from POST /api/v1/token>"))?;
    state
        .services
        .authenticate_token(token)
        .await
        .map_err(token_refusal)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MePrincipal {
    pub id: String,
    /// `agent` or `service_account`.
    pub kind: String,
    pub name: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeWorkflow {
    pub id: String,
    pub name: String,
    /// Where drafts of this workflow may be published: a draft's `target.system`.
    pub publish_targets: Vec<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeStep {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// Who a token belongs to, the step it is bound to, and when it ends.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub principal: MePrincipal,
    pub workflow: MeWorkflow,
    pub step: MeStep,
    pub scope: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Who the bearer token belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "credentials",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MeResponse),
        (status = 401, description = "No token, or a token that no longer works (and why)", body = super::problem::ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let body = MeResponse {
        principal: MePrincipal {
            id: principal.nhi.id.to_string(),
            kind: principal.nhi.kind.as_str().to_owned(),
            name: principal.nhi.name.clone(),
        },
        workflow: MeWorkflow {
            id: principal.workflow.id.to_string(),
            name: principal.workflow.name.clone(),
            publish_targets: principal
                .workflow
                .steps
                .iter()
                .filter(|s| s.kind == countersign_core::domain::StepKind::Publish)
                .filter_map(|s| s.grant.system.map(|id| id.to_string()))
                .collect(),
        },
        step: MeStep {
            id: principal.step.id.to_string(),
            name: principal.step.name.clone(),
            kind: principal.step.kind.as_str().to_owned(),
        },
        scope: format!("step:{}", principal.step.id),
        expires_at: principal.expires_at,
    };
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// Middleware for the console's own routes (pages, server functions, sign-in): they act for
/// people with sessions. A request carrying an identity's bearer token is refused with 403 and,
/// when the token is valid, recorded as a possible privilege-abuse signal.
pub async fn refuse_bearer_on_people_routes(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer ") || v.starts_with("bearer "));
    if !bearer {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    if let Ok(principal) = authenticate(&state, request.headers()).await {
        if let Err(error) = state.services.refuse_people_route(&principal, &path).await {
            tracing::error!(%error, "recording a refused identity request failed");
        }
    }
    Problem {
        status: StatusCode::FORBIDDEN,
        title: "Forbidden",
        detail: "bearer tokens (service accounts, agents, auditors' tools) act only through /api/v1; the console's routes are for people"
            .to_owned(),
    }
    .into_response()
}
