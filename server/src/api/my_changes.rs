//! `GET /api/v1/changes` and `POST /api/v1/changes/{id}/withdraw`: an agent lists what it
//! drafted in its step and takes back a change still in review.

use super::json::{authenticated, core_problem};
use super::me::authenticate;
use super::problem::{Problem, ProblemBody};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::services::{ChangeStatusView, DraftedChanges};

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only changes in this status (`pending_review`, `changes_requested`, `approved`, …).
    status: Option<String>,
    /// The `next` of the previous page.
    before: Option<String>,
    /// 1 to 100; 20 when left out.
    limit: Option<i64>,
}

/// The changes this identity drafted in its token's step, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/changes",
    tag = "runtime",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = DraftedChanges),
        (status = 400, description = "limit is not a number", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status, a cursor this list did not return, or a limit outside 1 to 100", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let Ok(Query(query)) = query else {
        return Problem {
            status: StatusCode::BAD_REQUEST,
            title: "Bad Request",
            detail: "limit must be a whole number from 1 to 100".to_owned(),
        }
        .into_response();
    };
    match state
        .services
        .changes_drafted(
            &principal,
            query.status.as_deref(),
            query.before.as_deref(),
            query.limit,
        )
        .await
    {
        Ok(list) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(list),
        )
            .into_response(),
        Err(error) => core_problem(error).into_response(),
    }
}

/// Why the agent takes its change back.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalBody {
    /// 3 to 500 characters; reviewers and the ledger see it.
    pub reason: String,
}

/// Withdraw a change this identity drafted while it is still in review.
#[utoipa::path(
    post,
    path = "/api/v1/changes/{id}/withdraw",
    tag = "runtime",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    request_body = WithdrawalBody,
    responses(
        (status = 200, body = ChangeStatusView),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The step does not draft (any more)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such change of this identity's step", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The change is no longer in review", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The reason is missing or too long", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (principal, withdrawal) =
        match authenticated::<WithdrawalBody>(&state, &headers, &body).await {
            Ok(parsed) => parsed,
            Err(response) => return response,
        };
    if let Err(error) = state
        .services
        .withdraw_draft(&principal, &id, &withdrawal.reason)
        .await
    {
        return core_problem(error).into_response();
    }
    super::drafts::status_reply(&state, &principal, &id, StatusCode::OK).await
}
