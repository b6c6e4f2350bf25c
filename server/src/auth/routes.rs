use super::oidc::LoginFlow;
use super::safe_next;
use crate::sessions::{HUMAN_ID, OIDC_FLOW, SIGNED_IN_AT};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use countersign_core::domain::ExternalIdentity;
use countersign_core::services::{SignIn, SignInOutcome, DEMO_ISSUER};
use countersign_core::Actor;
use serde::Deserialize;
use subtle_eq::constant_time_eq;
use tower_sessions::Session;

/// A sign-in must complete within this long of starting.
const FLOW_MAX_AGE_MS: i64 = 10 * 60 * 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .route("/auth/demo", post(demo_sign_in))
}

fn to_signin(error: &str) -> Response {
    Redirect::to(&format!("/signin?error={error}")).into_response()
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<LoginQuery>,
) -> Response {
    let Some(oidc) = &state.oidc else {
        return to_signin("sso_not_configured");
    };
    let now_ms = state.services.clock().now().timestamp_millis();
    match oidc.begin(safe_next(query.next.as_deref()), now_ms) {
        Ok((url, flow)) => {
            if let Err(e) = session.insert(OIDC_FLOW, &flow).await {
                tracing::error!(error = %e, "storing the sign-in flow failed");
                return crate::errors::internal_error_response();
            }
            Redirect::to(&url).into_response()
        }
        Err(reason) => {
            tracing::warn!(%reason, "sign-in started while the identity provider is unavailable");
            to_signin("idp_unavailable")
        }
    }
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = &state.oidc else {
        return to_signin("sso_not_configured");
    };
    // The flow is single-use: taking it out of the session makes a replayed callback fail.
    let flow: Option<LoginFlow> = match session.remove(OIDC_FLOW).await {
        Ok(flow) => flow,
        Err(e) => {
            tracing::error!(error = %e, "reading the sign-in flow failed");
            return crate::errors::internal_error_response();
        }
    };
    let outcome = check_callback(&state, flow.as_ref(), &query);
    let (flow, code) = match outcome {
        Ok(ok) => ok,
        Err((code, detail)) => return refuse(&state, code, &detail).await,
    };
    let person = match oidc.complete(flow, code).await {
        Ok(person) => person,
        Err(failure) => return refuse(&state, failure.code, &failure.detail).await,
    };
    let Ok(identity) = ExternalIdentity::new(&person.issuer, &person.subject) else {
        return refuse(
            &state,
            "id_token_invalid",
            "issuer or subject out of bounds",
        )
        .await;
    };
    let roles = state
        .config
        .role_map
        .roles_for(person.groups.iter().map(String::as_str));
    let sign_in = SignIn {
        identity,
        name: person.name,
        email: person.email,
        roles,
        groups_seen: person.groups.len(),
    };
    establish(&state, &session, sign_in, flow.next.clone()).await
}

type CallbackCheck<'a> = Result<(&'a LoginFlow, String), (&'static str, String)>;

fn check_callback<'a>(
    state: &AppState,
    flow: Option<&'a LoginFlow>,
    query: &CallbackQuery,
) -> CallbackCheck<'a> {
    let Some(flow) = flow else {
        return Err((
            "no_sign_in_in_progress",
            "callback without a sign-in started in this browser (replayed or forged)".to_owned(),
        ));
    };
    let returned_state = query.state.as_deref().unwrap_or_default();
    if !constant_time_eq(returned_state.as_bytes(), flow.state.as_bytes()) {
        return Err((
            "state_mismatch",
            "the state parameter does not match the sign-in started here".to_owned(),
        ));
    }
    let now_ms = state.services.clock().now().timestamp_millis();
    if now_ms - flow.started_at_ms > FLOW_MAX_AGE_MS {
        return Err((
            "sign_in_expired",
            "the sign-in took longer than 10 minutes".to_owned(),
        ));
    }
    if let Some(error) = &query.error {
        let description = query.error_description.as_deref().unwrap_or_default();
        return Err(("idp_error", format!("{error}: {description}")));
    }
    match &query.code {
        Some(code) if !code.is_empty() && code.len() <= 2048 => Ok((flow, code.clone())),
        _ => Err((
            "code_missing",
            "the callback carried no authorization code".to_owned(),
        )),
    }
}

async fn refuse(state: &AppState, code: &'static str, detail: &str) -> Response {
    tracing::warn!(reason = code, detail, "sign-in refused");
    if let Err(e) = state.services.sign_in_failed(code, detail).await {
        tracing::error!(error = %e, "recording a refused sign-in failed");
        return crate::errors::internal_error_response();
    }
    state.metrics.sign_in(code);
    to_signin(code)
}

/// Records the sign-in and starts a fresh session (new id: no session fixation).
async fn establish(state: &AppState, session: &Session, sign_in: SignIn, next: String) -> Response {
    let outcome = match state.services.sign_in(sign_in).await {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::error!(error = %e, "recording the sign-in failed");
            return crate::errors::internal_error_response();
        }
    };
    let (human_id, target, metric) = match &outcome {
        SignInOutcome::Granted {
            actor: Actor::Human { id, .. },
        } => (*id, next, "granted"),
        SignInOutcome::Granted { .. } => return crate::errors::internal_error_response(),
        SignInOutcome::NoAccess { human_id, .. } => {
            (*human_id, "/no-access".to_owned(), "no_access")
        }
    };
    let now_ms = state.services.clock().now().timestamp_millis();
    let stored = async {
        session.cycle_id().await?;
        session.insert(HUMAN_ID, human_id.to_string()).await?;
        session.insert(SIGNED_IN_AT, now_ms).await
    }
    .await;
    if let Err(e) = stored {
        tracing::error!(error = %e, "starting the session failed");
        return crate::errors::internal_error_response();
    }
    state.metrics.sign_in(metric);
    Redirect::to(&target).into_response()
}

#[derive(Debug, Deserialize)]
struct DemoForm {
    persona: String,
    next: Option<String>,
}

async fn demo_sign_in(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<DemoForm>,
) -> Response {
    if !state.config.demo {
        return (
            axum::http::StatusCode::NOT_FOUND,
            "Demo sign-in is only available when the console runs with --demo.",
        )
            .into_response();
    }
    let Some(person) = state.demo_people.iter().find(|p| p.key == form.persona) else {
        return to_signin("unknown_persona");
    };
    let Ok(identity) = ExternalIdentity::new(DEMO_ISSUER, person.key) else {
        return crate::errors::internal_error_response();
    };
    let sign_in = SignIn {
        identity,
        name: Some(person.name.to_owned()),
        email: Some(person.email.to_owned()),
        roles: person.roles.clone(),
        groups_seen: 0,
    };
    establish(&state, &session, sign_in, safe_next(form.next.as_deref())).await
}

async fn logout(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    session: Session,
) -> Response {
    if matches!(actor, Actor::Human { .. }) {
        if let Err(e) = state.services.sign_out(&actor, "signed_out").await {
            tracing::error!(error = %e, "recording the sign-out failed");
            return crate::errors::internal_error_response();
        }
    }
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "ending the session failed");
        return crate::errors::internal_error_response();
    }
    Redirect::to("/signin?signed_out=1").into_response()
}

mod subtle_eq {
    /// Compares without an early exit, so timing does not reveal how much of a secret matched.
    pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}
