//! Revocation drills: a signed dry-run call to a system's revoke path proves that revocation
//! reaches it. The result, receipt or error, and the time taken are stored and audited.

use super::Services;
use crate::actor::Actor;
use crate::connector::new_idempotency_key;
use crate::domain::{Drill, Effect, EffectKind, SystemId};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use serde_json::json;

impl Services {
    /// Runs a drill now and records its outcome. It takes the kill switch's own path — an
    /// outbox row, delivered by the same code as a real revoke, as a dry run — so a passing
    /// drill is evidence that revocation reaches the system. A failing system is not an error
    /// of this command: the failure is the drill's result, recorded like a pass.
    #[tracing::instrument(skip_all, fields(system = %id))]
    pub async fn run_revocation_drill(&self, actor: &Actor, id: SystemId) -> CoreResult<Drill> {
        self.authorize(actor, Action::ManageSystems, &Resource::Console)?;
        if !matches!(actor, Actor::Human { .. }) {
            return Err(CoreError::Unauthenticated);
        }
        if self.connector.is_none() {
            return Err(CoreError::invalid(
                "connector",
                "this console has no connector configured",
            ));
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let system = tx
            .system_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let body = json!({
            "type": "revoke",
            "idempotency_key": new_idempotency_key(),
            "workflow_id": null,
            "reason": "revocation drill",
            "dry_run": true,
        });
        let mut effect = Effect::queued(
            EffectKind::Drill,
            system.base_url.as_str().to_owned(),
            &body,
            "revocation drill",
            actor,
            self.clock.now(),
        );
        effect.system = Some(id);
        tx.insert_effect(&effect).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "system.drill_started",
            id.reference(),
            json!({ "name": system.name, "idempotency_key": effect.id }),
        ))
        .await?;
        tx.commit().await?;
        if let Some(drill) = self.deliver_effect_now(&effect.id).await?.drill {
            return Ok(drill);
        }
        // A delivery worker leased it first (it polls the same outbox): wait for its result.
        let give_up = std::time::Instant::now()
            + self
                .settings
                .delivery_lease
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(30));
        while std::time::Instant::now() < give_up {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let finished = self
                .store
                .effect(&effect.id)
                .await?
                .is_some_and(|e| e.state != crate::domain::OutboxState::Pending);
            if finished {
                if let Some(drill) = self
                    .store
                    .latest_drills()
                    .await?
                    .into_iter()
                    .find(|d| d.system_id == id)
                {
                    return Ok(drill);
                }
            }
        }
        Err(CoreError::Conflict(
            "the drill is still being delivered; its result will appear on the systems page"
                .to_owned(),
        ))
    }

    /// The newest drill of each system.
    pub async fn latest_drills(&self, actor: &Actor) -> CoreResult<Vec<Drill>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        Ok(self.store.latest_drills().await?)
    }
}
