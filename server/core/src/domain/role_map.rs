use super::{Role, RoleSet};
use std::collections::BTreeMap;
use std::str::FromStr;

/// IdP group → console roles, from `COUNTERSIGN_ROLE_MAP`
/// (`approver=mkt-approvers,brand-leads;legal=legal-team;…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap {
    by_group: BTreeMap<String, RoleSet>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleMapError {
    #[error("entry `{0}` is not of the form role=group[,group…]")]
    Malformed(String),
    #[error(transparent)]
    UnknownRole(#[from] super::role::UnknownRole),
    #[error("role `{0}` lists an empty group name")]
    EmptyGroup(String),
}

impl RoleMap {
    pub fn parse(spec: &str) -> Result<Self, RoleMapError> {
        let mut by_group: BTreeMap<String, RoleSet> = BTreeMap::new();
        for entry in spec.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (role, groups) = entry
                .split_once('=')
                .ok_or_else(|| RoleMapError::Malformed(entry.to_owned()))?;
            let role = Role::from_str(role.trim())?;
            for group in groups.split(',').map(str::trim) {
                if group.is_empty() {
                    return Err(RoleMapError::EmptyGroup(role.as_str().to_owned()));
                }
                by_group.entry(group.to_owned()).or_default().insert(role);
            }
        }
        Ok(Self { by_group })
    }

    /// The roles the given groups grant; unknown groups grant nothing.
    pub fn roles_for<'a>(&self, groups: impl IntoIterator<Item = &'a str>) -> RoleSet {
        groups
            .into_iter()
            .filter_map(|group| self.by_group.get(group))
            .flat_map(RoleSet::iter)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_group.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_map_to_roles_and_several_groups_per_role_work() {
        let map = RoleMap::parse(
            "approver=mkt-approvers,brand-leads; legal=legal-team;security_admin=sec-admins;auditor=audit",
        )
        .unwrap_or_default();
        assert_eq!(
            map.roles_for(["brand-leads", "legal-team", "unrelated"]),
            [Role::Approver, Role::Legal].into_iter().collect()
        );
        assert!(map.roles_for(["nobody"]).is_empty());
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let cases = [
            ("approver", "not of the form"),
            ("root=admins", "unknown role `root`"),
            ("legal=a,,b", "empty group"),
        ];
        for (spec, expected) in cases {
            let err = RoleMap::parse(spec).unwrap_err().to_string();
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }
}
