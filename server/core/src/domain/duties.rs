//! Separation of duties: nobody who could have shaped what an agent drafted signs it off. That
//! is more than the identity's owners today: anyone who owned it since the change's first
//! version, the person who registered it, anyone who issued it a client secret since then, and
//! the people who perform or own the workflow's steps other than review.

use super::{HumanId, Nhi, NhiId, Performer, StepKind, Workflow};

/// Something a person did to an identity that separation of duties remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StewardshipKind {
    /// They stopped owning it (owners now are read from the registry).
    OwnerRemoved,
    /// They issued (or rotated) its client secret, so they could act as it.
    SecretIssued,
}

impl StewardshipKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StewardshipKind::OwnerRemoved => "owner_removed",
            StewardshipKind::SecretIssued => "secret_issued",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner_removed" => Some(StewardshipKind::OwnerRemoved),
            "secret_issued" => Some(StewardshipKind::SecretIssued),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stewardship {
    pub nhi: NhiId,
    pub person: HumanId,
    pub kind: StewardshipKind,
    pub at_ms: i64,
}

/// Who may not sign a change, and why (shown on the change page and in a refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    pub person: HumanId,
    pub reason: String,
}

/// What separation of duties looks at for one change.
#[derive(Debug, Clone, Copy, Default)]
pub struct DutyFacts<'a> {
    pub workflow: Option<&'a Workflow>,
    pub drafter: Option<&'a Nhi>,
    /// What people did to the drafting identity since the change's first version.
    pub since_first_version: &'a [Stewardship],
}

/// Everyone kept from signing, each once, with the first reason that applies.
pub fn excluded_signers(facts: &DutyFacts<'_>) -> Vec<Excluded> {
    let mut excluded: Vec<Excluded> = Vec::new();
    let mut exclude = |person: HumanId, reason: String| {
        if !excluded.iter().any(|e| e.person == person) {
            excluded.push(Excluded { person, reason });
        }
    };
    if let Some(nhi) = facts.drafter {
        for owner in &nhi.owners {
            exclude(
                owner.id,
                format!("you own {}, which drafted this change", nhi.name),
            );
        }
        for entry in facts.since_first_version {
            let reason = match entry.kind {
                StewardshipKind::OwnerRemoved => format!(
                    "you owned {} after this change's first version was drafted",
                    nhi.name
                ),
                StewardshipKind::SecretIssued => format!(
                    "you issued a client secret of {} after this change's first version was \
                     drafted",
                    nhi.name
                ),
            };
            exclude(entry.person, reason);
        }
        exclude(
            nhi.created_by,
            format!("you registered {}, which drafted this change", nhi.name),
        );
    }
    if let Some(workflow) = facts.workflow {
        for step in workflow
            .steps
            .iter()
            .filter(|s| s.kind != StepKind::HumanReview)
        {
            if let Performer::Human(person) = step.performer {
                exclude(
                    person,
                    format!("you perform the step \"{}\" of this workflow", step.name),
                );
            }
            if let Some(owner) = step.owner {
                exclude(
                    owner,
                    format!("you own the step \"{}\" of this workflow", step.name),
                );
            }
        }
    }
    excluded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Grant, NhiKind, NhiState, Owner, Step, Tier, WorkflowId, WorkflowState};
    use chrono::Utc;

    fn person() -> HumanId {
        HumanId::new()
    }

    fn workflow(steps: Vec<Step>) -> Workflow {
        Workflow {
            id: WorkflowId::new(),
            name: "w".into(),
            purpose: "p".into(),
            owner: person(),
            state: WorkflowState::Active,
            tier: Tier::Two,
            steps,
            created_by: person(),
            created_at: Utc::now(),
        }
    }

    fn drafter(owner: HumanId, creator: HumanId) -> Nhi {
        Nhi {
            id: NhiId::new(),
            kind: NhiKind::Agent,
            name: "drafter".into(),
            purpose: "p".into(),
            state: NhiState::Active,
            expires_at: Utc::now(),
            model: None,
            created_by: creator,
            created_at: Utc::now(),
            last_used_at: None,
            owners: vec![Owner {
                id: owner,
                name: "Olga".into(),
                email: None,
                active: true,
            }],
        }
    }

    /// Each way of shaping a draft, as a table: who did it, and the reason they are shown.
    #[test]
    fn everyone_who_could_have_shaped_the_draft_is_excluded_with_a_reason() {
        let (owner, creator, former, issuer) = (person(), person(), person(), person());
        let (reader, read_owner, reviewer, review_owner) = (person(), person(), person(), person());
        let step =
            |kind, performer, owner| Step::new("s", kind, performer, owner, Grant::default());
        let flow = workflow(vec![
            step(
                StepKind::ReadCustomerData,
                Performer::Human(reader),
                Some(read_owner),
            ),
            step(
                StepKind::HumanReview,
                Performer::Human(reviewer),
                Some(review_owner),
            ),
            step(StepKind::Publish, Performer::Publisher, None),
        ]);
        let nhi = drafter(owner, creator);
        let history = [
            Stewardship {
                nhi: nhi.id,
                person: former,
                kind: StewardshipKind::OwnerRemoved,
                at_ms: 5,
            },
            Stewardship {
                nhi: nhi.id,
                person: issuer,
                kind: StewardshipKind::SecretIssued,
                at_ms: 6,
            },
        ];
        let excluded = excluded_signers(&DutyFacts {
            workflow: Some(&flow),
            drafter: Some(&nhi),
            since_first_version: &history,
        });
        let reason = |who: HumanId| {
            excluded
                .iter()
                .find(|e| e.person == who)
                .map(|e| e.reason.clone())
        };
        let cases = [
            (owner, Some("you own drafter")),
            (former, Some("you owned drafter after")),
            (issuer, Some("you issued a client secret of drafter")),
            (creator, Some("you registered drafter")),
            (reader, Some("you perform the step")),
            (read_owner, Some("you own the step")),
            (reviewer, None),
            (review_owner, None),
        ];
        for (who, expected) in cases {
            match (reason(who), expected) {
                (Some(got), Some(want)) => assert!(got.starts_with(want), "{got} / {want}"),
                (None, None) => {}
                (got, want) => panic!("expected {want:?}, got {got:?}"),
            }
        }
        assert_eq!(excluded.len(), 6, "each person once");
        assert!(excluded_signers(&DutyFacts::default()).is_empty());
    }
}
