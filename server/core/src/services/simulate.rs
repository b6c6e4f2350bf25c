//! The policy simulator: a security admin picks an identity, a step, an action, fields and a
//! purpose and sees what Cedar would decide and which policies decided it. Nothing is recorded:
//! it is a question about the policy, not a decision.

use super::access::read_context;
use super::Services;
use crate::actor::Actor;
use crate::domain::{NhiId, StepId};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};

/// The actions an identity can be asked about.
pub const SIMULATED_ACTIONS: [Action; 7] = [
    Action::ReadData,
    Action::SubmitDraft,
    Action::RecordConsent,
    Action::ObtainCredential,
    Action::UseCredential,
    Action::ApproveChange,
    Action::PublishChange,
];

#[derive(Debug, Clone)]
pub struct Simulation {
    pub nhi: NhiId,
    pub step: StepId,
    pub action: Action,
    pub purpose: String,
    pub fields: Vec<String>,
}

/// One answer: for a field (read_data), or for the action as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedDecision {
    pub field: Option<String>,
    pub allowed: bool,
    /// The policies that decided it (Cedar's diagnostics); empty when no policy permitted it.
    pub policies: Vec<String>,
}

impl Services {
    pub async fn simulate_policy(
        &self,
        actor: &Actor,
        simulation: Simulation,
    ) -> CoreResult<Vec<SimulatedDecision>> {
        self.authorize(actor, Action::SimulatePolicy, &Resource::Console)?;
        if !SIMULATED_ACTIONS.contains(&simulation.action) {
            return Err(CoreError::invalid(
                "action",
                "choose an action an identity can be asked about",
            ));
        }
        let nhi = self
            .store
            .nhi(simulation.nhi)
            .await?
            .ok_or(CoreError::NotFound("identity"))?;
        let workflow = self
            .store
            .workflow_by_step(simulation.step)
            .await?
            .ok_or(CoreError::NotFound("step"))?;
        let step = workflow
            .steps
            .iter()
            .find(|s| s.id == simulation.step)
            .ok_or(CoreError::NotFound("step"))?;
        let now = self.clock.now();
        let principal = Actor::for_nhi(&nhi, now);
        let resource = Resource::step(&workflow, step);
        let purpose = simulation.purpose.trim().to_owned();
        let answer =
            |field: Option<String>, decision: Result<_, crate::policy::Denied>| match decision {
                Ok(crate::policy::Decision { policies }) => SimulatedDecision {
                    field,
                    allowed: true,
                    policies,
                },
                Err(denied) => SimulatedDecision {
                    field,
                    allowed: false,
                    policies: denied.policies,
                },
            };
        Ok(match simulation.action {
            Action::ReadData => {
                if simulation.fields.is_empty() || simulation.fields.len() > 100 {
                    return Err(CoreError::invalid("fields", "name 1 to 100 fields"));
                }
                let categories = self.step_field_categories(step).await?;
                let contexts: Vec<Vec<(&str, &str)>> = simulation
                    .fields
                    .iter()
                    .map(|field| read_context(&purpose, field, &categories))
                    .collect();
                self.policy
                    .authorize_each(&principal, Action::ReadData, &resource, &contexts)
                    .into_iter()
                    .zip(&simulation.fields)
                    .map(|(decision, field)| answer(Some(field.clone()), decision))
                    .collect()
            }
            Action::SubmitDraft | Action::RecordConsent => vec![answer(
                None,
                self.policy.authorize_with(
                    &principal,
                    simulation.action,
                    &resource,
                    &[("purpose", purpose.as_str())],
                ),
            )],
            action => vec![answer(
                None,
                self.policy.authorize(&principal, action, &resource),
            )],
        })
    }
}
