//! A PATCH operation's `path` (RFC 7644 §3.5.2): `attribute`, `attribute.sub`,
//! `attribute[sub eq "value"]` or `attribute[sub eq "value"].sub`, optionally prefixed with
//! the schema URN the attribute belongs to.

use super::error::clip;
use super::ScimError;

const MAX_PATH_CHARS: usize = 300;

/// Which schema an attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSchema {
    Core,
    Enterprise,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub schema: PathSchema,
    /// The attribute as written (matched case-insensitively by the resource); empty for the
    /// whole enterprise extension.
    pub attribute: String,
    /// `[sub eq "value"]`: which values of a multi-valued attribute are meant.
    pub value_filter: Option<(String, String)>,
    pub sub_attribute: Option<String>,
}

impl AttrPath {
    pub fn parse(raw: &str) -> Result<Self, ScimError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > MAX_PATH_CHARS {
            return Err(ScimError::invalid_path(format!(
                "`path` must be 1 to {MAX_PATH_CHARS} characters"
            )));
        }
        if raw.eq_ignore_ascii_case(super::ENTERPRISE_USER_SCHEMA) {
            // The whole enterprise extension (scim2-tester and some directories patch it so).
            return Ok(Self {
                schema: PathSchema::Enterprise,
                attribute: String::new(),
                value_filter: None,
                sub_attribute: None,
            });
        }
        let bad = || ScimError::invalid_path(format!("`{}` is not an attribute path", clip(raw)));
        let (schema, rest) = strip_urn(raw);
        let attribute_end = rest.find(['[', '.']).unwrap_or(rest.len());
        let attribute = &rest[..attribute_end];
        if attribute.is_empty() || !attribute.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        let mut rest = &rest[attribute_end..];
        let mut value_filter = None;
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(bad)?;
            value_filter = Some(value_filter_of(&inner[..close]).ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "`{}` is not a value filter of the form [sub eq \"value\"]",
                    clip(&inner[..close])
                ))
            })?);
            rest = &inner[close + 1..];
        }
        let sub_attribute = match rest.strip_prefix('.') {
            Some(sub) if !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Some(sub.to_owned())
            }
            Some(_) => return Err(bad()),
            None if rest.is_empty() => None,
            None => return Err(bad()),
        };
        Ok(Self {
            schema,
            attribute: attribute.to_owned(),
            value_filter,
            sub_attribute,
        })
    }
}

fn strip_urn(raw: &str) -> (PathSchema, &str) {
    for (urn, schema) in [
        (super::ENTERPRISE_USER_SCHEMA, PathSchema::Enterprise),
        (super::USER_SCHEMA, PathSchema::Core),
        (super::GROUP_SCHEMA, PathSchema::Core),
    ] {
        if raw.len() > urn.len()
            && raw.as_bytes()[urn.len()] == b':'
            && raw[..urn.len()].eq_ignore_ascii_case(urn)
        {
            return (schema, &raw[urn.len() + 1..]);
        }
    }
    (PathSchema::Core, raw)
}

/// `sub eq "value"` inside brackets.
fn value_filter_of(inner: &str) -> Option<(String, String)> {
    let inner = inner.trim();
    let (sub, rest) = inner.split_once(char::is_whitespace)?;
    let (operator, value) = rest.trim_start().split_once(char::is_whitespace)?;
    if !operator.eq_ignore_ascii_case("eq") || !sub.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value: String = serde_json::from_str(value.trim()).ok()?;
    Some((sub.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_entra_and_okta_send_them() {
        let p = AttrPath::parse("name.givenName").unwrap();
        assert_eq!(
            (p.attribute.as_str(), p.sub_attribute.as_deref()),
            ("name", Some("givenName"))
        );
        let p = AttrPath::parse("emails[type eq \"work\"].value").unwrap();
        assert_eq!(p.value_filter, Some(("type".into(), "work".into())));
        assert_eq!(p.sub_attribute.as_deref(), Some("value"));
        let p = AttrPath::parse("members[value eq \"2819c223\"]").unwrap();
        assert_eq!(p.value_filter, Some(("value".into(), "2819c223".into())));
        let p = AttrPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        )
        .unwrap();
        assert_eq!(
            (p.schema, p.attribute.as_str()),
            (PathSchema::Enterprise, "department")
        );
    }

    #[test]
    fn malformed_paths_are_named() {
        for raw in [
            "",
            "name.",
            "emails[type eq \"work\"",
            "a b",
            "name.given.x",
            "émail",
        ] {
            assert!(AttrPath::parse(raw).is_err(), "{raw:?}");
        }
        let err = AttrPath::parse("emails[type co \"w\"]").unwrap_err();
        assert_eq!(err.scim_type, Some(super::super::ScimType::InvalidFilter));
    }
}
