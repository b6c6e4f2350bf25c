//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every `/api/v1` route, generated
//! from the handlers' annotations and the request and response types themselves.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Countersign agent API",
        description = "What service accounts and AI agents may call. Agents draft; humans countersign; only the console publishes. Errors are RFC 9457 application/problem+json, except the token endpoint's, which follow RFC 6749.",
    ),
    paths(
        super::token::issue,
        super::me::me,
        super::data::access_decision,
        super::data::consents,
        super::drafts::submit,
        super::drafts::revise,
        super::drafts::status,
        super::drafts::rollback_plan,
        super::my_changes::list,
        super::my_changes::withdraw,
        super::callbacks::register,
        super::gate::approve,
        super::gate::publish,
        super::ledger::checkpoint,
        super::ledger::inclusion,
        super::ledger::consistency,
        openapi_json,
    ),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(error) => {
            tracing::error!(%error, "the OpenAPI document does not serialize");
            super::problem::internal().into_response()
        }
    }
}
