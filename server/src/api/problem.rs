//! RFC 9457 problem details for `/api/v1` errors (the token endpoint answers in RFC 6749's
//! format instead, as OAuth clients expect).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub async fn not_found() -> Problem {
    Problem {
        status: StatusCode::NOT_FOUND,
        title: "Not Found",
        detail: "There is no such API route; see the README for the routes of /api/v1.".to_owned(),
    }
}

pub fn internal() -> Problem {
    Problem {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        title: "Internal Server Error",
        detail: "Something went wrong on our side. The problem has been logged; please try again."
            .to_owned(),
    }
}
