//! Revocation drills: a signed dry-run call to a system's revoke path proves that revocation
//! reaches it. The result, receipt or error, and the time taken are stored and audited.

use super::Services;
use crate::actor::Actor;
use crate::connector::{check_receipt, new_idempotency_key, Delivery, DeliveryError, Endpoint};
use crate::domain::{Drill, DrillId, SystemId};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use serde_json::json;
use std::time::Instant;

impl Services {
    /// Runs a drill now and records its outcome. A failing system is not an error of this
    /// command: the failure is the drill's result, recorded like a pass.
    #[tracing::instrument(skip_all, fields(system = %id))]
    pub async fn run_revocation_drill(&self, actor: &Actor, id: SystemId) -> CoreResult<Drill> {
        self.authorize(actor, Action::ManageSystems, &Resource::Console)?;
        let Actor::Human { id: person, .. } = actor else {
            return Err(CoreError::Unauthenticated);
        };
        let connector = self.connector.clone().ok_or_else(|| {
            CoreError::invalid("connector", "this console has no connector configured")
        })?;
        let system = self
            .store
            .system(id)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let secret = self
            .signing_secret(id)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let idempotency_key = new_idempotency_key();
        let delivery = Delivery {
            base_url: system.base_url.clone(),
            endpoint: Endpoint::Revoke,
            body: json!({
                "type": "revoke",
                "idempotency_key": idempotency_key,
                "workflow_id": null,
                "reason": "revocation drill",
                "dry_run": true,
            }),
            idempotency_key,
            secret,
        };
        let started_at = self.clock.now();
        let timer = Instant::now();
        let outcome = connector
            .deliver(&delivery)
            .await
            .and_then(|receipt| check_receipt(&delivery, true, &receipt).map(|()| receipt));
        let duration_ms = i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX);
        let drill = Drill {
            id: DrillId::new(),
            system_id: id,
            run_by: *person,
            started_at,
            duration_ms,
            passed: outcome.is_ok(),
            receipt: outcome
                .as_ref()
                .ok()
                .and_then(|r| serde_json::to_string(r).ok()),
            error: outcome.as_ref().err().map(DeliveryError::to_string),
        };
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        tx.insert_drill(&drill).await?;
        tx.append_event(&NewEvent::new(
            actor,
            if drill.passed {
                "system.drill_passed"
            } else {
                "system.drill_failed"
            },
            id.reference(),
            json!({
                "name": system.name,
                "idempotency_key": delivery.idempotency_key,
                "duration_ms": drill.duration_ms,
                "receipt_id": outcome.as_ref().ok().map(|r| r.receipt_id.clone()),
                "error": drill.error,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(drill)
    }

    /// The newest drill of each system.
    pub async fn latest_drills(&self, actor: &Actor) -> CoreResult<Vec<Drill>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        Ok(self.store.latest_drills().await?)
    }
}
