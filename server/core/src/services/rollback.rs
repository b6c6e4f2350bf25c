//! Rollback plans: the requester (the identity that drafted the change, through the API) or an
//! approver writes how to undo the change and what to restore. Each edit is a new revision with
//! its ledger event; the newest is the plan in force.

use super::Services;
use crate::actor::Actor;
use crate::domain::{RollbackPlan, RollbackPlanInput};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::Action;
use serde_json::json;

impl Services {
    #[tracing::instrument(skip_all, fields(change = change_id))]
    pub async fn set_rollback_plan(
        &self,
        actor: &Actor,
        change_id: &str,
        steps: &str,
        previous_reference: &str,
        first_publication: bool,
    ) -> CoreResult<RollbackPlan> {
        let input = RollbackPlanInput::parse(steps, previous_reference, first_publication)
            .map_err(|e| {
                let field = match e {
                    crate::domain::RollbackPlanError::Steps => "steps",
                    _ => "previous",
                };
                CoreError::invalid(field, e.to_string())
            })?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = tx
            .change_by_id(change_id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        self.authorize_on_change(&mut tx, actor, Action::EditRollbackPlan, &change, None)
            .await?;
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "change.rollback_plan",
                format!("change:{change_id}"),
                json!({
                    "steps": input.steps,
                    "restores": input.previous.describe(),
                }),
            ))
            .await?;
        let plan = RollbackPlan {
            change_id: change_id.to_owned(),
            revision: 0,
            plan: input,
            written_by_ref: actor.reference(),
            written_by: actor.label(),
            written_at: self.clock.now(),
            event_seq: seq,
        };
        tx.insert_rollback_plan(&plan).await?;
        tx.commit().await?;
        Ok(self.store.rollback_plan(change_id).await?.unwrap_or(plan))
    }
}
