//! A User resource as a directory provisions it (RFC 7643 §4.1 and the enterprise extension
//! §4.3). The attributes are kept as sent, by their canonical names, so that the directory reads
//! back what it wrote; Countersign uses the user name, external id, active flag, name and
//! email. Attributes no schema here defines are refused by name; read-only ones (`id`, `meta`,
//! `groups`) are ignored on write as RFC 7644 §3.3 says, and a password is never kept.

use super::error::clip;
use super::path::{AttrPath, PathSchema};
use super::{PatchOp, PatchOperation, ScimError};
use serde_json::{Map, Value};

const MAX_CLAIM_CHARS: usize = 255;
/// The stored attributes at most, serialised: generous for a person, small for a database row.
const MAX_RESOURCE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Boolean,
    /// One object with these sub-attributes.
    Complex(&'static [&'static str]),
    /// A list of objects with these sub-attributes.
    MultiValued(&'static [&'static str]),
    /// Accepted on write and never kept (read-only or write-only).
    Ignored,
}

const PLURAL: &[&str] = &["value", "display", "type", "primary", "$ref"];
const NAME: &[&str] = &[
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
const ADDRESS: &[&str] = &[
    "formatted",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
    "type",
    "primary",
];
const MANAGER: &[&str] = &["value", "$ref", "displayName"];

/// The core User schema's attributes, by canonical name.
pub const USER_ATTRIBUTES: &[&str] = &[
    "userName",
    "externalId",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

fn core_shape(canonical: &str) -> Shape {
    match canonical {
        "active" => Shape::Boolean,
        "name" => Shape::Complex(NAME),
        "addresses" => Shape::MultiValued(ADDRESS),
        "emails" | "phoneNumbers" | "ims" | "photos" | "entitlements" | "roles"
        | "x509Certificates" => Shape::MultiValued(PLURAL),
        _ => Shape::Text,
    }
}

const IGNORED: &[&str] = &["id", "meta", "groups", "password"];
const ENTERPRISE: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];

fn enterprise_shape(canonical: &str) -> Shape {
    if canonical == "manager" {
        Shape::Complex(MANAGER)
    } else {
        Shape::Text
    }
}

/// An attribute named by a request, resolved to where it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Attribute {
    schema: PathSchema,
    name: &'static str,
    shape: Shape,
}

fn resolve(schema: PathSchema, raw: &str) -> Result<Attribute, ScimError> {
    let known = |list: &[&'static str]| list.iter().copied().find(|a| a.eq_ignore_ascii_case(raw));
    let found = match schema {
        PathSchema::Core => known(USER_ATTRIBUTES)
            .map(|name| (name, core_shape(name)))
            .or_else(|| known(IGNORED).map(|name| (name, Shape::Ignored))),
        PathSchema::Enterprise => known(ENTERPRISE).map(|name| (name, enterprise_shape(name))),
    };
    found
        .map(|(name, shape)| Attribute {
            schema,
            name,
            shape,
        })
        .ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "unknown attribute `{}`: not in the {} schema",
                clip(raw),
                match schema {
                    PathSchema::Core => "User",
                    PathSchema::Enterprise => "enterprise User",
                }
            ))
        })
}

/// A provisioned user: the attributes Countersign acts on, checked, and all kept attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    /// Core attributes by canonical name, and the enterprise extension's under its URN.
    attributes: Map<String, Value>,
}

impl ScimUser {
    /// A user from a POST or PUT body.
    pub fn from_request(body: &Value) -> Result<Self, ScimError> {
        let body = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a User must be a JSON object"))?;
        super::check_schemas(
            body,
            super::USER_SCHEMA,
            &[super::USER_SCHEMA, super::ENTERPRISE_USER_SCHEMA],
        )?;
        let mut attributes = Map::new();
        for (key, value) in body {
            if key == "schemas" {
                continue;
            }
            set_top(&mut attributes, key, value.clone())?;
        }
        Self::from_attributes(attributes)
    }

    /// The user as stored, read back.
    pub fn from_stored(attributes: Map<String, Value>) -> Result<Self, ScimError> {
        Self::from_attributes(attributes)
    }

    fn from_attributes(mut attributes: Map<String, Value>) -> Result<Self, ScimError> {
        attributes.retain(|_, v| !v.is_null());
        let text = |name: &str| -> Result<Option<String>, ScimError> {
            match attributes.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => {
                    let s = s.trim();
                    if s.is_empty()
                        || s.chars().count() > MAX_CLAIM_CHARS
                        || s.chars().any(char::is_control)
                    {
                        Err(ScimError::invalid_value(format!(
                            "`{name}` must be 1 to {MAX_CLAIM_CHARS} printable characters"
                        )))
                    } else {
                        Ok(Some(s.to_owned()))
                    }
                }
                Some(_) => Err(ScimError::invalid_value(format!(
                    "`{name}` must be a string"
                ))),
            }
        };
        let user_name =
            text("userName")?.ok_or_else(|| ScimError::invalid_value("`userName` is required"))?;
        let external_id = text("externalId")?;
        let active = attributes
            .get("active")
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| ScimError::invalid_value("`active` must be true or false"))
            })
            .transpose()?
            .unwrap_or(true);
        if let Some(Value::String(s)) = attributes.get_mut("userName") {
            *s = user_name.clone();
        }
        let size = serde_json::to_vec(&attributes)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > MAX_RESOURCE_BYTES {
            return Err(ScimError::invalid_value(format!(
                "the user's attributes take {size} bytes; at most {MAX_RESOURCE_BYTES} are kept"
            )));
        }
        Ok(Self {
            user_name,
            external_id,
            active,
            attributes,
        })
    }

    /// The user after a PATCH request's operations, applied in order; checked as a whole.
    pub fn patched(&self, operations: &[PatchOperation]) -> Result<Self, ScimError> {
        let mut attributes = self.attributes.clone();
        for (n, operation) in operations.iter().enumerate() {
            apply(&mut attributes, operation).map_err(|mut e| {
                e.detail = format!("Operations[{n}]: {}", e.detail);
                e
            })?;
        }
        Self::from_attributes(attributes)
    }

    /// The stored attributes.
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }

    /// `userName` as compared for uniqueness (RFC 7643 §4.1.1: not case-exact).
    pub fn user_name_key(&self) -> String {
        self.user_name.to_lowercase()
    }

    /// The name people see: `displayName`, else the formatted or given and family name, else
    /// the user name.
    pub fn person_name(&self) -> String {
        let string = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let name = self.attributes.get("name");
        string(self.attributes.get("displayName"))
            .or_else(|| string(name.and_then(|n| n.get("formatted"))))
            .or_else(|| {
                let parts: Vec<String> = ["givenName", "familyName"]
                    .iter()
                    .filter_map(|k| string(name.and_then(|n| n.get(*k))))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
            .unwrap_or_else(|| self.user_name.clone())
    }

    /// The primary email, else the first, else the user name when it is an address.
    pub fn email(&self) -> Option<String> {
        let emails = self.attributes.get("emails").and_then(Value::as_array);
        let value = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_owned);
        emails
            .and_then(|all| {
                all.iter()
                    .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                    .and_then(value)
                    .or_else(|| all.iter().find_map(value))
            })
            .or_else(|| Some(self.user_name.clone()))
            .and_then(|e| crate::domain::Email::parse(&e).ok())
            .map(String::from)
    }

    /// The schemas the stored attributes use.
    pub fn schemas(&self) -> Vec<&'static str> {
        let mut schemas = vec![super::USER_SCHEMA];
        if self.attributes.contains_key(super::ENTERPRISE_USER_SCHEMA) {
            schemas.push(super::ENTERPRISE_USER_SCHEMA);
        }
        schemas
    }
}

/// Sets a top-level member of a request body: a core attribute, the enterprise extension's
/// object, or an enterprise attribute written with its URN (as Entra ID does in PATCH).
fn set_top(attributes: &mut Map<String, Value>, key: &str, value: Value) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case(super::ENTERPRISE_USER_SCHEMA) {
        let Value::Object(extension) = value else {
            return Err(ScimError::invalid_value(
                "the enterprise extension must be an object",
            ));
        };
        for (name, value) in extension.into_iter().filter(|(name, _)| name != "schemas") {
            set(
                attributes,
                resolve(PathSchema::Enterprise, &name)?,
                None,
                value,
            )?;
        }
        return Ok(());
    }
    let path = AttrPath::parse(key)
        .map_err(|_| ScimError::invalid_syntax(format!("unknown attribute `{}`", clip(key))))?;
    if path.value_filter.is_some() {
        return Err(ScimError::invalid_syntax(format!(
            "`{}` is a path, not an attribute",
            clip(key)
        )));
    }
    let attribute = resolve(path.schema, &path.attribute)?;
    set(attributes, attribute, path.sub_attribute.as_deref(), value)
}

fn container(attributes: &mut Map<String, Value>, schema: PathSchema) -> &mut Map<String, Value> {
    match schema {
        PathSchema::Core => attributes,
        PathSchema::Enterprise => {
            let entry = attributes
                .entry(super::ENTERPRISE_USER_SCHEMA.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            entry.as_object_mut().expect("just made an object")
        }
    }
}

/// Replaces an attribute (or one sub-attribute of a complex one), checking its shape.
fn set(
    attributes: &mut Map<String, Value>,
    attribute: Attribute,
    sub: Option<&str>,
    value: Value,
) -> Result<(), ScimError> {
    if attribute.shape == Shape::Ignored {
        return Ok(());
    }
    let value = checked(attribute, sub, value)?;
    let target = container(attributes, attribute.schema);
    match sub {
        None => {
            target.insert(attribute.name.to_owned(), value);
        }
        Some(sub) => {
            let Shape::Complex(subs) = attribute.shape else {
                return Err(ScimError::invalid_path(format!(
                    "`{}` has no sub-attribute `{}`",
                    attribute.name,
                    clip(sub)
                )));
            };
            let sub = canonical_sub(subs, attribute.name, sub)?;
            let entry = target
                .entry(attribute.name.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(object) = entry {
                object.insert(sub.to_owned(), value);
            }
        }
    }
    Ok(())
}

fn canonical_sub(
    subs: &[&'static str],
    attribute: &str,
    raw: &str,
) -> Result<&'static str, ScimError> {
    subs.iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(raw))
        .ok_or_else(|| {
            ScimError::invalid_path(format!(
                "`{attribute}` has no sub-attribute `{}`",
                clip(raw)
            ))
        })
}

/// A value of the attribute's shape, with sub-attributes by canonical name.
fn checked(attribute: Attribute, sub: Option<&str>, value: Value) -> Result<Value, ScimError> {
    let wrong = |expected: &str| {
        ScimError::invalid_value(format!(
            "`{}{}` must be {expected}",
            attribute.name,
            sub.map(|s| format!(".{s}")).unwrap_or_default()
        ))
    };
    let object = |subs: &[&'static str], value: Value| -> Result<Value, ScimError> {
        let Value::Object(raw) = value else {
            return Err(wrong("an object"));
        };
        let mut clean = Map::new();
        for (key, v) in raw {
            let key = canonical_sub(subs, attribute.name, &key)?;
            if !(v.is_string() || v.is_boolean() || v.is_null()) {
                return Err(ScimError::invalid_value(format!(
                    "`{}.{key}` must be a string or a boolean",
                    attribute.name
                )));
            }
            clean.insert(key.to_owned(), v);
        }
        Ok(Value::Object(clean))
    };
    match (attribute.shape, sub) {
        (Shape::Boolean, None) => match value {
            Value::Bool(_) => Ok(value),
            // Entra ID has sent booleans as the strings "True" and "False".
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(wrong("true or false")),
        },
        (Shape::Text, None) | (Shape::Complex(_), Some(_)) => match value {
            Value::String(_) | Value::Null => Ok(value),
            Value::Bool(_) if sub.is_some() => Ok(value),
            _ => Err(wrong("a string")),
        },
        (Shape::Complex(subs), None) => object(subs, value),
        (Shape::MultiValued(subs), None) => match value {
            Value::Array(items) => items
                .into_iter()
                .map(|item| object(subs, item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(wrong("a list of objects")),
        },
        (Shape::MultiValued(_), Some(_)) => Err(ScimError::invalid_path(format!(
            "`{}` is multi-valued: name its values with a filter, e.g. {}[type eq \"work\"].value",
            attribute.name, attribute.name
        ))),
        (Shape::Boolean | Shape::Text, Some(sub)) => Err(ScimError::invalid_path(format!(
            "`{}` has no sub-attribute `{}`",
            attribute.name,
            clip(sub)
        ))),
        (Shape::Ignored, _) => Ok(Value::Null),
    }
}

fn apply(attributes: &mut Map<String, Value>, operation: &PatchOperation) -> Result<(), ScimError> {
    let Some(path) = &operation.path else {
        // No path: the value is an object of attributes to add or replace (Okta and Entra ID
        // send `{"op": "replace", "value": {"active": false}}`).
        let Some(Value::Object(values)) = &operation.value else {
            return Err(ScimError::invalid_value(
                "without a `path`, `value` must be an object",
            ));
        };
        for (key, value) in values {
            if operation.op == PatchOp::Add && is_multi_valued(key) {
                let attribute = resolve(PathSchema::Core, key)?;
                append(attributes, attribute, value.clone())?;
            } else {
                set_top(attributes, key, value.clone())?;
            }
        }
        return Ok(());
    };
    if path.schema == PathSchema::Enterprise && path.attribute.is_empty() {
        return apply_extension(attributes, operation);
    }
    let attribute =
        resolve(path.schema, &path.attribute).map_err(|e| ScimError::invalid_path(e.detail))?;
    if attribute.shape == Shape::Ignored {
        return Err(ScimError::mutability(format!(
            "`{}` is not written through this service",
            attribute.name
        )));
    }
    match (&path.value_filter, operation.op) {
        (None, PatchOp::Remove) => {
            let target = container(attributes, attribute.schema);
            match &path.sub_attribute {
                None => {
                    target.remove(attribute.name);
                }
                Some(sub) => {
                    let Shape::Complex(subs) = attribute.shape else {
                        return Err(ScimError::invalid_path(format!(
                            "`{}` has no sub-attribute `{}`",
                            attribute.name,
                            clip(sub)
                        )));
                    };
                    let sub = canonical_sub(subs, attribute.name, sub)?;
                    if let Some(Value::Object(object)) = target.get_mut(attribute.name) {
                        object.remove(sub);
                    }
                }
            }
            Ok(())
        }
        (None, PatchOp::Add)
            if path.sub_attribute.is_none() && matches!(attribute.shape, Shape::MultiValued(_)) =>
        {
            append(
                attributes,
                attribute,
                operation.value.clone().unwrap_or(Value::Null),
            )
        }
        (None, _) => set(
            attributes,
            attribute,
            path.sub_attribute.as_deref(),
            operation.value.clone().unwrap_or(Value::Null),
        ),
        (Some((field, wanted)), op) => {
            let Shape::MultiValued(subs) = attribute.shape else {
                return Err(ScimError::invalid_path(format!(
                    "`{}` is not multi-valued: it takes no filter",
                    attribute.name
                )));
            };
            let field = canonical_sub(subs, attribute.name, field)?;
            let sub = path
                .sub_attribute
                .as_deref()
                .map(|s| canonical_sub(subs, attribute.name, s))
                .transpose()?;
            let target = container(attributes, attribute.schema);
            let items = target
                .entry(attribute.name.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = items else {
                return Err(ScimError::invalid_value(format!(
                    "`{}` is not a list",
                    attribute.name
                )));
            };
            let matches = |item: &Value| {
                item.get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(wanted))
            };
            match (op, sub) {
                (PatchOp::Remove, None) => items.retain(|item| !matches(item)),
                (PatchOp::Remove, Some(sub)) => {
                    for item in items.iter_mut().filter(|i| matches(i)) {
                        if let Value::Object(object) = item {
                            object.remove(sub);
                        }
                    }
                }
                (_, sub) => {
                    let value = operation.value.clone().unwrap_or(Value::Null);
                    if !items.iter().any(matches) {
                        // Entra ID replaces `emails[type eq "work"].value` on a user that has
                        // no work email yet: the filter names the value to create.
                        let mut fresh = Map::new();
                        fresh.insert(field.to_owned(), Value::String(wanted.clone()));
                        items.push(Value::Object(fresh));
                    }
                    for item in items.iter_mut().filter(|i| matches(i)) {
                        let Value::Object(object) = item else {
                            continue;
                        };
                        match (sub, &value) {
                            (Some(sub), Value::String(_) | Value::Bool(_)) => {
                                object.insert(sub.to_owned(), value.clone());
                            }
                            (None, Value::Object(fields)) => {
                                for (k, v) in fields {
                                    object.insert(
                                        canonical_sub(subs, attribute.name, k)?.to_owned(),
                                        v.clone(),
                                    );
                                }
                            }
                            _ => {
                                return Err(ScimError::invalid_value(format!(
                                    "the value for `{}` has the wrong type",
                                    attribute.name
                                )))
                            }
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

/// An operation on the whole enterprise extension: `add` merges its attributes, `replace`
/// replaces them, `remove` drops the extension.
fn apply_extension(
    attributes: &mut Map<String, Value>,
    operation: &PatchOperation,
) -> Result<(), ScimError> {
    if operation.op == PatchOp::Remove {
        attributes.remove(super::ENTERPRISE_USER_SCHEMA);
        return Ok(());
    }
    let Some(Value::Object(values)) = &operation.value else {
        return Err(ScimError::invalid_value(
            "the enterprise extension takes an object of its attributes",
        ));
    };
    if operation.op == PatchOp::Replace {
        attributes.remove(super::ENTERPRISE_USER_SCHEMA);
    }
    // An extension object as serialised may name its own schema.
    for (name, value) in values.iter().filter(|(name, _)| *name != "schemas") {
        set(
            attributes,
            resolve(PathSchema::Enterprise, name)?,
            None,
            value.clone(),
        )?;
    }
    Ok(())
}

fn is_multi_valued(key: &str) -> bool {
    USER_ATTRIBUTES
        .iter()
        .find(|a| a.eq_ignore_ascii_case(key))
        .is_some_and(|a| matches!(core_shape(a), Shape::MultiValued(_)))
}

/// `add` to a multi-valued attribute appends the values not already there.
fn append(
    attributes: &mut Map<String, Value>,
    attribute: Attribute,
    value: Value,
) -> Result<(), ScimError> {
    let value = match value {
        Value::Array(_) => value,
        single => Value::Array(vec![single]),
    };
    let Value::Array(new) = checked(attribute, None, value)? else {
        return Ok(());
    };
    let target = container(attributes, attribute.schema);
    let entry = target
        .entry(attribute.name.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = entry {
        for item in new {
            if !items.contains(&item) {
                items.push(item);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entra_user() -> Value {
        // Microsoft Entra ID's create request (learn.microsoft.com, "Tutorial: Develop and plan
        // provisioning for a SCIM endpoint", Create User).
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
            "active": true,
            "emails": [{ "primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com" }],
            "meta": { "resourceType": "User" },
            "name": { "formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName" },
            "roles": []
        })
    }

    fn patch(ops: Value) -> Vec<PatchOperation> {
        PatchOperation::parse_request(&json!({
            "schemas": [super::super::PATCH_OP_SCHEMA],
            "Operations": ops
        }))
        .unwrap()
    }

    #[test]
    fn an_entra_user_is_read_as_sent() {
        let user = ScimUser::from_request(&entra_user()).unwrap();
        assert_eq!(
            user.user_name,
            "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
        );
        assert_eq!(
            user.external_id.as_deref(),
            Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
        );
        assert!(user.active);
        assert_eq!(user.person_name(), "givenName familyName");
        assert_eq!(
            user.email().as_deref(),
            Some("test_user_fd0ea19b@testuser.com")
        );
        assert!(!user.attributes().contains_key("meta"));
    }

    #[test]
    fn patches_in_the_shapes_directories_send() {
        let user = ScimUser::from_request(&entra_user()).unwrap();
        let off = user
            .patched(&patch(
                json!([{ "op": "Replace", "path": "active", "value": "False" }]),
            ))
            .unwrap();
        assert!(!off.active);
        let off = user
            .patched(&patch(
                json!([{ "op": "replace", "value": { "active": false } }]),
            ))
            .unwrap();
        assert!(!off.active);
        let changed = user
            .patched(&patch(json!([
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com" },
                { "op": "Replace", "path": "name.familyName", "value": "Lovelace" },
                { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Brand" },
                { "op": "Replace", "value": { "displayName": "Ada L.", "name.givenName": "Ada" } }
            ])))
            .unwrap();
        assert_eq!(changed.email().as_deref(), Some("new@example.com"));
        assert_eq!(changed.person_name(), "Ada L.");
        assert_eq!(changed.attributes()["name"]["givenName"], "Ada");
        assert_eq!(
            changed.attributes()[super::super::ENTERPRISE_USER_SCHEMA]["department"],
            "Brand"
        );
        assert!(changed
            .schemas()
            .contains(&super::super::ENTERPRISE_USER_SCHEMA));
        let phone = user
            .patched(&patch(json!([{ "op": "add", "path": "phoneNumbers", "value": [{ "type": "work", "value": "+1 555" }] }])))
            .unwrap();
        assert_eq!(phone.attributes()["phoneNumbers"][0]["value"], "+1 555");
        let removed = phone
            .patched(&patch(
                json!([{ "op": "remove", "path": "phoneNumbers[type eq \"work\"]" }]),
            ))
            .unwrap();
        assert_eq!(removed.attributes()["phoneNumbers"], json!([]));
    }

    #[test]
    fn bad_users_and_patches_are_named() {
        let mut unknown = entra_user();
        unknown["shoeSize"] = json!(42);
        let err = ScimUser::from_request(&unknown).unwrap_err();
        assert!(
            err.detail.contains("unknown attribute `shoeSize`"),
            "{}",
            err.detail
        );
        let mut no_name = entra_user();
        no_name.as_object_mut().unwrap().remove("userName");
        assert!(ScimUser::from_request(&no_name)
            .unwrap_err()
            .detail
            .contains("`userName` is required"));
        let mut bad_active = entra_user();
        bad_active["active"] = json!("maybe");
        assert!(ScimUser::from_request(&bad_active)
            .unwrap_err()
            .detail
            .contains("`active`"));
        let user = ScimUser::from_request(&entra_user()).unwrap();
        let cases = [
            (
                json!([{ "op": "replace", "path": "shoeSize", "value": "9" }]),
                "unknown attribute `shoeSize`",
                400,
            ),
            (
                json!([{ "op": "replace", "path": "name.nickname", "value": "x" }]),
                "no sub-attribute `nickname`",
                400,
            ),
            (
                json!([{ "op": "replace", "path": "emails.value", "value": "x" }]),
                "multi-valued",
                400,
            ),
            (
                json!([{ "op": "remove", "path": "userName" }]),
                "`userName` is required",
                400,
            ),
            (
                json!([{ "op": "replace", "path": "id", "value": "x" }]),
                "not written through",
                400,
            ),
            (
                json!([{ "op": "replace", "path": "title", "value": 3 }]),
                "`title` must be a string",
                400,
            ),
        ];
        for (ops, expected, status) in cases {
            let err = user.patched(&patch(ops.clone())).unwrap_err();
            assert!(err.detail.contains(expected), "{ops}: {}", err.detail);
            assert_eq!(err.status, status);
        }
        let path_err = user
            .patched(&patch(
                json!([{ "op": "replace", "path": "shoeSize", "value": "9" }]),
            ))
            .unwrap_err();
        assert_eq!(
            path_err.scim_type,
            Some(super::super::ScimType::InvalidPath)
        );
    }
}
