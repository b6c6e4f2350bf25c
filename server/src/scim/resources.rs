//! The Users and Groups endpoints: read the request, hand it to the core, render the answer.

use super::projection::Projection;
use super::render::{self, Base};
use super::{directory, json_body, respond, scim_json};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use countersign_core::domain::scim::{ScimError, MAX_PAGE};
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

fn projection(params: &HashMap<String, String>) -> Result<Projection, ScimError> {
    Projection::parse(
        params.get("attributes").map(String::as_str),
        params.get("excludedAttributes").map(String::as_str),
    )
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
        let (base, shape) = (base(&state), projection(&params)?);
        Ok(ok(&render::list(&page, |u| {
            shape.apply(render::user(&base, u))
        })))
    })
    .await
}

pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Params,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let user = state.services.scim_create_user(&actor, &body).await?;
        Ok(created(
            projection(&params)?.apply(render::user(&base(&state), &user)),
        ))
    })
    .await
}

pub async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let user = state.services.scim_user(&actor, &id).await?;
        Ok(ok(
            &projection(&params)?.apply(render::user(&base(&state), &user))
        ))
    })
    .await
}

pub async fn replace_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let user = state.services.scim_replace_user(&actor, &id, &body).await?;
        Ok(ok(
            &projection(&params)?.apply(render::user(&base(&state), &user))
        ))
    })
    .await
}

pub async fn patch_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let user = state.services.scim_patch_user(&actor, &id, &body).await?;
        Ok(ok(
            &projection(&params)?.apply(render::user(&base(&state), &user))
        ))
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
        let shape = projection(&params)?;
        let page = state
            .services
            .scim_groups(
                &actor,
                params.get("filter").map(String::as_str),
                number(&params, "startIndex")?,
                number(&params, "count")?,
                shape.leaves_out("members"),
            )
            .await?;
        let base = base(&state);
        Ok(ok(&render::list(&page, |g| {
            shape.apply(render::group(&base, g))
        })))
    })
    .await
}

pub async fn create_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Params,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let group = state.services.scim_create_group(&actor, &body).await?;
        Ok(created(
            projection(&params)?.apply(render::group(&base(&state), &group)),
        ))
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
        let shape = projection(&params)?;
        let group = state
            .services
            .scim_group(&actor, &id, shape.leaves_out("members"))
            .await?;
        Ok(ok(&shape.apply(render::group(&base(&state), &group))))
    })
    .await
}

pub async fn replace_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let group = state
            .services
            .scim_replace_group(&actor, &id, &body)
            .await?;
        Ok(ok(
            &projection(&params)?.apply(render::group(&base(&state), &group))
        ))
    })
    .await
}

/// RFC 7644 §3.5.2 lets a PATCH answer 200 with the resource; Entra ID and Okta accept it.
pub async fn patch_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    respond(async {
        let actor = directory(&state, &headers).await?;
        let body = json_body(&headers, &body)?;
        let group = state.services.scim_patch_group(&actor, &id, &body).await?;
        Ok(ok(
            &projection(&params)?.apply(render::group(&base(&state), &group))
        ))
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

/// A search request body (RFC 7644 §3.4.3): the query parameters as JSON.
fn search_params(body: &serde_json::Value) -> Result<HashMap<String, String>, ScimError> {
    const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a search request must be a JSON object"))?;
    let schemas_ok = object
        .get("schemas")
        .and_then(|s| s.as_array())
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(SEARCH)));
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "`schemas` must be [\"{SEARCH}\"]"
        )));
    }
    let mut params = HashMap::new();
    for (key, value) in object {
        let text = match (key.as_str(), value) {
            ("schemas", _) => continue,
            ("attributes" | "excludedAttributes", serde_json::Value::Array(names)) => names
                .iter()
                .map(|n| n.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    ScimError::invalid_value(format!("`{key}` must list attribute names"))
                })?
                .join(","),
            ("filter", serde_json::Value::String(f)) => f.clone(),
            ("startIndex" | "count", serde_json::Value::Number(n)) => n.to_string(),
            ("sortBy" | "sortOrder", _) => {
                return Err(ScimError::invalid_value(
                    "sorting is not supported (see ServiceProviderConfig)",
                ))
            }
            (other, _) => {
                return Err(ScimError::invalid_syntax(format!(
                    "`{}` is not a search request member",
                    other.chars().take(40).collect::<String>()
                )))
            }
        };
        params.insert(key.clone(), text);
    }
    Ok(params)
}

pub async fn search_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match json_body(&headers, &body).and_then(|b| search_params(&b)) {
        Ok(params) => params,
        Err(error) => return super::refusal(error),
    };
    list_users(State(state), headers, Query(params)).await
}

pub async fn search_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match json_body(&headers, &body).and_then(|b| search_params(&b)) {
        Ok(params) => params,
        Err(error) => return super::refusal(error),
    };
    list_groups(State(state), headers, Query(params)).await
}

/// `POST /.search` (RFC 7644 §3.4.3): users, then groups, as one list; a filter that names an
/// attribute only one of them has finds nothing in the other.
pub async fn search_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(async {
        let params = search_params(&json_body(&headers, &body)?)?;
        let actor = directory(&state, &headers).await?;
        let shape = projection(&params)?;
        let filter = params.get("filter").map(String::as_str);
        let start = number(&params, "startIndex")?.unwrap_or(1).max(1);
        let count = number(&params, "count")?
            .unwrap_or(MAX_PAGE as i64)
            .clamp(0, MAX_PAGE as i64);
        let base = base(&state);
        let users = state
            .services
            .scim_users(&actor, filter, Some(start), Some(count))
            .await;
        let groups_from = |users_total: i64| (start - users_total).max(1);
        let (users_total, mut resources) = match &users {
            Ok(page) => (
                page.total,
                page.items
                    .iter()
                    .map(|u| shape.apply(render::user(&base, u)))
                    .collect::<Vec<_>>(),
            ),
            Err(_) => (0, Vec::new()),
        };
        let remaining = count - resources.len() as i64;
        let groups = state
            .services
            .scim_groups(
                &actor,
                filter,
                Some(groups_from(users_total)),
                Some(remaining.max(0)),
                shape.leaves_out("members"),
            )
            .await;
        let groups_total = match (&users, &groups) {
            (Err(error), Err(_)) => return Err(error.clone()),
            (_, Ok(page)) => {
                if remaining > 0 {
                    resources.extend(
                        page.items
                            .iter()
                            .map(|g| shape.apply(render::group(&base, g))),
                    );
                }
                page.total
            }
            (_, Err(_)) => 0,
        };
        Ok(ok(&serde_json::json!({
            "schemas": [countersign_core::domain::scim::LIST_RESPONSE_SCHEMA],
            "totalResults": users_total + groups_total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        })))
    })
    .await
}
