//! Scope drift: changing a step's grant. Narrowing takes effect at once. Widening that raises the
//! workflow's tier sends a live workflow to `needs_review`: the widened part stays inactive until
//! a security admin approves it, and the ledger records the grant before and after.

use super::freshness::Sensitive;
use super::Services;
use crate::actor::Actor;
use crate::domain::{
    risk_tier, widening, Grant, StepId, Tier, Workflow, WorkflowId, WorkflowState,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use serde_json::json;

/// What a grant change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantOutcome {
    /// The new grant is in force.
    Applied,
    /// The new grant widens a live workflow's tier: only what both grants allow is in force and
    /// the workflow awaits a security admin's review.
    AwaitingReview,
}

impl Services {
    /// Replaces the grant of one step.
    #[tracing::instrument(skip_all, fields(workflow = %workflow_id, step = %step_id))]
    pub async fn change_step_grant(
        &self,
        actor: &Actor,
        workflow_id: WorkflowId,
        step_id: StepId,
        grant: Grant,
    ) -> CoreResult<(Workflow, GrantOutcome)> {
        self.authorize(actor, Action::ManageWorkflows, &Resource::Console)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut workflow = tx
            .workflow_by_id(workflow_id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        if workflow.state == WorkflowState::Revoked {
            return Err(CoreError::Conflict(
                "a revoked workflow cannot change; clone it into a new draft".to_owned(),
            ));
        }
        let index = workflow
            .steps
            .iter()
            .position(|s| s.id == step_id)
            .ok_or(CoreError::NotFound("step"))?;
        let mut proposed = workflow.steps.clone();
        proposed[index].grant = grant.clone();
        proposed[index].pending_grant = None;
        let facts = self.check_steps(&proposed).await?;

        let step = &workflow.steps[index];
        let before = step.grant.clone();
        let pending_before = step.pending_grant.clone();
        if before == grant && pending_before.is_none() {
            return Err(CoreError::invalid(
                "grant",
                format!("{}: the grant is unchanged", step.name),
            ));
        }
        let widened = widening(&before, &grant);
        let (tier_after, reasons) = risk_tier(&proposed, &facts);
        let live = workflow.state != WorkflowState::Draft;
        let needs_review = live && !widened.is_empty() && tier_after > workflow.tier;

        let (active, pending, outcome) = if needs_review {
            (
                before.intersection(&grant),
                Some(grant.clone()),
                GrantOutcome::AwaitingReview,
            )
        } else {
            (grant.clone(), None, GrantOutcome::Applied)
        };
        let mut effective = workflow.steps.clone();
        effective[index].grant = active.clone();
        effective[index].pending_grant = pending.clone();
        let (tier_in_force, _) = risk_tier(&effective, &facts);

        tx.set_step_grants(step_id, &active, pending.as_ref())
            .await?;
        let requester = match actor {
            Actor::Human { id, .. } if pending.is_some() => Some(*id),
            _ => None,
        };
        tx.set_widening_requester(step_id, requester).await?;
        if tier_in_force != workflow.tier {
            tx.set_workflow_tier(workflow_id, tier_in_force).await?;
        }
        let state_before = workflow.state;
        if needs_review && workflow.state != WorkflowState::NeedsReview {
            tx.set_workflow_state(workflow_id, WorkflowState::NeedsReview, self.now_ms())
                .await?;
            workflow.state = WorkflowState::NeedsReview;
        }
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                if needs_review {
                    "workflow.scope_drift"
                } else {
                    "workflow.grant_changed"
                },
                workflow_id.reference(),
                json!({
                    "step": step_id.reference(),
                    "step_name": step.name,
                    "grant_before": before,
                    "grant_after": grant,
                    "grant_in_force": active,
                    "awaiting_review": pending,
                    "widened": widened,
                    "tier_before": workflow.tier.number(),
                    "tier_requested": tier_after.number(),
                    "tier_reasons": reasons,
                    "state_before": state_before.as_str(),
                    "state_after": workflow.state.as_str(),
                }),
            ))
            .await?;
        if needs_review {
            self.notify_widening(
                &mut tx,
                workflow_id,
                &workflow.name,
                &step.name,
                requester,
                seq,
            )
            .await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        workflow.steps = effective;
        workflow.tier = tier_in_force;
        Ok((workflow, outcome))
    }

    /// A security admin's decision on every widening awaiting review in a workflow: approving
    /// puts the widened grants in force (the workflow then still needs activation, which runs the
    /// governability checklist); rejecting discards them.
    #[tracing::instrument(skip_all, fields(workflow = %id, approve))]
    pub async fn review_widening(
        &self,
        actor: &Actor,
        id: WorkflowId,
        approve: bool,
        reason: &str,
    ) -> CoreResult<Workflow> {
        self.authorize(actor, Action::ApproveScopeDrift, &Resource::Console)?;
        self.require_recent_sign_in(actor, Sensitive::WideningReview)?;
        let reason = crate::domain::Reason::parse(reason)
            .map_err(|e| CoreError::invalid("reason", e.to_string()))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut workflow = tx
            .workflow_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        let pending: Vec<usize> = workflow
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.pending_grant.is_some())
            .map(|(i, _)| i)
            .collect();
        if pending.is_empty() {
            return Err(CoreError::Conflict(format!(
                "\"{}\" has no widened grant awaiting review",
                workflow.name
            )));
        }
        if approve {
            // Nobody approves a widening they asked for: a second security admin must.
            let widened_by = tx.widening_requesters(id).await?;
            let resource = Resource::Workflow {
                id,
                owner: workflow.owner,
                state: workflow.state,
                widened_by,
            };
            if let Err(denied) = self
                .policy
                .authorize(actor, Action::ApproveScopeDrift, &resource)
            {
                return Err(
                    if denied
                        .policies
                        .iter()
                        .any(|p| p == "widenings-need-a-second-security-admin")
                    {
                        CoreError::Refused(
                            "you asked for this widening; a second security admin must approve \
                             it (widenings-need-a-second-security-admin)"
                                .to_owned(),
                        )
                    } else {
                        CoreError::Denied(denied)
                    },
                );
            }
        }
        let tier_before: Tier = workflow.tier;
        let mut changes = Vec::new();
        for index in pending {
            let step = &mut workflow.steps[index];
            let Some(requested) = step.pending_grant.take() else {
                continue;
            };
            if approve {
                changes.push(json!({
                    "step": step.id.reference(),
                    "step_name": step.name,
                    "grant_before": step.grant,
                    "grant_after": requested,
                }));
                step.grant = requested;
            } else {
                changes.push(json!({
                    "step": step.id.reference(),
                    "step_name": step.name,
                    "grant_kept": step.grant,
                    "grant_rejected": requested,
                }));
            }
            tx.set_step_grants(step.id, &step.grant, None).await?;
            tx.set_widening_requester(step.id, None).await?;
        }
        let facts = self.check_steps(&workflow.steps).await?;
        let (tier, reasons) = risk_tier(&workflow.steps, &facts);
        if tier != tier_before {
            tx.set_workflow_tier(id, tier).await?;
            workflow.tier = tier;
        }
        tx.append_event(&NewEvent::new(
            actor,
            if approve {
                "workflow.widening_approved"
            } else {
                "workflow.widening_rejected"
            },
            id.reference(),
            json!({
                "reason": reason.as_str(),
                "steps": changes,
                "tier_before": tier_before.number(),
                "tier_after": tier.number(),
                "tier_reasons": reasons,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(workflow)
    }
}
