use super::oidc::LoginFlow;
use super::{flow_cookie, safe_next};
use crate::sessions::{AUTHENTICATED_AT, HUMAN_ID, SIGNED_IN_AT};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use countersign_core::credentials::constant_time_eq;
use countersign_core::domain::ExternalIdentity;
use countersign_core::services::{Limit, RetryAfter, SignIn, SignInOutcome, DEMO_ISSUER};
use countersign_core::Actor;
use serde::Deserialize;
use tower_sessions::Session;

/// A sign-in must complete within this long of starting.
const FLOW_MAX_AGE_MS: i64 = 10 * 60 * 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/reauth", get(reauth))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .route("/auth/demo", post(demo_sign_in))
        .route("/auth/backchannel-logout", post(backchannel_logout))
}

fn to_signin(error: &str) -> Response {
    Redirect::to(&format!("/signin?error={error}")).into_response()
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Refuses a sign-in from a source that failed too often or starts too many; counts the start.
async fn admit(state: &AppState, source: &str) -> Result<(), Response> {
    let services = &state.services;
    let verdict = match services.throttled(Limit::FailedSignIns, source).await {
        Ok(Some(retry)) => Err((retry, "too many failed sign-ins came from your network")),
        Ok(None) => match services.throttle(Limit::SignInStarts, source).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(retry)) => Err((retry, "too many sign-ins were started from your network")),
            Err(e) => return Err(internal(&e)),
        },
        Err(e) => return Err(internal(&e)),
    };
    verdict.map_err(|(RetryAfter(seconds), why)| {
        state.metrics.sign_in("throttled");
        let minutes = seconds.div_ceil(60);
        let page = format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Sign-in paused \
             · Countersign</title><main><h1>Sign-in paused</h1><p>Sign-in refused: {why}. \
             Try again in {minutes} minute{s}.</p><p><a href=\"/signin\">Back to sign-in</a></p>\
             </main></html>",
            s = if minutes == 1 { "" } else { "s" },
        );
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Html(page)).into_response();
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    })
}

fn internal(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "sign-in bookkeeping failed");
    crate::errors::internal_error_response()
}

async fn login(State(state): State<AppState>, parts: Parts) -> Response {
    start(state, parts, false).await
}

/// A fresh sign-in for a dangerous action, returning to where it was asked for. In demo mode the
/// person picks their persona again.
async fn reauth(State(state): State<AppState>, parts: Parts) -> Response {
    if state.oidc.is_none() && state.config.demo {
        let next = Query::<LoginQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.next);
        let next: String =
            url::form_urlencoded::byte_serialize(safe_next(next.as_deref()).as_bytes()).collect();
        return Redirect::to(&format!("/signin?reauth=1&next={next}")).into_response();
    }
    start(state, parts, true).await
}

async fn start(state: AppState, parts: Parts, reauth: bool) -> Response {
    let Some(oidc) = &state.oidc else {
        return to_signin("sso_not_configured");
    };
    if let Err(refused) = admit(&state, &crate::client_ip::source(&state, &parts)).await {
        return refused;
    }
    let next = Query::<LoginQuery>::try_from_uri(&parts.uri)
        .ok()
        .and_then(|q| q.0.next);
    let now_ms = state.services.clock().now().timestamp_millis();
    match oidc.begin(safe_next(next.as_deref()), now_ms, reauth) {
        Ok((url, flow)) => {
            let Some(cookie) = flow_cookie::set(&state, &flow) else {
                return crate::errors::internal_error_response();
            };
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
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

async fn callback(State(state): State<AppState>, session: Session, parts: Parts) -> Response {
    let Some(oidc) = &state.oidc else {
        return to_signin("sso_not_configured");
    };
    let source = crate::client_ip::source(&state, &parts);
    let query = match Query::<CallbackQuery>::try_from_uri(&parts.uri) {
        Ok(Query(query)) => query,
        Err(_) => {
            return refuse(
                &state,
                &source,
                "callback_malformed",
                "the callback's query is malformed",
            )
            .await
        }
    };
    // The flow is single-use: the cookie that carries it is cleared by this answer.
    let flow = flow_cookie::read(&state, &parts.headers);
    let mut response = complete(&state, &session, &source, oidc, flow.as_ref(), &query).await;
    if let Some(clear) = flow_cookie::clear(&state) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

async fn complete(
    state: &AppState,
    session: &Session,
    source: &str,
    oidc: &super::oidc::Oidc,
    flow: Option<&LoginFlow>,
    query: &CallbackQuery,
) -> Response {
    if let Ok(Some(_)) = state.services.throttled(Limit::FailedSignIns, source).await {
        return refuse(
            state,
            source,
            "throttled",
            "too many failed sign-ins from this source",
        )
        .await;
    }
    let (flow, code) = match check_callback(state, flow, query) {
        Ok(ok) => ok,
        Err((code, detail)) => return refuse(state, source, code, &detail).await,
    };
    let person = match oidc.complete(flow, code).await {
        Ok(person) => person,
        Err(failure) => return refuse(state, source, failure.code, &failure.detail).await,
    };
    let Ok(identity) = ExternalIdentity::new(&person.issuer, &person.subject) else {
        return refuse(
            state,
            source,
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
        reauthentication: flow.reauth,
        email_verified: person.email_verified,
    };
    establish(state, session, sign_in, flow.next.clone()).await
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

async fn refuse(state: &AppState, source: &str, code: &'static str, detail: &str) -> Response {
    tracing::warn!(reason = code, detail, "sign-in refused");
    if let Err(e) = state.services.sign_in_failed(source, code, detail).await {
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
        session.insert(SIGNED_IN_AT, now_ms).await?;
        session.insert(AUTHENTICATED_AT, now_ms).await
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
    parts: Parts,
    Form(form): Form<DemoForm>,
) -> Response {
    if !state.config.demo {
        return (
            StatusCode::NOT_FOUND,
            "Demo sign-in is only available when the console runs with --demo.",
        )
            .into_response();
    }
    if let Err(refused) = admit(&state, &crate::client_ip::source(&state, &parts)).await {
        return refused;
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
        reauthentication: false,
        email_verified: true,
    };
    establish(&state, &session, sign_in, safe_next(form.next.as_deref())).await
}

#[derive(Debug, Deserialize)]
struct LogoutTokenForm {
    logout_token: String,
}

/// OpenID Connect Back-Channel Logout: the IdP tells the console, server to server, that a
/// person's sign-in ended there; every session of theirs ends here. Answers as the
/// specification asks: 200 when done, 400 with a reason otherwise, never cached.
async fn backchannel_logout(
    State(state): State<AppState>,
    Form(form): Form<LogoutTokenForm>,
) -> Response {
    let refuse = |why: &str| {
        tracing::warn!(reason = why, "back-channel logout refused");
        (
            StatusCode::BAD_REQUEST,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({ "error": "invalid_request", "error_description": why })),
        )
            .into_response()
    };
    let Some(oidc) = &state.oidc else {
        return refuse("single sign-on is not configured");
    };
    if form.logout_token.len() > 16 * 1024 {
        return refuse("the logout token is too large");
    }
    let logged_out = match oidc.verify_logout_token(&form.logout_token).await {
        Ok(logged_out) => logged_out,
        Err(why) => return refuse(&why),
    };
    match state
        .services
        .end_sessions_for_idp_logout(
            &logged_out.issuer,
            &logged_out.subject,
            &logged_out.token_id,
        )
        .await
    {
        Ok(_) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(countersign_core::CoreError::Conflict(why)) => refuse(&why),
        Err(e) => internal(&e),
    }
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
