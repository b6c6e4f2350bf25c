//! `PUT /api/v1/changes/{id}/callback`: the drafting agent asks to be told how its change ends
//! (published, publish failed, rolled back), signed like the calls to connected systems.

use super::json::{authenticated, core_problem};
use super::problem::ProblemBody;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    /// `https://…`, or `http://` on a loopback address.
    pub url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackRegistered {
    pub change_id: String,
    pub callback_url: String,
    /// `whsec_…`: verifies the `webhook-signature` of every callback (Standard Webhooks).
    /// Shown this once; registering again replaces it.
    pub signing_secret: String,
}

/// Register (or replace) the URL told of the change's outcome.
#[utoipa::path(
    put,
    path = "/api/v1/changes/{id}/callback",
    tag = "runtime",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The change id")),
    request_body = CallbackBody,
    responses(
        (status = 200, body = CallbackRegistered),
        (status = 400, description = "Malformed JSON or unknown fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the size limit", body = ProblemBody, content_type = "text/plain"),
        (status = 401, description = "No working token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such change of this identity", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not an https URL (or http on loopback)", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (principal, callback) = match authenticated::<CallbackBody>(&state, &headers, &body).await {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    match state
        .services
        .register_callback(&principal, &id, &callback.url)
        .await
    {
        Ok(signing_secret) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(CallbackRegistered {
                change_id: id,
                callback_url: callback.url.trim().trim_end_matches('/').to_owned(),
                signing_secret,
            }),
        )
            .into_response(),
        Err(error) => core_problem(error).into_response(),
    }
}
