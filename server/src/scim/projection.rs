//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes an answer
//! carries. `id` and `schemas` always come back; names are case-insensitive and may carry
//! their schema URN (`urn:…:enterprise:2.0:User:department`) or a sub-attribute
//! (`name.givenName`).

use countersign_core::domain::scim::{
    ScimError, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA,
};
use serde_json::{Map, Value};

const MAX_NAMES: usize = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Projection {
    #[default]
    Everything,
    Only(Vec<Name>),
    Without(Vec<Name>),
}

/// An attribute named by a client: in the enterprise extension or not, and maybe one
/// sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    enterprise: bool,
    attribute: String,
    sub: Option<String>,
}

fn parse_name(raw: &str) -> Option<Name> {
    let raw = raw.trim();
    let strip = |urn: &str| {
        (raw.len() > urn.len()
            && raw[..urn.len()].eq_ignore_ascii_case(urn)
            && raw.as_bytes()[urn.len()] == b':')
            .then(|| &raw[urn.len() + 1..])
    };
    let (enterprise, rest) = if raw.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
        (true, "")
    } else if let Some(rest) = strip(ENTERPRISE_USER_SCHEMA) {
        (true, rest)
    } else if let Some(rest) = strip(USER_SCHEMA).or_else(|| strip(GROUP_SCHEMA)) {
        (false, rest)
    } else {
        (false, raw)
    };
    let (attribute, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s.to_ascii_lowercase())),
        None => (rest, None),
    };
    let valid = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '$');
    (valid(attribute) && sub.as_deref().is_none_or(valid) && (enterprise || !attribute.is_empty()))
        .then(|| Name {
            enterprise,
            attribute: attribute.to_ascii_lowercase(),
            sub,
        })
}

impl Projection {
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        let names = |list: &str| -> Result<Vec<Name>, ScimError> {
            let raw: Vec<&str> = list.split(',').filter(|n| !n.trim().is_empty()).collect();
            if raw.len() > MAX_NAMES {
                return Err(ScimError::invalid_value(format!(
                    "at most {MAX_NAMES} attribute names"
                )));
            }
            raw.into_iter()
                .map(|n| {
                    parse_name(n).ok_or_else(|| {
                        ScimError::invalid_value(format!(
                            "`{}` is not an attribute name",
                            n.chars().take(80).collect::<String>()
                        ))
                    })
                })
                .collect()
        };
        match (
            attributes.filter(|a| !a.trim().is_empty()),
            excluded.filter(|e| !e.trim().is_empty()),
        ) {
            (Some(_), Some(_)) => Err(ScimError::invalid_syntax(
                "`attributes` and `excludedAttributes` cannot be used together",
            )),
            (Some(list), None) => Ok(Self::Only(names(list)?)),
            (None, Some(list)) => Ok(Self::Without(names(list)?)),
            (None, None) => Ok(Self::Everything),
        }
    }

    /// Whether an attribute (top level, not in the extension) is asked to be left out, e.g.
    /// a group's members, which are then not even read.
    pub fn leaves_out(&self, attribute: &str) -> bool {
        let named = |names: &[Name]| {
            names.iter().any(|n| {
                !n.enterprise && n.sub.is_none() && n.attribute.eq_ignore_ascii_case(attribute)
            })
        };
        match self {
            Self::Everything => false,
            Self::Only(names) => !names
                .iter()
                .any(|n| !n.enterprise && n.attribute.eq_ignore_ascii_case(attribute)),
            Self::Without(names) => named(names),
        }
    }

    /// The resource with only what was asked for.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut body) = resource else {
            return resource;
        };
        match self {
            Self::Everything => {}
            Self::Without(names) => {
                for name in names {
                    let target = if name.enterprise {
                        match body.get_mut(ENTERPRISE_USER_SCHEMA) {
                            Some(Value::Object(ext)) if !name.attribute.is_empty() => ext,
                            _ => {
                                if name.attribute.is_empty() {
                                    body.remove(ENTERPRISE_USER_SCHEMA);
                                }
                                continue;
                            }
                        }
                    } else {
                        &mut body
                    };
                    remove(target, &name.attribute, name.sub.as_deref());
                }
            }
            Self::Only(names) => {
                let mut kept = Map::new();
                for always in ["id", "schemas"] {
                    if let Some(v) = body.remove(always) {
                        kept.insert(always.to_owned(), v);
                    }
                }
                for name in names {
                    if name.enterprise {
                        let Some(Value::Object(ext)) = body.get(ENTERPRISE_USER_SCHEMA) else {
                            continue;
                        };
                        if name.attribute.is_empty() {
                            kept.insert(
                                ENTERPRISE_USER_SCHEMA.to_owned(),
                                Value::Object(ext.clone()),
                            );
                            continue;
                        }
                        let mut part = Map::new();
                        copy(ext, &mut part, &name.attribute, name.sub.as_deref());
                        if let Some(Value::Object(existing)) = kept.get_mut(ENTERPRISE_USER_SCHEMA)
                        {
                            existing.extend(part);
                        } else if !part.is_empty() {
                            kept.insert(ENTERPRISE_USER_SCHEMA.to_owned(), Value::Object(part));
                        }
                    } else {
                        copy(&body, &mut kept, &name.attribute, name.sub.as_deref());
                    }
                }
                body = kept;
            }
        }
        Value::Object(body)
    }
}

fn key_of(map: &Map<String, Value>, lower: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(lower)).cloned()
}

fn remove(map: &mut Map<String, Value>, attribute: &str, sub: Option<&str>) {
    let Some(key) = key_of(map, attribute) else {
        return;
    };
    if key == "id" {
        return;
    }
    match sub {
        None => {
            map.remove(&key);
        }
        Some(sub) => match map.get_mut(&key) {
            Some(Value::Object(inner)) => {
                if let Some(k) = key_of(inner, sub) {
                    inner.remove(&k);
                }
            }
            Some(Value::Array(items)) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        if let Some(k) = key_of(inner, sub) {
                            inner.remove(&k);
                        }
                    }
                }
            }
            _ => {}
        },
    }
}

fn copy(
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
    attribute: &str,
    sub: Option<&str>,
) {
    let Some(key) = key_of(from, attribute) else {
        return;
    };
    let value = &from[&key];
    let picked = match (sub, value) {
        (None, v) => v.clone(),
        (Some(sub), Value::Object(inner)) => {
            let mut part = Map::new();
            if let Some(k) = key_of(inner, sub) {
                part.insert(k.clone(), inner[&k].clone());
            }
            Value::Object(part)
        }
        (Some(sub), Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter_map(|item| item.as_object())
                .map(|inner| {
                    let mut part = Map::new();
                    if let Some(k) = key_of(inner, sub) {
                        part.insert(k.clone(), inner[&k].clone());
                    }
                    Value::Object(part)
                })
                .collect(),
        ),
        (Some(_), v) => v.clone(),
    };
    match (to.get_mut(&key), picked) {
        (Some(Value::Object(existing)), Value::Object(part)) => existing.extend(part),
        (_, picked) => {
            to.insert(key, picked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "u1",
            "userName": "ada",
            "displayName": "Ada",
            "name": { "givenName": "Ada", "familyName": "Lovelace" },
            ENTERPRISE_USER_SCHEMA: { "department": "Brand", "costCenter": "42" },
            "meta": { "resourceType": "User" }
        })
    }

    #[test]
    fn attributes_keep_only_what_is_named_and_the_id() {
        let only = Projection::parse(Some("userName,name.familyName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), None).unwrap();
        assert_eq!(
            only.apply(user()),
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "id": "u1",
                "userName": "ada",
                "name": { "familyName": "Lovelace" },
                ENTERPRISE_USER_SCHEMA: { "department": "Brand" }
            })
        );
        assert!(only.leaves_out("members"));
    }

    #[test]
    fn excluded_attributes_drop_what_is_named_but_never_the_id() {
        let without = Projection::parse(None, Some("DISPLAYNAME,name.givenName,id,meta")).unwrap();
        let answer = without.apply(user());
        assert!(answer.get("displayName").is_none() && answer.get("meta").is_none());
        assert_eq!(answer["id"], "u1");
        assert_eq!(answer["name"], json!({ "familyName": "Lovelace" }));
        assert!(Projection::parse(None, Some("members"))
            .unwrap()
            .leaves_out("members"));
    }

    #[test]
    fn both_at_once_or_a_bad_name_is_refused() {
        assert!(Projection::parse(Some("userName"), Some("name")).is_err());
        assert!(Projection::parse(Some("user name"), None).is_err());
    }
}
