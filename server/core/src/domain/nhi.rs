//! Non-human identities (service accounts and agents): each has a purpose, an expiry and at least
//! one human owner; with no active owner it is orphaned and can do nothing.

use super::{HumanId, NhiId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhiError {
    #[error("name must be 3 to 80 characters of letters, digits, spaces, '-', '_' or '.'")]
    BadName,
    #[error("purpose must be 10 to 500 characters: say what it does and why")]
    BadPurpose,
    #[error("reason must be 3 to 500 characters")]
    BadReason,
    #[error("model must be at most 120 characters")]
    BadModel,
    #[error("unknown kind `{0}` (expected service_account or agent)")]
    UnknownKind(String),
    #[error("cannot {action} an identity that is {state}")]
    Transition {
        action: &'static str,
        state: NhiState,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NhiKind {
    ServiceAccount,
    Agent,
}

impl NhiKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NhiKind::ServiceAccount => "service_account",
            NhiKind::Agent => "agent",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, NhiError> {
        match raw {
            "service_account" => Ok(NhiKind::ServiceAccount),
            "agent" => Ok(NhiKind::Agent),
            other => Err(NhiError::UnknownKind(other.chars().take(40).collect())),
        }
    }
}

/// Lifecycle: `active ⇄ suspended → revoked`; revoked is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NhiState {
    Active,
    Suspended,
    Revoked,
}

impl fmt::Display for NhiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle command on an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Suspend,
    Reactivate,
    Revoke,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Suspend => "suspend",
            Lifecycle::Reactivate => "reactivate",
            Lifecycle::Revoke => "revoke",
        }
    }
}

impl NhiState {
    pub fn as_str(self) -> &'static str {
        match self {
            NhiState::Active => "active",
            NhiState::Suspended => "suspended",
            NhiState::Revoked => "revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(NhiState::Active),
            "suspended" => Some(NhiState::Suspended),
            "revoked" => Some(NhiState::Revoked),
            _ => None,
        }
    }

    /// The state a lifecycle command leads to, or why it cannot be applied.
    pub fn apply(self, command: Lifecycle) -> Result<NhiState, NhiError> {
        match (self, command) {
            (NhiState::Active, Lifecycle::Suspend) => Ok(NhiState::Suspended),
            (NhiState::Suspended, Lifecycle::Reactivate) => Ok(NhiState::Active),
            (NhiState::Active | NhiState::Suspended, Lifecycle::Revoke) => Ok(NhiState::Revoked),
            (state, command) => Err(NhiError::Transition {
                action: command.as_str(),
                state,
            }),
        }
    }
}

fn bounded(raw: &str, min: usize, max: usize) -> Option<String> {
    let text: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let len = text.chars().count();
    (min..=max).contains(&len).then_some(text)
}

/// An identity's unique name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhiName(String);

impl NhiName {
    pub fn parse(raw: &str) -> Result<Self, NhiError> {
        let name = bounded(raw, 3, 80).ok_or(NhiError::BadName)?;
        if name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        {
            Ok(Self(name))
        } else {
            Err(NhiError::BadName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an identity is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(String);

impl Purpose {
    pub fn parse(raw: &str) -> Result<Self, NhiError> {
        bounded(raw, 10, 500).map(Self).ok_or(NhiError::BadPurpose)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a person took a governance action; required and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, NhiError> {
        bounded(raw, 3, 500).map(Self).ok_or(NhiError::BadReason)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An owner as shown with an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: HumanId,
    pub name: String,
    pub email: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nhi {
    pub id: NhiId,
    pub kind: NhiKind,
    pub name: String,
    pub purpose: String,
    pub state: NhiState,
    pub expires_at: DateTime<Utc>,
    /// Agents: the model and provider, e.g. "claude-sonnet-4.5 (Anthropic)".
    pub model: Option<String>,
    pub created_by: HumanId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub owners: Vec<Owner>,
}

impl Nhi {
    /// No active human owner: the identity can do nothing until one is assigned.
    pub fn is_orphaned(&self) -> bool {
        !self.owners.iter().any(|owner| owner.active)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// Whether it may act at all right now (before any grant is considered).
    pub fn may_act(&self, now: DateTime<Utc>) -> bool {
        self.state == NhiState::Active && !self.is_expired(now) && !self.is_orphaned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_transitions_follow_the_table() {
        use Lifecycle::*;
        use NhiState::*;
        let table = [
            (Active, Suspend, Some(Suspended)),
            (Active, Reactivate, None),
            (Active, Revoke, Some(Revoked)),
            (Suspended, Suspend, None),
            (Suspended, Reactivate, Some(Active)),
            (Suspended, Revoke, Some(Revoked)),
            (Revoked, Suspend, None),
            (Revoked, Reactivate, None),
            (Revoked, Revoke, None),
        ];
        for (from, command, to) in table {
            assert_eq!(from.apply(command).ok(), to, "{from} + {command:?}");
        }
        let refused = Revoked.apply(Reactivate).unwrap_err().to_string();
        assert_eq!(refused, "cannot reactivate an identity that is revoked");
    }

    #[test]
    fn names_purposes_and_reasons_are_checked() {
        assert!(NhiName::parse("crm-reader.eu_1").is_ok());
        for bad in ["ab", "drop table;", &"x".repeat(81), "  "] {
            assert!(NhiName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Purpose::parse("too short").is_err());
        assert!(Purpose::parse("Drafts the spring offer email from CRM segments.").is_ok());
        assert!(Reason::parse(" ").is_err());
        assert!(Reason::parse("owner left").is_ok());
    }
}
