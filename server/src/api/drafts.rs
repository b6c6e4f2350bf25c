//! `POST /api/v1/drafts`, `POST /api/v1/drafts/{id}/versions` and `GET /api/v1/changes/{id}`:
//! an agent submits content with its provenance and follows what becomes of it.

use super::json::{authenticated, core_problem};
use super::me::authenticate;
use super::problem::{ContentProblemBody, ProblemBody};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::domain::{ChangeError, IdempotencyKey};
use countersign_core::services::ChangeStatusView;
use countersign_core::services::{DraftInput, RollbackPlanBody, VersionInput};

/// The change as its drafting identity sees it, with `status`, or the problem reading it.
/// A refused draft or version: content outside the allow-list names every construct.
fn refusal(error: countersign_core::CoreError) -> Response {
    match error {
        countersign_core::CoreError::NotAllowed(violations) => {
            super::problem::content_not_allowed(violations)
        }
        other => core_problem(other).into_response(),
    }
}

pub(super) async fn status_reply(
    state: &AppState,
    principal: &countersign_core::services::TokenPrincipal,
    id: &str,
    status: StatusCode,
) -> Response {
    match state.services.change_status(principal, id).await {
        Ok(view) => (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(view),
        )
            .into_response(),
        Err(error) => core_problem(error).into_response(),
    }
}

/// The `Idempotency-Key` header, when sent.
fn idempotency_key(
    headers: &HeaderMap,
) -> Result<Option<IdempotencyKey>, countersign_core::CoreError> {
    let bad = |problem: String| countersign_core::CoreError::invalid("Idempotency-Key", problem);
    headers
        .get("idempotency-key")
        .map(|value| {
            let text = value
                .to_str()
                .map_err(|_| bad(ChangeError::BadIdempotencyKey.to_string()))?;
            IdempotencyKey::parse(text).map_err(|e| bad(e.to_string()))
        })
        .transpose()
}

/// Submit a draft with its provenance; it becomes a change request pending review. Send an
/// `Idempotency-Key` header to make retries safe: the same key with the same draft answers with
/// the change the first request made (and `Idempotent-Replayed: true`).
#[utoipa::path(
    post,
    path = "/api/v1/drafts",
    tag = "runtime",
    security(("bearer" = [])),
    request_body = DraftInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters; the same key with the same draft finds the first attempt's change")),
    responses(
        (status = 201, body = ChangeStatusView),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The step does not draft, or not for this purpose", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "An Idempotency-Key reused for a different draft; bad content, target or provenance; a citation of another step, expired, or of a denied field; content outside the allow-list (with `violations`)", body = ContentProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (principal, draft): (_, DraftInput) = match authenticated(&state, &headers, &body).await {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(error) => return refusal(error),
    };
    match state
        .services
        .submit_draft_once(&principal, draft, key.as_ref())
        .await
    {
        Ok((change, replayed)) => {
            let mut response =
                status_reply(&state, &principal, &change.id, StatusCode::CREATED).await;
            if replayed {
                response.headers_mut().insert(
                    header::HeaderName::from_static("idempotent-replayed"),
                    header::HeaderValue::from_static("true"),
                );
            }
            response
        }
        Err(error) => refusal(error),
    }
}

/// Submit a revised version of a change the same identity drafted.
#[utoipa::path(
    post,
    path = "/api/v1/drafts/{id}/versions",
    tag = "runtime",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    request_body = VersionInput,
    responses(
        (status = 201, body = ChangeStatusView),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The step does not draft, or not for this purpose", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Bad content, target or provenance; a citation of another step, expired, or of a denied field; content outside the allow-list (with `violations`)", body = ContentProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such change of this identity's step", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The change takes no new versions now", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn revise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (principal, version): (_, VersionInput) = match authenticated(&state, &headers, &body).await
    {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    match state
        .services
        .submit_version(&principal, &id, version)
        .await
    {
        Ok((change, _)) => status_reply(&state, &principal, &change.id, StatusCode::CREATED).await,
        Err(error) => refusal(error),
    }
}

/// The status of a change this identity drafted.
#[utoipa::path(
    get,
    path = "/api/v1/changes/{id}",
    tag = "runtime",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    responses(
        (status = 200, body = ChangeStatusView),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such change of this identity", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    status_reply(&state, &principal, &id, StatusCode::OK).await
}

/// The rollback plan of a change this identity drafted: how to undo it, and what to restore.
#[utoipa::path(
    put,
    path = "/api/v1/changes/{id}/rollback-plan",
    tag = "runtime",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    request_body = RollbackPlanBody,
    responses(
        (status = 200, body = ChangeStatusView),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not the identity that drafted it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such change", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The change is no longer open", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Missing steps or what to restore", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn rollback_plan(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (principal, plan) = match authenticated::<RollbackPlanBody>(&state, &headers, &body).await {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let saved = state
        .services
        .set_rollback_plan(
            &principal.actor,
            &id,
            &plan.steps,
            &plan.previous_reference,
            plan.first_publication,
        )
        .await;
    if let Err(error) = saved {
        return core_problem(error).into_response();
    }
    status_reply(&state, &principal, &id, StatusCode::OK).await
}
