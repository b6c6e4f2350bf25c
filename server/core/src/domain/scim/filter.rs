//! The filters directories send (RFC 7644 §3.4.2.2): equality on an identifying attribute,
//! joined by `and`, and Entra ID's membership probe `members[value eq "…"]`. Anything else is
//! refused with `invalidFilter` naming what is not understood, never silently widened.

use super::error::clip;
use super::ScimError;

const MAX_FILTER_CHARS: usize = 1_000;
const MAX_CONDITIONS: usize = 8;

/// An attribute a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAttribute {
    Id,
    UserName,
    ExternalId,
    DisplayName,
    /// `members[value eq "…"]`: the group has this member.
    Member,
}

/// One `attribute eq "value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub attribute: FilterAttribute,
    pub value: String,
}

/// A conjunction of equality conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimFilter {
    pub conditions: Vec<Condition>,
}

impl ScimFilter {
    /// Parses a filter for a resource type whose filterable attributes are `allowed`.
    pub fn parse(raw: &str, allowed: &[FilterAttribute]) -> Result<Self, ScimError> {
        if raw.chars().count() > MAX_FILTER_CHARS {
            return Err(ScimError::invalid_filter(format!(
                "the filter is longer than {MAX_FILTER_CHARS} characters"
            )));
        }
        let mut lexer = Lexer::new(raw);
        let mut conditions = Vec::new();
        loop {
            conditions.push(condition(&mut lexer, allowed)?);
            match lexer.word() {
                None => break,
                Some(word) if word.eq_ignore_ascii_case("and") => {}
                Some(word) if word.eq_ignore_ascii_case("or") => {
                    return Err(ScimError::invalid_filter(
                        "`or` is not supported: send one filter per value",
                    ))
                }
                Some(word) => {
                    return Err(ScimError::invalid_filter(format!(
                        "expected `and` or the end of the filter, found `{}`",
                        clip(&word)
                    )))
                }
            }
            if conditions.len() == MAX_CONDITIONS {
                return Err(ScimError::invalid_filter(format!(
                    "at most {MAX_CONDITIONS} conditions"
                )));
            }
        }
        Ok(Self { conditions })
    }

    /// The value compared with `attribute`, if the filter compares it.
    pub fn value_of(&self, attribute: FilterAttribute) -> Option<&str> {
        self.conditions
            .iter()
            .find(|c| c.attribute == attribute)
            .map(|c| c.value.as_str())
    }
}

fn condition(lexer: &mut Lexer<'_>, allowed: &[FilterAttribute]) -> Result<Condition, ScimError> {
    let Some(path) = lexer.word() else {
        return Err(ScimError::invalid_filter(
            "the filter is empty or ends where a condition should be",
        ));
    };
    if path.starts_with('(') || path.eq_ignore_ascii_case("not") {
        return Err(ScimError::invalid_filter(
            "grouping and `not` are not supported: send `attribute eq \"value\"`",
        ));
    }
    let (attribute, inside_brackets) = attribute(&path)?;
    if !allowed.contains(&attribute) {
        return Err(ScimError::invalid_filter(format!(
            "`{}` cannot be filtered on here",
            clip(&path)
        )));
    }
    let operator = lexer
        .word()
        .ok_or_else(|| ScimError::invalid_filter(format!("`{}` has no operator", clip(&path))))?;
    if !operator.eq_ignore_ascii_case("eq") {
        return Err(ScimError::invalid_filter(format!(
            "operator `{}` is not supported: this service compares with `eq`",
            clip(&operator)
        )));
    }
    let value = lexer.string()?;
    if inside_brackets && !lexer.eat(']') {
        return Err(ScimError::invalid_filter(
            "`members[value eq \"…\"` is missing its `]`",
        ));
    }
    Ok(Condition { attribute, value })
}

/// The attribute a path names (case-insensitive, optionally with its schema URN), and whether
/// it opened a value filter `members[`.
fn attribute(path: &str) -> Result<(FilterAttribute, bool), ScimError> {
    let bare = [super::USER_SCHEMA, super::GROUP_SCHEMA]
        .iter()
        .find_map(|urn| {
            path.get(..urn.len() + 1)
                .filter(|p| p.eq_ignore_ascii_case(&format!("{urn}:")))
                .map(|_| &path[urn.len() + 1..])
        })
        .unwrap_or(path);
    let lower = bare.to_ascii_lowercase();
    let attribute = match lower.as_str() {
        "id" => FilterAttribute::Id,
        "username" => FilterAttribute::UserName,
        "externalid" => FilterAttribute::ExternalId,
        "displayname" => FilterAttribute::DisplayName,
        "members[value" => return Ok((FilterAttribute::Member, true)),
        _ => {
            return Err(ScimError::invalid_filter(format!(
                "unknown attribute `{}` in the filter",
                clip(path)
            )))
        }
    };
    Ok((attribute, false))
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(raw: &'a str) -> Self {
        Self { rest: raw }
    }

    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// The next run of characters up to a space, a quote or `]`.
    fn word(&mut self) -> Option<String> {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == ']')
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word.to_owned())
    }

    /// A JSON string literal (`true`, `false`, `null` and numbers are not identifiers and are
    /// refused by name).
    fn string(&mut self) -> Result<String, ScimError> {
        self.skip_space();
        if !self.rest.starts_with('"') {
            let found = self.word().unwrap_or_default();
            return Err(ScimError::invalid_filter(if found.is_empty() {
                "a quoted value is missing".to_owned()
            } else {
                format!("`{}` is not a quoted string value", clip(&found))
            }));
        }
        let mut escaped = false;
        for (at, c) in self.rest.char_indices().skip(1) {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    let literal = &self.rest[..=at];
                    self.rest = &self.rest[at + 1..];
                    return serde_json::from_str(literal).map_err(|_| {
                        ScimError::invalid_filter(format!(
                            "{} is not a valid string value",
                            clip(literal)
                        ))
                    });
                }
                _ => {}
            }
        }
        Err(ScimError::invalid_filter("a string value is not closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FilterAttribute::*;

    const USERS: &[FilterAttribute] = &[Id, UserName, ExternalId, DisplayName];
    const GROUPS: &[FilterAttribute] = &[Id, ExternalId, DisplayName, Member];

    #[test]
    fn the_filters_directories_send_parse() {
        type Case<'a> = (
            &'a str,
            &'a [FilterAttribute],
            &'a [(FilterAttribute, &'a str)],
        );
        let cases: &[Case<'_>] = &[
            (
                "userName eq \"ada@example.com\"",
                USERS,
                &[(UserName, "ada@example.com")],
            ),
            ("USERNAME EQ \"Ada\"", USERS, &[(UserName, "Ada")]),
            ("externalId eq \"00u1\"", USERS, &[(ExternalId, "00u1")]),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"a\"",
                USERS,
                &[(UserName, "a")],
            ),
            (
                "displayName eq \"Brand \\\"leads\\\"\"",
                GROUPS,
                &[(DisplayName, "Brand \"leads\"")],
            ),
            (
                "id eq \"g1\" and members[value eq \"u1\"]",
                GROUPS,
                &[(Id, "g1"), (Member, "u1")],
            ),
        ];
        for (raw, allowed, expected) in cases {
            let filter = ScimFilter::parse(raw, allowed).unwrap_or_else(|e| panic!("{raw}: {e}"));
            let got: Vec<(FilterAttribute, &str)> = filter
                .conditions
                .iter()
                .map(|c| (c.attribute, c.value.as_str()))
                .collect();
            assert_eq!(got.as_slice(), *expected, "{raw}");
        }
    }

    #[test]
    fn anything_else_is_an_invalid_filter_naming_the_problem() {
        let cases = [
            ("", "empty"),
            ("userName", "no operator"),
            ("userName co \"a\"", "operator `co`"),
            ("userName eq a", "`a` is not a quoted string"),
            ("userName eq \"a", "not closed"),
            ("title eq \"x\"", "unknown attribute `title`"),
            ("members[value eq \"u1\"]", "cannot be filtered on here"),
            (
                "userName eq \"a\" or userName eq \"b\"",
                "`or` is not supported",
            ),
            ("userName eq \"a\" userName", "expected `and`"),
            ("(userName eq \"a\")", "grouping"),
            ("userName eq true", "`true` is not a quoted string"),
        ];
        for (raw, expected) in cases {
            let err = ScimFilter::parse(raw, USERS).unwrap_err();
            assert_eq!(
                err.scim_type,
                Some(super::super::ScimType::InvalidFilter),
                "{raw}"
            );
            assert!(err.detail.contains(expected), "{raw}: {}", err.detail);
        }
        let long = format!("userName eq \"{}\"", "a".repeat(1_000));
        assert!(ScimFilter::parse(&long, USERS).is_err());
        let many = ["id eq \"a\""; 9].join(" and ");
        assert!(ScimFilter::parse(&many, USERS)
            .unwrap_err()
            .detail
            .contains("at most"));
    }
}
