//! What this service provider supports and the schemas it keeps (RFC 7643 §5–7), so a client
//! such as scim2-client or Entra ID's validator can discover it. Behind the same token as the
//! resources: nothing here is secret, but nothing is served to strangers either.

use super::{directory, refusal, scim_json};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use countersign_core::domain::scim::{
    ScimError, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, MAX_PAGE, USER_SCHEMA,
};
use serde_json::{json, Value};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

fn base(state: &AppState) -> String {
    super::render::Base::of(&state.config.public_url).0
}

pub async fn service_provider_config(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    if let Err(error) = directory(&state, &headers).await {
        return refusal(error);
    }
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [SPC_SCHEMA],
            "documentationUri": "https://github.com/countersign/countersign/blob/main/README.md#directory-sync-scim",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": MAX_PAGE },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token a security admin creates on the Directory sync page",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", base(&state)),
            },
        }),
    )
}

fn resource_type_list(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "A person provisioned by the directory",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") },
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A directory group; its name maps to console roles",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") },
        }),
    ]
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

pub async fn resource_types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(error) = directory(&state, &headers).await {
        return refusal(error);
    }
    scim_json(StatusCode::OK, &list(resource_type_list(&base(&state))))
}

pub async fn resource_type(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Err(error) = directory(&state, &headers).await {
        return refusal(error);
    }
    match resource_type_list(&base(&state))
        .into_iter()
        .find(|r| r["id"].as_str() == Some(name.as_str()))
    {
        Some(found) => scim_json(StatusCode::OK, &found),
        None => refusal(ScimError::not_found("no such resource type: User or Group")),
    }
}

/// One attribute's definition.
fn attr(name: &str, kind: &str, multi: bool, sub: Vec<Value>) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": "",
        "required": name == "userName",
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": if name == "userName" { "server" } else { "none" },
    });
    if !sub.is_empty() {
        a["subAttributes"] = Value::Array(sub);
    }
    a
}

fn strings(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|n| attr(n, "string", false, Vec::new()))
        .collect()
}

/// A `$ref` sub-attribute pointing at resources of these types.
fn reference(types: &[&str]) -> Value {
    let mut a = attr("$ref", "reference", false, Vec::new());
    a["referenceTypes"] = json!(types);
    a
}

fn with_reference(names: &[&str], types: &[&str]) -> Vec<Value> {
    let mut sub = strings(names);
    sub.push(reference(types));
    sub
}

fn plural() -> Vec<Value> {
    let mut sub = strings(&["value", "display", "type"]);
    sub.push(attr("primary", "boolean", false, Vec::new()));
    sub
}

fn schema_list(base: &str) -> Vec<Value> {
    let mut user = strings(&[
        "userName",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
    ]);
    user.push(attr("active", "boolean", false, Vec::new()));
    user.push(attr(
        "name",
        "complex",
        false,
        strings(&[
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        ]),
    ));
    for multi in [
        "emails",
        "phoneNumbers",
        "ims",
        "photos",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        user.push(attr(multi, "complex", true, plural()));
    }
    let mut address = strings(&[
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
        "type",
    ]);
    address.push(attr("primary", "boolean", false, Vec::new()));
    user.push(attr("addresses", "complex", true, address));
    let mut groups = attr(
        "groups",
        "complex",
        true,
        with_reference(&["value", "display"], &["Group"]),
    );
    groups["mutability"] = json!("readOnly");
    user.push(groups);
    let mut enterprise = strings(&[
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
    ]);
    enterprise.push(attr(
        "manager",
        "complex",
        false,
        with_reference(&["value", "displayName"], &["User"]),
    ));
    let mut display_name = attr("displayName", "string", false, Vec::new());
    display_name["required"] = json!(true);
    display_name["uniqueness"] = json!("server");
    let group = vec![
        display_name,
        // Members are people the directory provisioned; groups do not nest here.
        attr(
            "members",
            "complex",
            true,
            with_reference(&["value"], &["User"]),
        ),
    ];
    [
        (USER_SCHEMA, "User", user),
        (ENTERPRISE_USER_SCHEMA, "EnterpriseUser", enterprise),
        (GROUP_SCHEMA, "Group", group),
    ]
    .into_iter()
    .map(|(id, name, attributes)| {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": id,
            "name": name,
            "description": format!("{name} as Countersign keeps it"),
            "attributes": attributes,
            "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
        })
    })
    .collect()
}

pub async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(error) = directory(&state, &headers).await {
        return refusal(error);
    }
    scim_json(StatusCode::OK, &list(schema_list(&base(&state))))
}

pub async fn schema(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Response {
    if let Err(error) = directory(&state, &headers).await {
        return refusal(error);
    }
    match schema_list(&base(&state))
        .into_iter()
        .find(|s| s["id"].as_str() == Some(urn.as_str()))
    {
        Some(found) => scim_json(StatusCode::OK, &found),
        None => refusal(ScimError::not_found("no such schema")),
    }
}
