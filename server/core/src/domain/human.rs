use super::{HumanId, RoleSet};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

const MAX_EMAIL_LEN: usize = 254;
const MAX_NAME_LEN: usize = 200;
const MAX_CLAIM_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("email `{0}` is not an email address")]
    BadEmail(String),
    #[error("name must be 1 to {MAX_NAME_LEN} characters")]
    BadName,
    #[error("{0} must be 1 to {MAX_CLAIM_LEN} characters")]
    BadClaim(&'static str),
}

/// An email address, trimmed and lower-cased; checked for shape, not deliverability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= MAX_EMAIL_LEN
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    && !domain.ends_with('.') && !domain.contains('@'));
        if valid {
            Ok(Self(email))
        } else {
            Err(IdentityError::BadEmail(raw.chars().take(80).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = IdentityError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: trimmed, control characters removed, bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let name: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
        if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
            return Err(IdentityError::BadName);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who the IdP says a person is: the exact issuer and its subject identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    issuer: String,
    subject: String,
}

impl ExternalIdentity {
    pub fn new(issuer: &str, subject: &str) -> Result<Self, IdentityError> {
        let check = |value: &str, what| {
            if value.is_empty() || value.len() > MAX_CLAIM_LEN {
                Err(IdentityError::BadClaim(what))
            } else {
                Ok(value.to_owned())
            }
        };
        Ok(Self {
            issuer: check(issuer, "issuer")?,
            subject: check(subject, "subject")?,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }
}

/// Why a person cannot act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deactivation {
    /// They last signed in with no group that maps to a role; a later sign-in with a role
    /// reactivates them.
    NoRole,
    /// A security admin deactivated them; only a security admin reactivates them.
    ByAdmin,
    /// The corporate directory deactivated or deleted them (SCIM); the directory reactivates
    /// them, and a sign-in cannot.
    ByDirectory,
}

impl Deactivation {
    pub fn as_str(self) -> &'static str {
        match self {
            Deactivation::NoRole => "no_role",
            Deactivation::ByAdmin => "by_admin",
            Deactivation::ByDirectory => "by_directory",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "no_role" => Some(Deactivation::NoRole),
            "by_admin" => Some(Deactivation::ByAdmin),
            "by_directory" => Some(Deactivation::ByDirectory),
            _ => None,
        }
    }
}

/// A person known to the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Human {
    pub id: HumanId,
    pub name: String,
    pub email: Option<String>,
    pub roles: RoleSet,
    pub deactivation: Option<Deactivation>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl Human {
    pub fn is_active(&self) -> bool {
        self.deactivation.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").map(|e| e.to_string()),
            Ok("ada@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse(&"x".repeat(201)).is_err());
        assert_eq!(
            DisplayName::parse(" Ada\u{7} Lovelace ").map(|n| n.as_str().to_owned()),
            Ok("Ada Lovelace".to_owned())
        );
    }
}
