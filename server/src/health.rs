//! `/healthz`: the process answers. `/readyz`: the database is reachable, migrations are
//! current, and the IdP's metadata is loaded (when an IdP is configured).

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let (database, migrations) = match state.services.store().readiness().await {
        Ok(r) if r.migrations_current() => ("ok", "current".to_owned()),
        Ok(r) => (
            "ok",
            format!("{} of {} applied", r.applied_migrations, r.known_migrations),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            ("unreachable", "unknown".to_owned())
        }
    };
    let idp = match &state.oidc {
        None => "not_configured",
        Some(oidc) => match oidc.status() {
            Ok(()) => "ok",
            Err(_) => "unreachable",
        },
    };
    let ready = database == "ok" && migrations == "current" && idp != "unreachable";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "ready": ready,
            "database": database,
            "backend": state.services.store().backend().as_str(),
            "migrations": migrations,
            "identity_provider": idp,
        })),
    )
}
