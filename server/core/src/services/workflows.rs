//! Workflows: define a chain of owned steps with least-privilege grants, see its risk tier and
//! governability checklist, and activate it only when the checklist passes.

use super::Services;
use crate::actor::Actor;
use crate::domain::{
    governability_checklist, risk_tier, Check, ChecklistFacts, GrantAction, HumanId, NhiName,
    NhiState, Performer, Purpose, Step, StepKind, SystemFacts, SystemId, Workflow, WorkflowId,
    WorkflowState,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use chrono::Duration;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

pub const MAX_STEPS: usize = 20;
/// Purposes per grant: a grant names what its step is for, not everything.
pub const MAX_PURPOSES: usize = 10;

#[derive(Debug, Clone)]
pub struct DefineWorkflow {
    pub name: String,
    pub purpose: String,
    pub owner: HumanId,
    pub steps: Vec<Step>,
}

fn invalid(field: &'static str, error: impl ToString) -> CoreError {
    CoreError::invalid(field, error.to_string())
}

impl Services {
    pub fn can_manage_workflows(&self, actor: &Actor) -> bool {
        self.policy
            .authorize(actor, Action::ManageWorkflows, &Resource::Console)
            .is_ok()
    }

    /// Checks every step against the registry: performers exist, publish belongs to the
    /// publisher alone, and grants name only fields their system exposes.
    pub(super) async fn check_steps(
        &self,
        steps: &[Step],
    ) -> CoreResult<HashMap<SystemId, SystemFacts>> {
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return Err(CoreError::invalid(
                "steps",
                format!("a workflow has 1 to {MAX_STEPS} steps"),
            ));
        }
        let systems = self.store.systems().await?;
        let mut facts = HashMap::new();
        for (n, step) in steps.iter().enumerate() {
            let label = format!("step {} ({})", n + 1, step.name);
            if step.name.trim().is_empty() || step.name.chars().count() > 80 {
                return Err(CoreError::invalid(
                    "steps",
                    format!("{label}: a name of 1 to 80 characters"),
                ));
            }
            let publishes = step.kind == StepKind::Publish
                || step.grant.actions.contains(&GrantAction::Publish);
            if publishes && step.performer != Performer::Publisher {
                return Err(CoreError::invalid(
                    "steps",
                    format!("{label}: a publish step is always performed by Countersign's publisher, never by an identity or a person"),
                ));
            }
            if step.performer == Performer::Publisher && step.kind != StepKind::Publish {
                return Err(CoreError::invalid(
                    "steps",
                    format!("{label}: Countersign's publisher only performs publish steps"),
                ));
            }
            if step.grant.purposes.len() > MAX_PURPOSES {
                return Err(CoreError::invalid(
                    "steps",
                    format!("{label}: at most {MAX_PURPOSES} purposes"),
                ));
            }
            if let Some(bad) = step
                .grant
                .purposes
                .iter()
                .find(|p| crate::domain::PurposeName::parse(p).is_err())
            {
                return Err(CoreError::invalid(
                    "steps",
                    format!(
                        "{label}: purpose `{}` must be a machine name of a-z, 0-9 and '_' (e.g. spring_offer)",
                        bad.chars().take(60).collect::<String>()
                    ),
                ));
            }
            if let Performer::Nhi(id) = step.performer {
                match self.store.nhi(id).await? {
                    None => {
                        return Err(CoreError::invalid(
                            "steps",
                            format!("{label}: no such identity"),
                        ))
                    }
                    Some(nhi) if nhi.state == NhiState::Revoked => {
                        return Err(CoreError::invalid(
                            "steps",
                            format!("{label}: {} is revoked", nhi.name),
                        ))
                    }
                    Some(_) => {}
                }
            }
            match step.grant.system {
                Some(id) => {
                    let system = systems.iter().find(|s| s.id == id).ok_or_else(|| {
                        CoreError::invalid("steps", format!("{label}: no such connected system"))
                    })?;
                    let exposed: HashMap<String, _> = system
                        .fields
                        .iter()
                        .map(|f| (f.name.clone(), f.category))
                        .collect();
                    let unknown: Vec<&String> = step
                        .grant
                        .fields
                        .iter()
                        .filter(|f| !exposed.contains_key(*f))
                        .collect();
                    if !unknown.is_empty() {
                        return Err(CoreError::invalid(
                            "steps",
                            format!(
                                "{label}: {} does not expose {}",
                                system.name,
                                unknown
                                    .iter()
                                    .map(|f| f.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    facts.insert(id, SystemFacts { fields: exposed });
                }
                None if !step.grant.fields.is_empty() => {
                    return Err(CoreError::invalid(
                        "steps",
                        format!("{label}: fields need a connected system"),
                    ));
                }
                None => {}
            }
        }
        Ok(facts)
    }

    #[tracing::instrument(skip_all)]
    pub async fn define_workflow(
        &self,
        actor: &Actor,
        request: DefineWorkflow,
    ) -> CoreResult<Workflow> {
        self.authorize(actor, Action::ManageWorkflows, &Resource::Console)?;
        let Actor::Human { id: creator, .. } = actor else {
            return Err(CoreError::Unauthenticated);
        };
        let name = NhiName::parse(&request.name).map_err(|e| invalid("name", e))?;
        let purpose = Purpose::parse(&request.purpose).map_err(|e| invalid("purpose", e))?;
        let facts = self.check_steps(&request.steps).await?;
        let (tier, reasons) = risk_tier(&request.steps, &facts);

        let mut tx = self.store.begin_write(self.now_ms()).await?;
        if tx.workflow_name_taken(name.as_str()).await? {
            return Err(CoreError::Conflict(format!(
                "a workflow named \"{}\" already exists",
                name.as_str()
            )));
        }
        match tx.human_by_id(request.owner).await? {
            Some(owner) if owner.is_active() => {}
            Some(owner) => {
                return Err(CoreError::invalid(
                    "owner",
                    format!("{} is deactivated", owner.name),
                ))
            }
            None => return Err(CoreError::invalid("owner", "no such person")),
        }
        let workflow = Workflow {
            id: WorkflowId::new(),
            name: name.as_str().to_owned(),
            purpose: purpose.as_str().to_owned(),
            owner: request.owner,
            state: WorkflowState::Draft,
            tier,
            steps: request.steps,
            created_by: *creator,
            created_at: self.clock.now(),
        };
        tx.insert_workflow(&workflow).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "workflow.defined",
            workflow.id.reference(),
            json!({
                "name": workflow.name,
                "tier": tier.number(),
                "tier_reasons": reasons,
                "steps": workflow.steps.iter().map(|s| json!({
                    "name": s.name,
                    "kind": s.kind.as_str(),
                    "performer": s.performer,
                    "owner": s.owner.map(|o| o.reference()),
                    "grant": s.grant,
                })).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(workflow)
    }

    /// What each identity can do across all workflows.
    pub async fn effective_privileges(
        &self,
        actor: &Actor,
    ) -> CoreResult<
        std::collections::BTreeMap<crate::domain::NhiId, crate::domain::EffectivePrivilege>,
    > {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        Ok(crate::domain::effective_privileges(
            &self.store.workflows().await?,
        ))
    }

    pub async fn list_workflows(&self, actor: &Actor) -> CoreResult<Vec<Workflow>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        Ok(self.store.workflows().await?)
    }

    /// The governability checklist of a workflow, as of now.
    pub async fn workflow_checklist(
        &self,
        actor: &Actor,
        id: WorkflowId,
    ) -> CoreResult<Vec<Check>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let workflow = self
            .store
            .workflow(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        self.checklist_for(&workflow).await
    }

    async fn checklist_for(&self, workflow: &Workflow) -> CoreResult<Vec<Check>> {
        Ok(self.checklist_facts().await?.check(workflow))
    }

    /// Every workflow with its checklist, reading the registry once for all of them.
    pub async fn workflows_with_checklists(
        &self,
        actor: &Actor,
    ) -> CoreResult<Vec<(Workflow, Vec<Check>)>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let facts = self.checklist_facts().await?;
        Ok(self
            .store
            .workflows()
            .await?
            .into_iter()
            .map(|workflow| {
                let checks = facts.check(&workflow);
                (workflow, checks)
            })
            .collect())
    }

    async fn checklist_facts(&self) -> CoreResult<OwnedFacts> {
        self.checklist_facts_for(None).await
    }

    /// The facts the checklists of `workflows` need: only the identities their steps name when
    /// given (a page of a large registry), every identity otherwise.
    pub(super) async fn checklist_facts_for(
        &self,
        workflows: Option<&[Workflow]>,
    ) -> CoreResult<OwnedFacts> {
        let filter = crate::store::NhiFilter {
            ids: workflows.map(|all| {
                let mut ids: Vec<crate::domain::NhiId> = all
                    .iter()
                    .flat_map(|w| &w.steps)
                    .filter_map(|s| match s.performer {
                        crate::domain::Performer::Nhi(id) => Some(id),
                        _ => None,
                    })
                    .collect();
                ids.sort();
                ids.dedup();
                ids
            }),
            ..Default::default()
        };
        Ok(OwnedFacts {
            drill_validity: self.settings.drill_validity,
            nhis: self
                .store
                .nhis(&filter)
                .await?
                .into_iter()
                .map(|n| (n.id, n))
                .collect(),
            active_people: self
                .store
                .humans()
                .await?
                .into_iter()
                .filter(|h| h.is_active())
                .map(|h| h.id)
                .collect(),
            last_passed_drill: self.store.last_passed_drills().await?.into_iter().collect(),
            system_names: self
                .store
                .systems()
                .await?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect(),
            now: self.clock.now(),
        })
    }

    /// `draft` or `needs_review` → `active`, refused with the failing checks unless the
    /// governability checklist passes.
    #[tracing::instrument(skip_all, fields(workflow = %id))]
    pub async fn activate_workflow(&self, actor: &Actor, id: WorkflowId) -> CoreResult<Workflow> {
        self.authorize(actor, Action::ManageWorkflows, &Resource::Console)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut workflow = tx
            .workflow_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        if !matches!(
            workflow.state,
            WorkflowState::Draft | WorkflowState::NeedsReview
        ) {
            return Err(CoreError::Conflict(format!(
                "a workflow that is {} cannot be activated",
                workflow.state.as_str().replace('_', " ")
            )));
        }
        if let Some(step) = workflow.steps.iter().find(|s| s.pending_grant.is_some()) {
            return Err(CoreError::Conflict(format!(
                "{}: a widened grant awaits a security admin's review; approve or reject it first",
                step.name
            )));
        }
        let checks = self.checklist_for(&workflow).await?;
        let missing: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.text.clone())
            .collect();
        if !missing.is_empty() {
            return Err(CoreError::Conflict(format!(
                "the governability checklist does not pass: {}",
                missing.join("; ")
            )));
        }
        tx.set_workflow_state(id, WorkflowState::Active, self.now_ms())
            .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "workflow.activated",
            id.reference(),
            json!({
                "name": workflow.name,
                "tier": workflow.tier.number(),
                "checklist": checks.iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        tx.commit().await?;
        workflow.state = WorkflowState::Active;
        Ok(workflow)
    }
}

/// The registry facts a checklist needs, loaded once.
pub(super) struct OwnedFacts {
    drill_validity: Duration,
    nhis: HashMap<crate::domain::NhiId, crate::domain::Nhi>,
    active_people: BTreeSet<HumanId>,
    last_passed_drill: HashMap<SystemId, chrono::DateTime<chrono::Utc>>,
    system_names: HashMap<SystemId, String>,
    now: chrono::DateTime<chrono::Utc>,
}

impl OwnedFacts {
    pub(super) fn check(&self, workflow: &Workflow) -> Vec<Check> {
        governability_checklist(
            &workflow.steps,
            &ChecklistFacts {
                nhis: &self.nhis,
                active_people: &self.active_people,
                last_passed_drill: &self.last_passed_drill,
                system_names: &self.system_names,
                drill_max_age: self.drill_validity,
                now: self.now,
            },
        )
    }
}
