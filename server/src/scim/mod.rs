//! The SCIM 2.0 service provider at `/scim/v2` (RFC 7644): the corporate directory (Entra ID,
//! Okta) provisions people and groups with a bearer token a security admin created on the
//! Directory sync page. Outside the session and CSRF layers like `/api/v1`; every answer is
//! `application/scim+json`, never cached, and every refusal a SCIM error document. What a
//! request does is the core's; this module reads HTTP and renders resources.

mod discovery;
mod projection;
mod render;
mod resources;

use crate::state::AppState;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use countersign_core::domain::scim::ScimError;
use countersign_core::services::CredentialError;
use countersign_core::Actor;
use serde_json::Value;

/// Where the service provider is mounted.
pub const PATH: &str = "/scim/v2";

/// Every route, as `METHOD /path`, for the authorization matrix and the docs.
pub const ROUTES: [&str; 19] = [
    "GET /scim/v2/ServiceProviderConfig",
    "GET /scim/v2/ResourceTypes",
    "GET /scim/v2/Schemas",
    "GET /scim/v2/Users",
    "POST /scim/v2/Users",
    "GET /scim/v2/Users/{id}",
    "PUT /scim/v2/Users/{id}",
    "PATCH /scim/v2/Users/{id}",
    "DELETE /scim/v2/Users/{id}",
    "GET /scim/v2/Groups",
    "POST /scim/v2/Groups",
    "GET /scim/v2/Groups/{id}",
    "PUT /scim/v2/Groups/{id}",
    "PATCH /scim/v2/Groups/{id}",
    "DELETE /scim/v2/Groups/{id}",
    "POST /scim/v2/.search",
    "POST /scim/v2/Users/.search",
    "POST /scim/v2/Groups/.search",
    "GET /scim/v2/ResourceTypes/{name}",
];

pub const CONTENT_TYPE: &str = "application/scim+json";

/// Mounted at `/scim/v2`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{name}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{urn}", get(discovery::schema))
        .route(
            "/Users",
            get(resources::list_users).post(resources::create_user),
        )
        .route(
            "/Users/{id}",
            get(resources::get_user)
                .put(resources::replace_user)
                .patch(resources::patch_user)
                .delete(resources::delete_user),
        )
        .route("/.search", post(resources::search_all))
        .route("/Users/.search", post(resources::search_users))
        .route(
            "/Groups",
            get(resources::list_groups).post(resources::create_group),
        )
        .route("/Groups/.search", post(resources::search_groups))
        .route(
            "/Groups/{id}",
            get(resources::get_group)
                .put(resources::replace_group)
                .patch(resources::patch_group)
                .delete(resources::delete_group),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> Response {
    refusal(ScimError::not_found(
        "no such SCIM endpoint: this service answers /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas",
    ))
}

async fn method_not_allowed() -> Response {
    let mut response = refusal(ScimError::invalid_syntax(
        "this method is not supported on this endpoint",
    ));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// A SCIM error document with its status (and the bearer challenge on a 401).
pub fn refusal(error: ScimError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = scim_json(status, &error.document());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"scim\", error=\"invalid_token\""),
        );
    }
    response
}

pub(crate) fn scim_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The directory behind the request's bearer token.
async fn directory(state: &AppState, headers: &HeaderMap) -> Result<Actor, ScimError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| {
            ScimError::unauthorized(
                "a directory token is required: Authorization: Bearer <token from the Directory sync page>",
            )
        })?;
    state
        .services
        .authenticate_directory_token(token)
        .await
        .map_err(|error| match error {
            CredentialError::InvalidToken(why) => ScimError::unauthorized(why),
            other => {
                tracing::error!(error = %other, "authenticating a directory token failed");
                ScimError::internal()
            }
        })
}

/// A request body as JSON: SCIM's media type or plain JSON, nothing else.
fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, ScimError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match media.as_deref() {
        Some(CONTENT_TYPE) | Some("application/json") => {}
        other => {
            return Err(ScimError::invalid_syntax(format!(
                "the body must be {CONTENT_TYPE} (or application/json), not {}",
                other.unwrap_or("unlabelled")
            )))
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
}

/// Answers a handler's result: the response, or the refusal as a SCIM error document.
async fn respond(
    handler: impl std::future::Future<Output = Result<Response, ScimError>>,
) -> Response {
    handler.await.unwrap_or_else(refusal)
}
