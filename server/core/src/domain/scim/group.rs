//! A Group resource (RFC 7643 §4.2) as directories provision them: a display name that the
//! role map reads, an optional external id, and members named by their user ids. Members are
//! kept as rows, not as a list inside the group, so a group of thousands changes by the
//! members a request names.

use super::error::clip;
use super::{PatchOp, PatchOperation, ScimError};
use serde_json::{Map, Value};

/// Members one request may name: Entra ID and Okta send changes in batches far smaller.
pub const MAX_MEMBERS_PER_REQUEST: usize = 10_000;
const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroup {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids, as sent (each checked to exist by the service).
    pub members: Vec<String>,
}

/// What a PATCH does to a group, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    Rename(String),
    SetExternalId(Option<String>),
    Add(Vec<String>),
    Remove(Vec<String>),
    /// `replace` on `members`: exactly these.
    Replace(Vec<String>),
    RemoveAll,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPatch {
    pub changes: Vec<MemberChange>,
}

fn text(name: &str, value: &Value) -> Result<String, ScimError> {
    match value {
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || s.chars().count() > MAX_NAME_CHARS || s.chars().any(char::is_control)
            {
                Err(ScimError::invalid_value(format!(
                    "`{name}` must be 1 to {MAX_NAME_CHARS} printable characters"
                )))
            } else {
                Ok(s.to_owned())
            }
        }
        _ => Err(ScimError::invalid_value(format!(
            "`{name}` must be a string"
        ))),
    }
}

/// `[{"value": "id"}, …]` (or one such object) into ids.
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        single @ Value::Object(_) => std::slice::from_ref(single),
        _ => {
            return Err(ScimError::invalid_value(
                "`members` must be a list of {\"value\": id}",
            ))
        }
    };
    if items.len() > MAX_MEMBERS_PER_REQUEST {
        return Err(ScimError::invalid_value(format!(
            "at most {MAX_MEMBERS_PER_REQUEST} members per request"
        )));
    }
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Some(object) = item.as_object() else {
            return Err(ScimError::invalid_value(
                "each member must be an object with a `value`",
            ));
        };
        for key in object.keys() {
            if !["value", "display", "type", "$ref"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key))
            {
                return Err(ScimError::invalid_syntax(format!(
                    "unknown member attribute `{}`",
                    clip(key)
                )));
            }
        }
        let id = object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .and_then(|(_, v)| v.as_str())
            .ok_or_else(|| {
                ScimError::invalid_value("each member needs a `value` (the user's id)")
            })?;
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}

impl ScimGroup {
    pub fn from_request(body: &Value) -> Result<Self, ScimError> {
        let body = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a Group must be a JSON object"))?;
        super::check_schemas(
            body,
            super::GROUP_SCHEMA,
            &[super::GROUP_SCHEMA, super::ENTRA_GROUP_SCHEMA],
        )?;
        let mut display_name = None;
        let mut external_id = None;
        let mut members = Vec::new();
        for (key, value) in body {
            match key.to_ascii_lowercase().as_str() {
                "schemas" | "id" | "meta" => {}
                "displayname" => display_name = Some(text("displayName", value)?),
                "externalid" if value.is_null() => {}
                "externalid" => external_id = Some(text("externalId", value)?),
                "members" if value.is_null() => {}
                "members" => members = member_ids(value)?,
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "unknown attribute `{}`: not in the Group schema",
                        clip(key)
                    )))
                }
            }
        }
        Ok(Self {
            display_name: display_name
                .ok_or_else(|| ScimError::invalid_value("`displayName` is required"))?,
            external_id,
            members,
        })
    }
}

impl GroupPatch {
    pub fn from_operations(operations: &[PatchOperation]) -> Result<Self, ScimError> {
        let mut changes = Vec::new();
        for (n, operation) in operations.iter().enumerate() {
            change_of(operation, &mut changes).map_err(|mut e| {
                e.detail = format!("Operations[{n}]: {}", e.detail);
                e
            })?;
        }
        Ok(Self { changes })
    }
}

fn change_of(operation: &PatchOperation, changes: &mut Vec<MemberChange>) -> Result<(), ScimError> {
    let value = operation.value.as_ref();
    let Some(path) = &operation.path else {
        // Okta: `{"op": "replace", "value": {"id": "…", "displayName": "…"}}`.
        let Some(Value::Object(values)) = value else {
            return Err(ScimError::invalid_value(
                "without a `path`, `value` must be an object",
            ));
        };
        let mut by_key = Map::new();
        for (key, value) in values {
            by_key.insert(key.to_ascii_lowercase(), value.clone());
        }
        for (key, value) in &by_key {
            match key.as_str() {
                "id" | "schemas" | "meta" => {}
                "displayname" => changes.push(MemberChange::Rename(text("displayName", value)?)),
                "externalid" => changes.push(MemberChange::SetExternalId(
                    (!value.is_null())
                        .then(|| text("externalId", value))
                        .transpose()?,
                )),
                "members" => changes.push(match operation.op {
                    PatchOp::Add => MemberChange::Add(member_ids(value)?),
                    _ => MemberChange::Replace(member_ids(value)?),
                }),
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "unknown attribute `{}`: not in the Group schema",
                        clip(key)
                    )))
                }
            }
        }
        return Ok(());
    };
    if path.sub_attribute.is_some() && path.value_filter.is_none() {
        return Err(ScimError::invalid_path(format!(
            "`{}` has no sub-attributes to patch",
            clip(&path.attribute)
        )));
    }
    match (
        path.attribute.to_ascii_lowercase().as_str(),
        &path.value_filter,
        operation.op,
    ) {
        ("displayname", None, PatchOp::Add | PatchOp::Replace) => {
            changes.push(MemberChange::Rename(text(
                "displayName",
                value.unwrap_or(&Value::Null),
            )?));
        }
        ("displayname", None, PatchOp::Remove) => {
            return Err(ScimError::mutability(
                "`displayName` is required and cannot be removed",
            ))
        }
        ("externalid", None, PatchOp::Remove) => changes.push(MemberChange::SetExternalId(None)),
        ("externalid", None, _) => changes.push(MemberChange::SetExternalId(Some(text(
            "externalId",
            value.unwrap_or(&Value::Null),
        )?))),
        ("members", None, PatchOp::Add) => changes.push(MemberChange::Add(member_ids(
            value.unwrap_or(&Value::Null),
        )?)),
        ("members", None, PatchOp::Replace) => changes.push(MemberChange::Replace(member_ids(
            value.unwrap_or(&Value::Null),
        )?)),
        // Entra ID removes members by naming them in `value`; without one, all go.
        ("members", None, PatchOp::Remove) => changes.push(match value {
            Some(value) => MemberChange::Remove(member_ids(value)?),
            None => MemberChange::RemoveAll,
        }),
        ("members", Some((field, id)), PatchOp::Remove) if field.eq_ignore_ascii_case("value") => {
            changes.push(MemberChange::Remove(vec![id.clone()]))
        }
        ("members", Some(_), _) => {
            return Err(ScimError::invalid_path(
                "members are filtered only as members[value eq \"id\"], to remove them",
            ))
        }
        (other, _, _) => {
            return Err(ScimError::invalid_path(format!(
                "`{}` is not an attribute of Group",
                clip(other)
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(ops: Value) -> Result<GroupPatch, ScimError> {
        let ops = PatchOperation::parse_request(&json!({
            "schemas": [super::super::PATCH_OP_SCHEMA],
            "Operations": ops
        }))?;
        GroupPatch::from_operations(&ops)
    }

    #[test]
    fn groups_and_their_patches_as_entra_and_okta_send_them() {
        let group = ScimGroup::from_request(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Group1DisplayName",
            "meta": { "resourceType": "Group" },
            "members": [{ "value": "u1" }, { "value": "u1", "display": "dup" }]
        }))
        .unwrap();
        assert_eq!(group.members, ["u1"]);
        let entra = patch(json!([
            { "op": "Add", "path": "members", "value": [{ "$ref": null, "value": "u2" }] },
            { "op": "Remove", "path": "members", "value": [{ "$ref": null, "value": "u1" }] },
            { "op": "Replace", "path": "displayName", "value": "brand-leads" }
        ]))
        .unwrap();
        assert_eq!(
            entra.changes,
            [
                MemberChange::Add(vec!["u2".into()]),
                MemberChange::Remove(vec!["u1".into()]),
                MemberChange::Rename("brand-leads".into()),
            ]
        );
        let okta = patch(json!([
            { "op": "remove", "path": "members[value eq \"u3\"]" },
            { "op": "replace", "value": { "id": "g1", "displayName": "legal-team" } }
        ]))
        .unwrap();
        assert_eq!(
            okta.changes,
            [
                MemberChange::Remove(vec!["u3".into()]),
                MemberChange::Rename("legal-team".into())
            ]
        );
    }

    #[test]
    fn bad_groups_and_patches_are_named() {
        let err = ScimGroup::from_request(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "g", "owner": "x"
        }))
        .unwrap_err();
        assert!(err.detail.contains("unknown attribute `owner`"));
        let err = ScimGroup::from_request(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "members": []
        }))
        .unwrap_err();
        assert!(err.detail.contains("`displayName` is required"));
        for (ops, expected) in [
            (
                json!([{ "op": "replace", "path": "owner", "value": "x" }]),
                "`owner` is not an attribute of Group",
            ),
            (
                json!([{ "op": "remove", "path": "displayName" }]),
                "cannot be removed",
            ),
            (
                json!([{ "op": "add", "path": "members", "value": [{ "id": "u1" }] }]),
                "unknown member attribute `id`",
            ),
            (
                json!([{ "op": "replace", "path": "members[value eq \"u1\"]", "value": [] }]),
                "to remove them",
            ),
        ] {
            let err = patch(ops.clone()).unwrap_err();
            assert!(err.detail.contains(expected), "{ops}: {}", err.detail);
        }
    }
}
