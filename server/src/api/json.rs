//! JSON in and problems out for the `/api/v1` routes that carry a body: a clear RFC 9457 problem
//! for malformed JSON, unknown fields, refusals and bad input.

use super::problem::{internal, Problem};
use axum::http::{header, HeaderMap, StatusCode};
use countersign_core::CoreError;
use serde::de::DeserializeOwned;

/// Parses a JSON body, naming what is wrong with it (position, unknown field, wrong type).
pub fn parse<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(Problem {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            title: "Unsupported Media Type",
            detail: "send the body as application/json".to_owned(),
        });
    }
    serde_json::from_slice(body).map_err(|e| Problem {
        status: StatusCode::BAD_REQUEST,
        title: "Malformed request body",
        detail: format!("the JSON body is not valid: {e}"),
    })
}

/// A core refusal as a problem; internal failures are logged and never described.
pub fn core_problem(error: CoreError) -> Problem {
    match error {
        CoreError::Invalid { field, problem } => Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title: "Invalid request",
            detail: format!("{field}: {problem}"),
        },
        CoreError::Denied(denied) => Problem {
            status: StatusCode::FORBIDDEN,
            title: "Forbidden",
            detail: format!(
                "not allowed to {} in this step{}",
                denied.action.replace('_', " "),
                if denied.policies.is_empty() {
                    String::new()
                } else {
                    format!(" (decided by {})", denied.policies.join(", "))
                }
            ),
        },
        CoreError::Refused(reason) | CoreError::ReauthRequired(reason) => Problem {
            status: StatusCode::FORBIDDEN,
            title: "Forbidden",
            detail: reason,
        },
        error @ CoreError::NotAllowed(_) => Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title: "Content not allowed",
            detail: error.to_string(),
        },
        CoreError::NotFound(what) => Problem {
            status: StatusCode::NOT_FOUND,
            title: "Not Found",
            detail: format!("no such {what}"),
        },
        CoreError::Conflict(message) => Problem {
            status: StatusCode::CONFLICT,
            title: "Conflict",
            detail: message,
        },
        CoreError::Unauthenticated => Problem {
            status: StatusCode::UNAUTHORIZED,
            title: "Unauthorized",
            detail: "an access token is required".to_owned(),
        },
        CoreError::TokenEnded(reason) => Problem {
            status: StatusCode::UNAUTHORIZED,
            title: "Unauthorized",
            detail: reason,
        },
        CoreError::Store(error) => {
            tracing::error!(%error, "API request failed in the store");
            internal()
        }
    }
}

/// The caller's token and its JSON body, or the response that refuses the request.
pub async fn authenticated<T: DeserializeOwned>(
    state: &crate::state::AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(countersign_core::services::TokenPrincipal, T), axum::response::Response> {
    use axum::response::IntoResponse;
    let principal = super::me::authenticate(state, headers).await?;
    let parsed = parse(headers, body).map_err(IntoResponse::into_response)?;
    Ok((principal, parsed))
}
