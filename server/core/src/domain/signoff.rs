//! How many sign-offs, from which roles, a change needs at each risk tier. The approval gate
//! applies it; the configuration sets it (`COUNTERSIGN_SIGNOFFS_TIER1` … `_TIER3`).

use super::{Role, Tier};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_SIGNOFFS_PER_ROLE: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignoffError {
    #[error(
        "expected role:count pairs separated by commas, e.g. \"approver:1,legal:1\"; got \"{0}\""
    )]
    Malformed(String),
    #[error("{0}")]
    UnknownRole(String),
    #[error("{0} cannot sign off changes (auditors observe; they do not approve)")]
    NotASigner(Role),
    #[error("{role}: the count must be 1 to {MAX_SIGNOFFS_PER_ROLE}")]
    BadCount { role: Role },
    #[error("{0} appears twice")]
    Duplicate(Role),
    #[error("at least one sign-off is required")]
    Empty,
    #[error("tier {higher} needs fewer {role} sign-offs than tier {lower}: a riskier change never needs less")]
    NotMonotone { lower: i64, higher: i64, role: Role },
}

/// The sign-offs one tier needs: every listed role (AND), each with its count (M of N).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignoffRule(BTreeMap<Role, u8>);

impl SignoffRule {
    pub fn parse(raw: &str) -> Result<Self, SignoffError> {
        let mut rule = BTreeMap::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (role, count) = pair
                .split_once(':')
                .ok_or_else(|| SignoffError::Malformed(pair.chars().take(40).collect()))?;
            let role: Role = role
                .trim()
                .parse()
                .map_err(|e: super::role::UnknownRole| SignoffError::UnknownRole(e.to_string()))?;
            if role == Role::Auditor {
                return Err(SignoffError::NotASigner(role));
            }
            let count: u8 = count
                .trim()
                .parse()
                .map_err(|_| SignoffError::BadCount { role })?;
            if count == 0 || count > MAX_SIGNOFFS_PER_ROLE {
                return Err(SignoffError::BadCount { role });
            }
            if rule.insert(role, count).is_some() {
                return Err(SignoffError::Duplicate(role));
            }
        }
        if rule.is_empty() {
            return Err(SignoffError::Empty);
        }
        Ok(Self(rule))
    }

    pub fn required(&self) -> impl Iterator<Item = (Role, u8)> + '_ {
        self.0.iter().map(|(role, count)| (*role, *count))
    }

    pub fn count(&self, role: Role) -> u8 {
        self.0.get(&role).copied().unwrap_or(0)
    }
}

impl fmt::Display for SignoffRule {
    /// "1 approver + 1 legal reviewer"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .required()
            .map(|(role, n)| {
                let label = role.label().to_lowercase();
                if n == 1 {
                    format!("1 {label}")
                } else {
                    format!("{n} {label}s")
                }
            })
            .collect();
        f.write_str(&parts.join(" + "))
    }
}

/// The rule for each tier. Higher tiers never need fewer sign-offs of any role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignoffPolicy {
    tiers: [SignoffRule; 3],
}

impl SignoffPolicy {
    pub fn new(
        one: SignoffRule,
        two: SignoffRule,
        three: SignoffRule,
    ) -> Result<Self, SignoffError> {
        let tiers = [one, two, three];
        for (lower, higher) in [(0usize, 1usize), (1, 2)] {
            for (role, count) in tiers[lower].required() {
                if tiers[higher].count(role) < count {
                    return Err(SignoffError::NotMonotone {
                        lower: lower as i64 + 1,
                        higher: higher as i64 + 1,
                        role,
                    });
                }
            }
        }
        Ok(Self { tiers })
    }

    pub fn for_tier(&self, tier: Tier) -> &SignoffRule {
        match tier {
            Tier::One => &self.tiers[0],
            Tier::Two => &self.tiers[1],
            Tier::Three => &self.tiers[2],
        }
    }
}

impl Default for SignoffPolicy {
    /// Tier 1: one approver. Tier 2: an approver and a legal reviewer. Tier 3: two approvers and
    /// a legal reviewer.
    fn default() -> Self {
        let rule = |pairs: &[(Role, u8)]| SignoffRule(pairs.iter().copied().collect());
        Self {
            tiers: [
                rule(&[(Role::Approver, 1)]),
                rule(&[(Role::Approver, 1), (Role::Legal, 1)]),
                rule(&[(Role::Approver, 2), (Role::Legal, 1)]),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_or_say_what_is_wrong() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("approver:1", Ok("1 approver")),
            (
                " approver:2 , legal:1 ",
                Ok("2 approvers + 1 legal reviewer"),
            ),
            (
                "security_admin:1,approver:1",
                Ok("1 approver + 1 security admin"),
            ),
            ("", Err("at least one")),
            ("approver", Err("role:count")),
            ("approver:0", Err("count must be 1 to 5")),
            ("approver:6", Err("count must be 1 to 5")),
            ("approver:x", Err("count must be 1 to 5")),
            ("approver:1,approver:2", Err("appears twice")),
            ("auditor:1", Err("cannot sign off")),
            ("ceo:1", Err("unknown role `ceo`")),
        ];
        for (raw, expected) in cases {
            match (SignoffRule::parse(raw), expected) {
                (Ok(rule), Ok(text)) => assert_eq!(rule.to_string(), *text, "{raw}"),
                (Err(error), Err(text)) => {
                    assert!(error.to_string().contains(text), "{raw}: {error}")
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_riskier_tier_never_needs_fewer_signoffs() {
        let rule = |raw: &str| SignoffRule::parse(raw).unwrap();
        assert!(SignoffPolicy::new(
            rule("approver:1"),
            rule("approver:1,legal:1"),
            rule("approver:2,legal:1"),
        )
        .is_ok());
        let error = SignoffPolicy::new(
            rule("approver:1"),
            rule("approver:1,legal:2"),
            rule("approver:2,legal:1"),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("tier 3 needs fewer legal"),
            "{error}"
        );
        let default = SignoffPolicy::default();
        assert_eq!(
            default.for_tier(Tier::Three).to_string(),
            "2 approvers + 1 legal reviewer"
        );
        assert!(SignoffPolicy::new(
            default.for_tier(Tier::One).clone(),
            default.for_tier(Tier::Two).clone(),
            default.for_tier(Tier::Three).clone()
        )
        .is_ok());
    }
}
