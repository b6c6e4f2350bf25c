//! `GET /compliance/csv` and `GET /compliance/oscal` (`?workflow=ID` for one
//! workflow): the framework map as a spreadsheet and as an OSCAL assessment-results document.
//! People's routes; the core decides who may read the map.

use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use countersign_core::error::CoreError;
use countersign_core::services::ComplianceMap;
use countersign_core::Actor;

/// The download routes, for the router and the authorization matrix.
pub const ROUTES: [&str; 2] = ["/compliance/csv", "/compliance/oscal"];

#[derive(serde::Deserialize)]
struct Scope {
    workflow: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(csv))
        .route(ROUTES[1], get(oscal))
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

async fn map(state: &AppState, actor: &Actor, scope: Scope) -> Result<ComplianceMap, Response> {
    let workflow = match scope.workflow.as_deref().filter(|w| !w.is_empty()) {
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| plain(StatusCode::NOT_FOUND, "No such workflow.".to_owned()))?,
        ),
        None => None,
    };
    state
        .services
        .compliance_map(actor, workflow)
        .await
        .map_err(|error| match error {
            CoreError::Denied(_) => plain(
                StatusCode::FORBIDDEN,
                "The framework map is for security admins and auditors.".to_owned(),
            ),
            CoreError::NotFound(what) => plain(StatusCode::NOT_FOUND, format!("No such {what}.")),
            other => {
                tracing::error!(error = %other, "the compliance map could not be made");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The compliance map could not be made; the console's log says why.".to_owned(),
                )
            }
        })
}

fn attachment(name: &str, content_type: &'static str, body: String) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

async fn csv(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(scope): Query<Scope>,
) -> Response {
    match map(&state, &actor, scope).await {
        Ok(map) => attachment(
            "countersign-compliance.csv",
            "text/csv; charset=utf-8",
            map.to_csv(),
        ),
        Err(response) => response,
    }
}

async fn oscal(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(scope): Query<Scope>,
) -> Response {
    match map(&state, &actor, scope).await {
        Ok(map) => attachment(
            "countersign-assessment-results.json",
            "application/json",
            serde_json::to_string_pretty(&map.to_oscal()).unwrap_or_default(),
        ),
        Err(response) => response,
    }
}
