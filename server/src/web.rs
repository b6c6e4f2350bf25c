//! The HTTP application: routes and the layers every request passes through.

use crate::browser_headers::{self, CspNonce};
use crate::sessions::{cookie_name, DbSessionStore};
use crate::state::AppState;
use crate::{auth, csrf, health, metrics};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use countersign_app::{shell, App};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub fn build(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.services.clone());
            provide_context(state.sign_in_choices());
            // The page's scripts carry the nonce the response's policy names.
            if let Some(CspNonce(nonce)) = use_context::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
            {
                provide_context(leptos::nonce::Nonce::from_value(nonce));
            }
        }
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };

    let idle = time::Duration::try_from(state.config.session_idle_timeout)
        .unwrap_or(time::Duration::minutes(30));
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.services.store().clone()))
        .with_name(cookie_name(state.config.secure_cookies()))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_path("/")
        // Saving on every request moves the idle deadline forward with activity.
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(idle));

    // Everything that can read or change a session.
    let app = Router::new()
        .merge(auth::router())
        .merge(crate::evidence_download::router())
        .merge(crate::compliance_download::router())
        .merge(crate::audit_export::router())
        .leptos_routes_with_context(&state, routes, context.clone(), render)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(from_fn_with_state(
            state.clone(),
            auth::identity::resolve_actor,
        ))
        .layer(sessions)
        .layer(from_fn_with_state(state.clone(), csrf::protect))
        .layer(from_fn_with_state(
            state.clone(),
            crate::api::refuse_bearer_on_people_routes,
        ));
    // The WebAssembly, JavaScript and CSS need no session: serving them outside the session
    // layer saves a session read and write per asset.
    let assets = ServeDir::new(state.config.site_root.join("pkg"));

    Router::new()
        .nest_service("/pkg", assets)
        // Probes and the metrics scraper are machines without sessions.
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::endpoint))
        .nest("/api/v1", crate::api::router())
        .nest(crate::scim::PATH, crate::scim::router())
        .merge(crate::mcp::router(&state))
        .merge(app)
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        // A request, body included, must be done within the limit: a client that trickles its
        // body cannot hold a handler (and what it holds) for ever.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.hardening.request_timeout,
        ))
        .layer(from_fn_with_state(state.clone(), refuse_oversized))
        .layer(from_fn_with_state(state.clone(), browser_headers::apply))
        .layer(from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            // The path only: query strings can carry authorization codes and state.
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
}

/// One clear message for a body over the limit, whether its declared length says so up front or
/// the limit layer stops it while streaming.
async fn refuse_oversized(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Request body too large: the limit is {} bytes.",
                state.config.max_body_bytes
            ),
        )
            .into_response()
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // The directory is told in a SCIM error document, as everything else it is told.
    let scim = request.uri().path().starts_with(crate::scim::PATH);
    let too_large = || {
        if scim {
            crate::scim::refusal(countersign_core::domain::scim::ScimError::too_large(
                format!(
                "the request body is over the limit of {} bytes; send fewer members per request",
                state.config.max_body_bytes
            ),
            ))
        } else {
            too_large()
        }
    };
    if declared.is_some_and(|n| n > state.config.max_body_bytes) {
        return too_large();
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    response
}
