//! The agent-facing HTTP API under `/api/v1`. Callers are service accounts and agents holding
//! bearer tokens, not browsers: these routes sit outside the session and CSRF layers, and every
//! answer is JSON that is never cached.

mod callbacks;
mod data;
mod drafts;
mod gate;
mod json;
mod ledger;
mod me;
mod my_changes;
mod openapi;
mod problem;
mod token;

pub use me::refuse_bearer_on_people_routes;
pub use openapi::ApiDoc;

use crate::state::AppState;
use axum::routing::{get, post, put};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

/// A token request is a few form fields; anything larger is not one.
const TOKEN_BODY_LIMIT: usize = 8 * 1024;

/// Mounted at `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/token",
            post(token::issue).layer(RequestBodyLimitLayer::new(TOKEN_BODY_LIMIT)),
        )
        .route("/me", get(me::me))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/access-decisions", post(data::access_decision))
        .route("/consents", post(data::consents))
        .route("/drafts", post(drafts::submit))
        .route("/drafts/{id}/versions", post(drafts::revise))
        .route("/changes", get(my_changes::list))
        .route("/changes/{id}", get(drafts::status))
        .route("/changes/{id}/withdraw", post(my_changes::withdraw))
        .route("/changes/{id}/rollback-plan", put(drafts::rollback_plan))
        .route("/changes/{id}/callback", put(callbacks::register))
        .route("/changes/{id}/approve", post(gate::approve))
        .route("/changes/{id}/publish", post(gate::publish))
        .route("/ledger/checkpoint", get(ledger::checkpoint))
        .route("/ledger/events/{seq}/proof", get(ledger::inclusion))
        .route("/ledger/consistency", get(ledger::consistency))
        .fallback(problem::not_found)
}
