//! RFC 9457 problem details for `/api/v1` errors (the token endpoint answers in RFC 6749's
//! format instead, as OAuth clients expect).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
}

/// An RFC 9457 problem document, as sent with `application/problem+json`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// Always `about:blank`: the status and title say what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What was wrong, in words meant for the caller's developer.
    pub detail: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            kind: "about:blank".to_owned(),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        problem_json(self.status, &body)
    }
}

/// A problem document as sent: `application/problem+json`, never cached.
fn problem_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_default();
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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

/// A draft or version refused for constructs outside the content allow-list: each one named, so
/// the agent can fix them all at once.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContentProblemBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every construct refused: the element, the attribute and URL where they apply, and why
    /// (present when the content itself was refused; other refusals carry only `detail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<countersign_core::domain::Violation>>,
}

pub fn content_not_allowed(violations: Vec<countersign_core::domain::Violation>) -> Response {
    let body = ContentProblemBody {
        kind: "about:blank".to_owned(),
        title: "Content not allowed".to_owned(),
        status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
        detail: format!(
            "{} construct(s) are outside the allow-list or point to hosts the target system does \
             not allow; see violations. Nothing was recorded.",
            violations.len()
        ),
        violations: Some(violations),
    };
    problem_json(StatusCode::UNPROCESSABLE_ENTITY, &body)
}
