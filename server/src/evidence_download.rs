//! `GET /evidence/changes/{id}` and `GET /evidence/workflows/{id}`: a change's or a workflow's
//! evidence pack, as a download. People's routes (session, the resolved actor); what a person may
//! export is the core's decision.

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use countersign_core::error::CoreError;
use countersign_core::services::EvidencePack;
use countersign_core::Actor;

/// The download routes, for the router and the authorization matrix.
pub const ROUTES: [&str; 2] = ["/evidence/changes/{id}", "/evidence/workflows/{id}"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(change))
        .route(ROUTES[1], get(workflow))
}

fn download(pack: EvidencePack) -> Response {
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", pack.file_name))
            .unwrap_or(HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-tar"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pack.bytes,
    )
        .into_response()
}

/// A refusal a person reads in the browser tab the download opened.
fn refusal(error: CoreError, actor: &Actor) -> Response {
    let (status, message) = match error {
        CoreError::Denied(_) if matches!(actor, Actor::Anonymous) => (
            StatusCode::UNAUTHORIZED,
            "Sign in to download evidence.".to_owned(),
        ),
        CoreError::Denied(_) | CoreError::Refused(_) => (
            StatusCode::FORBIDDEN,
            "Evidence packs are for auditors and security admins: they carry customers' identifiers."
                .to_owned(),
        ),
        CoreError::NotFound(what) => (StatusCode::NOT_FOUND, format!("No such {what}.")),
        CoreError::Invalid { field, problem } => {
            (StatusCode::NOT_FOUND, format!("No such {field}: {problem}."))
        }
        CoreError::Conflict(message) => (StatusCode::CONFLICT, message),
        other => {
            tracing::error!(error = %other, "an evidence pack could not be made");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The evidence pack could not be made; the console's log says why.".to_owned(),
            )
        }
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

async fn change(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Response {
    match state.services.change_evidence(&actor, &id).await {
        Ok(pack) => download(pack),
        Err(error) => refusal(error, &actor),
    }
}

async fn workflow(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse() else {
        return refusal(CoreError::NotFound("workflow"), &actor);
    };
    match state.services.workflow_evidence(&actor, id).await {
        Ok(pack) => download(pack),
        Err(error) => refusal(error, &actor),
    }
}
