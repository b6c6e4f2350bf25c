//! `POST /api/v1/access-decisions` and `POST /api/v1/consents`: the run-time questions an
//! identity asks within the step its token is bound to.

use super::json::{authenticated, core_problem, parse};
use super::me::{bearer, challenge, token_refusal, token_required};
use super::problem::ProblemBody;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::services::AccessDecision;
use countersign_core::services::{AccessRequest, ConsentInput};
use countersign_core::CoreError;

/// Ask which fields and subjects the token's step may use for a purpose. Recorded in the ledger.
#[utoipa::path(
    post,
    path = "/api/v1/access-decisions",
    tag = "runtime",
    security(("bearer" = [])),
    request_body = AccessRequest,
    responses(
        (status = 200, body = AccessDecision),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Bad purpose, fields or subjects; duplicates; over the limits", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn access_decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The principal may come from this process's memory: the decision's commit confirms it.
    let Some(token) = bearer(&headers) else {
        return token_required("Authorization: Bearer <token from POST /api/v1/token>");
    };
    let principal = match state.services.authenticate_token_for_decision(token).await {
        Ok(principal) => principal,
        Err(refused) => return token_refusal(refused),
    };
    let request: AccessRequest = match parse(&headers, &body) {
        Ok(request) => request,
        Err(problem) => return problem.into_response(),
    };
    match state.services.decide_access_json(&principal, request).await {
        Ok(answer) => (
            StatusCode::OK,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::CONTENT_TYPE, "application/json"),
            ],
            answer,
        )
            .into_response(),
        Err(CoreError::TokenEnded(reason)) => challenge(Some("invalid_token"), reason),
        Err(error) => core_problem(error).into_response(),
    }
}

/// A batch of consent records.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBatch {
    /// 1 to 1000 records, loaded all or nothing.
    records: Vec<ConsentInput>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ConsentBatchRecorded {
    pub batch_id: String,
    pub recorded: usize,
}

/// Load consent records (the step's grant must include `record_consent`).
#[utoipa::path(
    post,
    path = "/api/v1/consents",
    tag = "runtime",
    security(("bearer" = [])),
    request_body = ConsentBatch,
    responses(
        (status = 201, body = ConsentBatchRecorded),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The step's grant does not allow loading consent", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A record is invalid (named by its index); nothing was loaded", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn consents(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (principal, batch): (_, ConsentBatch) = match authenticated(&state, &headers, &body).await {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    match state
        .services
        .record_consents(&principal, batch.records)
        .await
    {
        Ok((batch, recorded)) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(ConsentBatchRecorded {
                batch_id: batch,
                recorded,
            }),
        )
            .into_response(),
        Err(error) => core_problem(error).into_response(),
    }
}
