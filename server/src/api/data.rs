//! `POST /api/v1/access-decisions` and `POST /api/v1/consents`: the run-time questions an
//! identity asks within the step its token is bound to.

use super::json::{core_problem, parse};
use super::me::authenticate;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::services::{AccessRequest, ConsentInput};
use serde_json::json;

pub async fn access_decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let request: AccessRequest = match parse(&headers, &body) {
        Ok(request) => request,
        Err(problem) => return problem.into_response(),
    };
    match state.services.decide_access(&principal, request).await {
        Ok(decision) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(decision),
        )
            .into_response(),
        Err(error) => core_problem(error).into_response(),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentBatch {
    records: Vec<ConsentInput>,
}

pub async fn consents(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let batch: ConsentBatch = match parse(&headers, &body) {
        Ok(batch) => batch,
        Err(problem) => return problem.into_response(),
    };
    match state
        .services
        .record_consents(&principal, batch.records)
        .await
    {
        Ok((batch, recorded)) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({ "batch_id": batch, "recorded": recorded })),
        )
            .into_response(),
        Err(error) => core_problem(error).into_response(),
    }
}
