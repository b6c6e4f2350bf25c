use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The only thing a client learns about an internal failure; details go to the log.
pub fn internal_error_response() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. The problem has been logged; please try again.",
    )
        .into_response()
}
