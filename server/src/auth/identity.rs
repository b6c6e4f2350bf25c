//! Resolves the actor behind each request from its session and guards the console's pages:
//! anonymous visitors go to sign-in, people without a role to "no access".

use crate::sessions::{AUTHENTICATED_AT, HUMAN_ID, SIGNED_IN_AT};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use countersign_core::domain::HumanId;
use countersign_core::Actor;
use tower_sessions::Session;

/// Paths that never need a session.
fn is_public(path: &str) -> bool {
    path == "/signin"
        || path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with("/ui/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// Puts the request's `Actor` in its extensions (anonymous when there is no valid session).
pub async fn resolve_actor(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let actor = match actor_from_session(&state, &session).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let path = request.uri().path().to_owned();
    if request.method() == Method::GET && !is_public(&path) {
        let query = request
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        match &actor {
            Actor::Anonymous => {
                let next: String =
                    url::form_urlencoded::byte_serialize(format!("{path}{query}").as_bytes())
                        .collect();
                return Redirect::to(&format!("/signin?next={next}")).into_response();
            }
            actor if path != "/no-access" && !state.services.may_enter(actor) => {
                return Redirect::to("/no-access").into_response();
            }
            _ => {}
        }
    }
    request.extensions_mut().insert(actor);
    next.run(request).await
}

async fn actor_from_session(state: &AppState, session: &Session) -> Result<Actor, Response> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "session lookup failed");
        crate::errors::internal_error_response()
    };
    let Some(id) = session
        .get::<String>(HUMAN_ID)
        .await
        .map_err(|e| internal(&e))?
    else {
        return Ok(Actor::Anonymous);
    };
    let Ok(human_id) = id.parse::<HumanId>() else {
        session.flush().await.map_err(|e| internal(&e))?;
        return Ok(Actor::Anonymous);
    };
    let signed_in_at: i64 = session
        .get(SIGNED_IN_AT)
        .await
        .map_err(|e| internal(&e))?
        .unwrap_or(0);
    let now_ms = state.services.clock().now().timestamp_millis();
    let absolute_ms =
        i64::try_from(state.config.session_absolute_timeout.as_millis()).unwrap_or(i64::MAX);
    let actor = state
        .services
        .session_actor(human_id)
        .await
        .map_err(|e| internal(&e))?;
    let Some(actor) = actor else {
        session.flush().await.map_err(|e| internal(&e))?;
        return Ok(Actor::Anonymous);
    };
    let role_max_ms =
        i64::try_from(state.config.hardening.role_max_age.as_millis()).unwrap_or(i64::MAX);
    let age = now_ms.saturating_sub(signed_in_at);
    // Roles were read from the IdP at sign-in; past their maximum age the IdP is asked again.
    let expired = if age > absolute_ms {
        Some("absolute_timeout")
    } else if age > role_max_ms {
        Some("roles_expired")
    } else {
        None
    };
    if let Some(reason) = expired {
        if let Err(e) = state.services.sign_out(&actor, reason).await {
            tracing::warn!(error = %e, "recording the session's expiry failed");
        }
        session.flush().await.map_err(|e| internal(&e))?;
        return Ok(Actor::Anonymous);
    }
    let authenticated_at: i64 = session
        .get(AUTHENTICATED_AT)
        .await
        .map_err(|e| internal(&e))?
        .unwrap_or(signed_in_at);
    Ok(actor.authenticated_at(authenticated_at))
}
