//! Incident tracing: what a security admin or auditor asks ("where was this person's data
//! used?", "what produced this live campaign?"), parsed before anything is read or recorded.

use super::Subject;
use std::fmt;

/// The longest target reference or change id one may search for.
pub const MAX_QUERY_CHARS: usize = 512;

/// One search of the Investigate page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvestigationQuery {
    /// A customer subject id: every decision that named it, and where it went from there.
    Subject(Subject),
    /// A target reference in a connected system: the changes published (or meant) there.
    Target(String),
    /// A change id: its chain back (agent, owners, model, data, reviewers) and forward.
    Change(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvestigationError {
    #[error("`{0}` is not something to search by (subject, target or change)")]
    UnknownKind(String),
    #[error("say what to search for")]
    Empty,
    #[error("at most {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("a subject id is 1 to 128 of a-z, A-Z, 0-9 and - _ . : @")]
    BadSubject,
    #[error("a target reference has no control characters")]
    BadTarget,
    #[error("`{0}` is not a change id (a UUID, as on a change's page)")]
    BadChange(String),
}

impl InvestigationError {
    /// The form field the problem is in.
    pub fn field(&self) -> &'static str {
        match self {
            InvestigationError::UnknownKind(_) => "kind",
            _ => "q",
        }
    }
}

impl InvestigationQuery {
    /// `kind` is `subject`, `target` or `change`; `value` is trimmed.
    pub fn parse(kind: &str, value: &str) -> Result<Self, InvestigationError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(InvestigationError::Empty);
        }
        if value.chars().count() > MAX_QUERY_CHARS {
            return Err(InvestigationError::TooLong);
        }
        match kind {
            "subject" => Subject::parse(value)
                .map(InvestigationQuery::Subject)
                .map_err(|_| InvestigationError::BadSubject),
            "target" if value.chars().any(char::is_control) => Err(InvestigationError::BadTarget),
            "target" => Ok(InvestigationQuery::Target(value.to_owned())),
            "change" => uuid::Uuid::parse_str(value)
                .map(|id| InvestigationQuery::Change(id.hyphenated().to_string()))
                .map_err(|_| {
                    InvestigationError::BadChange(value.chars().take(40).collect::<String>())
                }),
            other => Err(InvestigationError::UnknownKind(
                other.chars().take(40).collect::<String>(),
            )),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            InvestigationQuery::Subject(_) => "subject",
            InvestigationQuery::Target(_) => "target",
            InvestigationQuery::Change(_) => "change",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            InvestigationQuery::Subject(s) => s.as_str(),
            InvestigationQuery::Target(t) | InvestigationQuery::Change(t) => t,
        }
    }
}

impl fmt::Display for InvestigationQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.value())
    }
}

/// How one decision answered for the subject searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectStanding {
    /// Allowed under this legal basis.
    Allowed(String),
    /// Denied for this reason (`no_consent`, `withdrawn`, `no_field_allowed`, …).
    Denied(String),
}

impl SubjectStanding {
    pub fn allowed(&self) -> bool {
        matches!(self, SubjectStanding::Allowed(_))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// (kind, value) → Ok((kind, value as understood)) or Err(the field named).
    type Case<'a> = (&'a str, &'a str, Result<(&'a str, &'a str), &'a str>);

    #[test]
    fn queries_are_parsed_or_named() {
        let long = "x".repeat(MAX_QUERY_CHARS + 1);
        let cases: [Case<'_>; 11] = [
            ("subject", " crm-1 ", Ok(("subject", "crm-1"))),
            ("subject", "a b", Err("q")),
            ("subject", "", Err("q")),
            (
                "target",
                "campaigns/spring-2027/de-DE",
                Ok(("target", "campaigns/spring-2027/de-DE")),
            ),
            ("target", "campaigns/\u{7}", Err("q")),
            ("target", &long, Err("q")),
            (
                "change",
                "01936f0e-8c47-7cc3-9f4e-3a1d2b6c7d8e",
                Ok(("change", "01936f0e-8c47-7cc3-9f4e-3a1d2b6c7d8e")),
            ),
            // A UUID in capitals names the same change.
            (
                "change",
                "01936F0E-8C47-7CC3-9F4E-3A1D2B6C7D8E",
                Ok(("change", "01936f0e-8c47-7cc3-9f4e-3a1d2b6c7d8e")),
            ),
            ("change", "DROP TABLE", Err("q")),
            ("person", "crm-1", Err("kind")),
            ("", "crm-1", Err("kind")),
        ];
        for (kind, value, expected) in cases {
            let got = InvestigationQuery::parse(kind, value);
            match expected {
                Ok((k, v)) => {
                    let q = got.unwrap();
                    assert_eq!((q.kind(), q.value()), (k, v), "{kind} {value}");
                }
                Err(field) => assert_eq!(got.unwrap_err().field(), field, "{kind} {value}"),
            }
        }
    }
}
