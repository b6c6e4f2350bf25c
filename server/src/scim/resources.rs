//! The Users and Groups endpoints: read the request, hand it to the core, render the answer.

use super::render::{self, Base};
use super::{directory, json_body, respond, scim_json};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::domain::scim::ScimError;
use std::collections::HashMap;

type Params = Query<HashMap<String, String>>;

fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ScimError> {
    params
        .get(name)
        .map(|raw| {
            raw.trim()
                .parse::<i64>()
                .map_err(|_| ScimError::invalid_value(format!("`{name}` must be a whole number")))
        })
        .transpose()
}

/// `excludedAttributes=members` (Entra ID asks for groups without their members).
fn without_members(params: &HashMap<String, String>) -> bool {
    params.get("excludedAttributes").is_some_and(|list| {
        list.split(',')
            .any(|a| a.trim().eq_ignore_ascii_case("members"))
    })
}

fn created(body: serde_json::Value) -> Response {
    let location = body["meta"]["location"].as_str().map(str::to_owned);
    let mut response = scim_json(StatusCode::CREATED, &body);
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn ok(body: &serde_json::Value) -> Response {
    scim_json(StatusCode::OK, body)
}

fn base(state: &AppState) -> Base {
    Base::of(&state.config.public_url)
}

pub async fn list_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let page = state
            .services
            .scim_users(
                &actor,
                params.get("filter").map(String::as_str),
                number(&params, "startIndex")?,
                number(&params, "count")?,
            )
            .await?;
        let base = base(&state);
        Ok(ok(&render::list(&page, |u| render::user(&base, u))))
    })
    .await
}

pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let user = state.services.scim_create_user(&actor, &body).await?;
        Ok(created(render::user(&base(&state), &user)))
    })
    .await
}

pub async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let user = state.services.scim_user(&actor, &id).await?;
        Ok(ok(&render::user(&base(&state), &user)))
    })
    .await
}

pub async fn replace_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let user = state.services.scim_replace_user(&actor, &id, &body).await?;
        Ok(ok(&render::user(&base(&state), &user)))
    })
    .await
}

pub async fn patch_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let user = state.services.scim_patch_user(&actor, &id, &body).await?;
        Ok(ok(&render::user(&base(&state), &user)))
    })
    .await
}

pub async fn delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        state.services.scim_delete_user(&actor, &id).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

pub async fn list_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let page = state
            .services
            .scim_groups(
                &actor,
                params.get("filter").map(String::as_str),
                number(&params, "startIndex")?,
                number(&params, "count")?,
                without_members(&params),
            )
            .await?;
        let base = base(&state);
        Ok(ok(&render::list(&page, |g| render::group(&base, g))))
    })
    .await
}

pub async fn create_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let group = state.services.scim_create_group(&actor, &body).await?;
        Ok(created(render::group(&base(&state), &group)))
    })
    .await
}

pub async fn get_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let group = state
            .services
            .scim_group(&actor, &id, without_members(&params))
            .await?;
        Ok(ok(&render::group(&base(&state), &group)))
    })
    .await
}

pub async fn replace_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let group = state
            .services
            .scim_replace_group(&actor, &id, &body)
            .await?;
        Ok(ok(&render::group(&base(&state), &group)))
    })
    .await
}

/// RFC 7644 §3.5.2 lets a PATCH answer 200 with the resource; Entra ID and Okta accept it.
pub async fn patch_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let group = state.services.scim_patch_group(&actor, &id, &body).await?;
        Ok(ok(&render::group(&base(&state), &group)))
    })
    .await
}

pub async fn delete_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        state.services.scim_delete_group(&actor, &id).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
