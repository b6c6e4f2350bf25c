//! Resources as the directory reads them (RFC 7643): the kept attributes with `id`,
//! `schemas`, `meta` and, for users, their groups; list responses (RFC 7644 §3.4.2).

use countersign_core::clock::from_millis;
use countersign_core::domain::scim::{GROUP_SCHEMA, LIST_RESPONSE_SCHEMA};
use countersign_core::services::{ProvisionedGroup, ProvisionedUser, ScimPage};
use serde_json::{json, Map, Value};

/// Where resources live: the console's public URL and the SCIM path.
pub struct Base(pub String);

impl Base {
    pub fn of(public_url: &url::Url) -> Self {
        Self(format!(
            "{}{}",
            public_url.as_str().trim_end_matches('/'),
            super::PATH
        ))
    }
}

fn meta(base: &Base, kind: &str, id: &str, created: i64, modified: i64, version: i64) -> Value {
    json!({
        "resourceType": kind,
        "created": from_millis(created).to_rfc3339(),
        "lastModified": from_millis(modified).to_rfc3339(),
        "location": format!("{}/{kind}s/{id}", base.0),
        "version": format!("W/\"{version}\""),
    })
}

pub fn user(base: &Base, provisioned: &ProvisionedUser) -> Value {
    let id = provisioned.row.human_id.to_string();
    let mut body: Map<String, Value> = provisioned.user.attributes().clone();
    body.insert("schemas".into(), json!(provisioned.user.schemas()));
    body.insert("id".into(), Value::String(id.clone()));
    body.insert(
        "groups".into(),
        Value::Array(
            provisioned
                .groups
                .iter()
                .map(|(group, name)| {
                    json!({
                        "value": group.to_string(),
                        "display": name,
                        "$ref": format!("{}/Groups/{group}", base.0),
                    })
                })
                .collect(),
        ),
    );
    body.insert(
        "meta".into(),
        meta(
            base,
            "User",
            &id,
            provisioned.row.created_at_ms,
            provisioned.row.updated_at_ms,
            provisioned.row.version,
        ),
    );
    Value::Object(body)
}

pub fn group(base: &Base, provisioned: &ProvisionedGroup) -> Value {
    let id = provisioned.row.id.to_string();
    let mut body = json!({
        "schemas": [GROUP_SCHEMA],
        "id": id,
        "displayName": provisioned.row.display_name,
        "meta": meta(
            base,
            "Group",
            &id,
            provisioned.row.created_at_ms,
            provisioned.row.updated_at_ms,
            provisioned.row.version,
        ),
    });
    if let Some(external) = &provisioned.row.external_id {
        body["externalId"] = Value::String(external.clone());
    }
    if let Some(members) = &provisioned.members {
        body["members"] = Value::Array(
            members
                .iter()
                // RFC 7643 §8.7.1: a member is its value and reference (no display).
                .map(|(person, _)| {
                    json!({
                        "value": person.to_string(),
                        "$ref": format!("{}/Users/{person}", base.0),
                    })
                })
                .collect(),
        );
    }
    body
}

pub fn list<T>(page: &ScimPage<T>, render: impl Fn(&T) -> Value) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": page.total,
        "startIndex": page.start_index,
        "itemsPerPage": page.items.len(),
        "Resources": page.items.iter().map(render).collect::<Vec<_>>(),
    })
}
