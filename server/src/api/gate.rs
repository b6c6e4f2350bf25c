//! `POST /api/v1/changes/{id}/approve` and `/publish`: the gate's powers. People approve in the
//! console and only Countersign publishes, so a token here is always refused (403, by the
//! standing Cedar forbid) and the attempt is recorded as a possible privilege-abuse signal.

use super::json::core_problem;
use super::me::authenticate;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use countersign_core::policy::Action;

async fn refuse(state: &AppState, headers: &HeaderMap, action: Action, change: &str) -> Response {
    let principal = match authenticate(state, headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let target: String = format!("change:{}", change.chars().take(64).collect::<String>());
    match state
        .services
        .refuse_gate_action(&principal, action, &target)
        .await
    {
        Ok(refusal) | Err(refusal) => core_problem(refusal).into_response(),
    }
}

/// People approve in the console: an identity's token here is always refused and flagged.
#[utoipa::path(
    post,
    path = "/api/v1/changes/{id}/approve",
    tag = "gate",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    responses(
        (status = 401, description = "No working token", body = super::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Always: identities never approve or publish", body = super::problem::ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    State(state): State<AppState>,
    Path(change): Path<String>,
    headers: HeaderMap,
) -> Response {
    refuse(&state, &headers, Action::ApproveChange, &change).await
}

/// People never publish; only Countersign does: an identity's token here is always refused and flagged.
#[utoipa::path(
    post,
    path = "/api/v1/changes/{id}/publish",
    tag = "gate",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    responses(
        (status = 401, description = "No working token", body = super::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Always: identities never approve or publish", body = super::problem::ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn publish(
    State(state): State<AppState>,
    Path(change): Path<String>,
    headers: HeaderMap,
) -> Response {
    refuse(&state, &headers, Action::PublishChange, &change).await
}
