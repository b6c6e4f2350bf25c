//! The kill switch. In one transaction a workflow is revoked, every credential issued for it
//! ends, its identities are suspended (or revoked), its unpublished changes are cancelled, and a
//! revoke call to each connected system it touches is queued; the outbox delivers those and the
//! revocation stays incomplete until every system has confirmed. A revoked workflow is never
//! reactivated; it can be cloned into a new draft.

use super::freshness::Sensitive;
use super::Services;
use crate::actor::Actor;
use crate::connector::new_idempotency_key;
use crate::domain::{
    rollback_under_way, ChangeStatus, Effect, EffectKind, NhiName, NhiState, OutboxState,
    Performer, Reason, Revocation, Step, SystemId, Workflow, WorkflowId, WorkflowState,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use serde_json::json;
use std::collections::BTreeSet;

/// What a person asks of the kill switch.
#[derive(Debug, Clone, Default)]
pub struct RevokeInput {
    pub reason: String,
    /// Revoke the workflow's identities for good instead of suspending them.
    pub revoke_identities: bool,
    /// Also roll back the workflow's live publications.
    pub roll_back_live: bool,
}

/// A revocation and the state of each system's revoke call.
#[derive(Debug, Clone)]
pub struct RevocationView {
    pub revocation: Revocation,
    pub calls: Vec<Effect>,
}

impl RevocationView {
    pub fn confirmed(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| c.state == OutboxState::Delivered)
            .count()
    }

    pub fn is_complete(&self) -> bool {
        self.revocation.completed_at.is_some()
    }
}

/// The changes the kill switch cancels: everything not yet live.
const CANCELLED_ON_REVOKE: [ChangeStatus; 5] = [
    ChangeStatus::PendingReview,
    ChangeStatus::ChangesRequested,
    ChangeStatus::Approved,
    ChangeStatus::Publishing,
    ChangeStatus::PublishFailed,
];

/// The connected systems a workflow's steps touch.
fn systems_of(workflow: &Workflow) -> BTreeSet<SystemId> {
    workflow
        .steps
        .iter()
        .flat_map(|s| {
            [
                s.grant.system,
                s.pending_grant.as_ref().and_then(|g| g.system),
            ]
        })
        .flatten()
        .collect()
}

impl Services {
    pub(super) fn workflow_resource(workflow: &Workflow) -> Resource {
        Resource::Workflow {
            id: workflow.id,
            owner: workflow.owner,
            state: workflow.state,
            widened_by: Vec::new(),
        }
    }

    /// Whether this person may pull the kill switch on this workflow (for the page).
    pub fn can_revoke_workflow(&self, actor: &Actor, workflow: &Workflow) -> bool {
        self.policy
            .authorize(
                actor,
                Action::RevokeWorkflow,
                &Self::workflow_resource(workflow),
            )
            .is_ok()
    }

    #[tracing::instrument(skip_all, fields(workflow = %id))]
    pub async fn revoke_workflow(
        &self,
        actor: &Actor,
        id: WorkflowId,
        input: RevokeInput,
    ) -> CoreResult<RevocationView> {
        let Actor::Human {
            id: person, name, ..
        } = actor
        else {
            return Err(self.refuse_identity(actor, Action::RevokeWorkflow));
        };
        let reason = Reason::parse(&input.reason)
            .map_err(|_| CoreError::invalid("reason", "say why, in 3 to 500 characters"))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let workflow = tx
            .workflow_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        if let Err(refusal) = self.authorize(
            actor,
            Action::RevokeWorkflow,
            &Self::workflow_resource(&workflow),
        ) {
            // Someone who may revoke it hears that it is revoked already; anyone else only that
            // they may not.
            let mut active = workflow.clone();
            active.state = WorkflowState::Active;
            let may_revoke = self
                .authorize(
                    actor,
                    Action::RevokeWorkflow,
                    &Self::workflow_resource(&active),
                )
                .is_ok();
            if !(may_revoke && workflow.state == WorkflowState::Revoked) {
                return Err(refusal);
            }
        }
        if workflow.state == WorkflowState::Revoked {
            return Err(CoreError::Conflict(
                "this workflow is already revoked; see its revocation below, or clone it into a \
                 new draft"
                    .to_owned(),
            ));
        }
        self.require_recent_sign_in(actor, Sensitive::KillSwitch)?;
        let now = self.clock.now();
        let now_ms = self.now_ms();
        let revocation_id = uuid::Uuid::now_v7().to_string();

        tx.set_workflow_state(id, WorkflowState::Revoked, now_ms)
            .await?;
        let tokens_ended = tx.delete_access_tokens_of_workflow(id).await?;

        let identities_to = if input.revoke_identities {
            NhiState::Revoked
        } else {
            NhiState::Suspended
        };
        let mut identities = Vec::new();
        let performers: BTreeSet<_> = workflow
            .steps
            .iter()
            .filter_map(|s| match s.performer {
                Performer::Nhi(nhi) => Some(nhi),
                _ => None,
            })
            .collect();
        for nhi_id in performers {
            let Some(nhi) = tx.nhi_by_id(nhi_id).await? else {
                continue;
            };
            // Only ever a stronger state: a revoked identity is never merely suspended again.
            let stronger = !matches!(
                (nhi.state, identities_to),
                (NhiState::Revoked, _) | (NhiState::Suspended, NhiState::Suspended)
            );
            if stronger {
                let why = format!("workflow {} revoked: {}", workflow.name, reason.as_str());
                tx.set_nhi_state(nhi_id, identities_to, &why, now_ms)
                    .await?;
                identities.push(json!({ "id": nhi_id.reference(), "name": nhi.name }));
            }
        }

        let cancelled = tx.changes_of_workflow(id, &CANCELLED_ON_REVOKE).await?;
        for change in &cancelled {
            tx.set_change_status(&change.id, ChangeStatus::Cancelled, now_ms)
                .await?;
        }
        let withdrawn = tx
            .cancel_pending_effects(id, EffectKind::Publish, now_ms)
            .await?;

        let mut rollbacks = 0_i64;
        if input.roll_back_live {
            for change in tx
                .changes_of_workflow(id, &[ChangeStatus::Published])
                .await?
            {
                if change.publication.is_none() {
                    continue;
                }
                // The kill switch rolls back only what this person may roll back.
                self.authorize_on_change(&mut tx, actor, Action::RollBackChange, &change, None)
                    .await?;
                let effects = tx
                    .change_effects_in_tx(&change.id, EffectKind::Rollback)
                    .await?;
                if !rollback_under_way(&effects) {
                    let why = format!("workflow revoked: {}", reason.as_str());
                    self.queue_rollback(&mut tx, &change, &why, actor).await?;
                    rollbacks += 1;
                }
            }
        }

        let systems = systems_of(&workflow);
        let mut calls = Vec::new();
        for system_id in &systems {
            let Some(system) = tx.system_by_id(*system_id).await? else {
                continue;
            };
            let body = json!({
                "type": "revoke",
                "idempotency_key": new_idempotency_key(),
                "workflow_id": id.to_string(),
                "reason": reason.as_str(),
                "dry_run": false,
            });
            let mut call = Effect::queued(
                EffectKind::Revoke,
                system.base_url.as_str().to_owned(),
                &body,
                reason.as_str(),
                actor,
                now,
            );
            call.system = Some(system.id);
            call.workflow = Some(id);
            call.revocation_id = Some(revocation_id.clone());
            tx.insert_effect(&call).await?;
            calls.push(call);
        }

        let event_seq = tx
            .append_event(&NewEvent::new(
                actor,
                "workflow.revoked",
                id.reference(),
                json!({
                    "revocation": revocation_id,
                    "name": workflow.name,
                    "reason": reason.as_str(),
                    "tokens_ended": tokens_ended,
                    "identities_to": identities_to.as_str(),
                    "identities": identities,
                    "changes_cancelled": cancelled.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
                    "publications_withdrawn": withdrawn,
                    "rollbacks_queued": rollbacks,
                    "revoke_calls": calls.iter().map(|c| json!({
                        "effect": c.id,
                        "system": c.system.map(|s| s.reference()),
                    })).collect::<Vec<_>>(),
                }),
            ))
            .await?;
        let revocation = Revocation {
            id: revocation_id,
            workflow: id,
            reason: reason.as_str().to_owned(),
            requested_by: *person,
            requested_by_name: name.clone(),
            requested_at: now,
            identities_to,
            tokens_ended: i64::try_from(tokens_ended).unwrap_or(i64::MAX),
            identities: i64::try_from(identities.len()).unwrap_or(i64::MAX),
            changes_cancelled: i64::try_from(cancelled.len()).unwrap_or(i64::MAX),
            rollbacks_queued: rollbacks,
            systems: i64::try_from(calls.len()).unwrap_or(i64::MAX),
            // Nothing to confirm: complete at once.
            completed_at: calls.is_empty().then_some(now),
            event_seq,
        };
        tx.insert_revocation(&revocation).await?;
        tx.commit().await?;
        self.wake_outbox();
        Ok(RevocationView { revocation, calls })
    }

    /// A workflow's revocation, with each system's revoke call as it stands.
    pub async fn revocation(
        &self,
        actor: &Actor,
        workflow: WorkflowId,
    ) -> CoreResult<Option<RevocationView>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        Ok(self
            .store
            .revocation_with_calls(workflow)
            .await?
            .map(|(revocation, calls)| RevocationView { revocation, calls }))
    }

    /// A new draft with the steps of `id` (a revoked workflow's way back): fresh step ids, so
    /// no credential of the old workflow fits it; it must pass the checklist to be activated.
    #[tracing::instrument(skip_all, fields(workflow = %id))]
    pub async fn clone_workflow(
        &self,
        actor: &Actor,
        id: WorkflowId,
        name: &str,
    ) -> CoreResult<Workflow> {
        self.authorize(actor, Action::ManageWorkflows, &Resource::Console)?;
        let Actor::Human { id: creator, .. } = actor else {
            return Err(CoreError::Unauthenticated);
        };
        let name = NhiName::parse(name).map_err(|e| CoreError::invalid("name", e.to_string()))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let source = tx
            .workflow_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        if tx.workflow_name_taken(name.as_str()).await? {
            return Err(CoreError::Conflict(format!(
                "a workflow named \"{}\" already exists",
                name.as_str()
            )));
        }
        let clone = Workflow {
            id: WorkflowId::new(),
            name: name.as_str().to_owned(),
            purpose: source.purpose.clone(),
            owner: source.owner,
            state: WorkflowState::Draft,
            tier: source.tier,
            steps: source
                .steps
                .iter()
                .map(|s| {
                    Step::new(
                        s.name.clone(),
                        s.kind,
                        s.performer,
                        s.owner,
                        // The grant in force: a widening still awaiting review stays behind.
                        s.grant.clone(),
                    )
                })
                .collect(),
            created_by: *creator,
            created_at: self.clock.now(),
        };
        tx.insert_workflow(&clone).await?;
        tx.set_workflow_cloned_from(clone.id, id).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "workflow.cloned",
            clone.id.reference(),
            json!({
                "name": clone.name,
                "from": id.reference(),
                "from_name": source.name,
                "from_state": source.state.as_str(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(clone)
    }
}
