use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A console role. People get roles from their IdP groups through the configured role map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Approver,
    Legal,
    SecurityAdmin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Approver,
        Role::Legal,
        Role::SecurityAdmin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Approver => "approver",
            Role::Legal => "legal",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Approver => "Approver",
            Role::Legal => "Legal reviewer",
            Role::SecurityAdmin => "Security admin",
            Role::Auditor => "Auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (expected one of: approver, legal, security_admin, auditor)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The roles one person holds; a person holding two roles is still one person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn insert(&mut self, role: Role) {
        self.0.insert(role);
    }

    /// Comma-separated, sorted: the stored form.
    pub fn to_csv(&self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }

    pub fn from_csv(csv: &str) -> Result<Self, UnknownRole> {
        csv.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(Role::from_str)
            .collect()
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_csv() {
        let set: RoleSet = [Role::Legal, Role::Approver].into_iter().collect();
        assert_eq!(set.to_csv(), "approver,legal");
        assert_eq!(RoleSet::from_csv("approver, legal").ok(), Some(set));
        assert!(RoleSet::from_csv("").is_ok_and(|s| s.is_empty()));
    }

    #[test]
    fn unknown_role_is_named() {
        let err = RoleSet::from_csv("approver,root").unwrap_err();
        assert!(err.to_string().contains("`root`"));
    }
}
