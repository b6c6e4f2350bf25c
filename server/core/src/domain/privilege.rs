//! The effective privilege of each identity: the union, over every workflow that is not revoked,
//! of the grants of the steps it performs, by connected system. What security admins review
//! when they ask "what can this agent actually do?".

use super::{GrantAction, NhiId, Performer, SystemId, Workflow, WorkflowState};
use std::collections::{BTreeMap, BTreeSet};

/// One step an identity performs, with the grant in force and any widening awaiting review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPrivilege {
    pub workflow_id: super::WorkflowId,
    pub workflow: String,
    pub workflow_state: WorkflowState,
    pub step: String,
    pub system: Option<SystemId>,
    pub actions: BTreeSet<GrantAction>,
    pub fields: BTreeSet<String>,
    pub purposes: BTreeSet<String>,
    pub awaiting_review: bool,
}

/// What an identity can do across all workflows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EffectivePrivilege {
    pub steps: Vec<StepPrivilege>,
    /// Per system (None: no system), the union of actions and fields in force in active
    /// workflows: what the identity can use right now.
    pub in_force: BTreeMap<Option<SystemId>, (BTreeSet<GrantAction>, BTreeSet<String>)>,
}

pub fn effective_privileges(workflows: &[Workflow]) -> BTreeMap<NhiId, EffectivePrivilege> {
    let mut by_identity: BTreeMap<NhiId, EffectivePrivilege> = BTreeMap::new();
    for workflow in workflows {
        if workflow.state == WorkflowState::Revoked {
            continue;
        }
        for step in &workflow.steps {
            let Performer::Nhi(id) = step.performer else {
                continue;
            };
            let entry = by_identity.entry(id).or_default();
            entry.steps.push(StepPrivilege {
                workflow_id: workflow.id,
                workflow: workflow.name.clone(),
                workflow_state: workflow.state,
                step: step.name.clone(),
                system: step.grant.system,
                actions: step.grant.actions.clone(),
                fields: step.grant.fields.clone(),
                purposes: step.grant.purposes.clone(),
                awaiting_review: step.pending_grant.is_some(),
            });
            if workflow.state == WorkflowState::Active {
                let (actions, fields) = entry.in_force.entry(step.grant.system).or_default();
                actions.extend(step.grant.actions.iter().copied());
                fields.extend(step.grant.fields.iter().cloned());
            }
        }
    }
    by_identity
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Grant, HumanId, Step, StepKind, Tier, WorkflowId};

    fn workflow(name: &str, state: WorkflowState, steps: Vec<Step>) -> Workflow {
        Workflow {
            id: WorkflowId::new(),
            name: name.to_owned(),
            purpose: "A test workflow purpose.".to_owned(),
            owner: HumanId::new(),
            state,
            tier: Tier::Two,
            steps,
            created_by: HumanId::new(),
            created_at: chrono::Utc::now(),
        }
    }

    fn reads(agent: NhiId, system: SystemId, fields: &[&str]) -> Step {
        Step::new(
            "read",
            StepKind::ReadCustomerData,
            Performer::Nhi(agent),
            None,
            Grant {
                system: Some(system),
                actions: [GrantAction::Read].into_iter().collect(),
                fields: fields.iter().map(|f| (*f).to_owned()).collect(),
                ..Grant::default()
            },
        )
    }

    #[test]
    fn privileges_add_up_across_active_workflows_only() {
        let agent = NhiId::new();
        let crm = SystemId::new();
        let workflows = vec![
            workflow(
                "A",
                WorkflowState::Active,
                vec![reads(agent, crm, &["email"])],
            ),
            workflow(
                "B",
                WorkflowState::Active,
                vec![reads(agent, crm, &["region"])],
            ),
            workflow(
                "C",
                WorkflowState::Draft,
                vec![reads(agent, crm, &["income"])],
            ),
            workflow(
                "D",
                WorkflowState::Revoked,
                vec![reads(agent, crm, &["health"])],
            ),
        ];
        let privileges = effective_privileges(&workflows);
        let mine = &privileges[&agent];
        assert_eq!(mine.steps.len(), 3, "revoked workflows grant nothing");
        let (actions, fields) = &mine.in_force[&Some(crm)];
        assert_eq!(actions, &[GrantAction::Read].into_iter().collect());
        assert_eq!(
            fields,
            &["email".to_owned(), "region".to_owned()]
                .into_iter()
                .collect(),
            "a draft's grant is not in force"
        );
    }
}
