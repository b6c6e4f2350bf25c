//! Delivering the outbox. Effects are queued by the commands that cause them, in the same
//! transaction; here a worker leases due ones, calls the system outside any transaction, and
//! records each attempt's outcome with its ledger event and its consequences (a change
//! published, a revocation confirmed, a drill passed) in one transaction. A crash between the
//! call and the record leaves the lease to run out; the effect is then delivered again with the
//! same idempotency key, which the receiver answers with its original receipt.

use super::standing::Blocked;
use super::Services;
use crate::actor::Actor;
use crate::connector::{check_receipt, Delivery, DeliveryError, Endpoint, Receipt};
use crate::domain::{
    after_attempt, AttemptRecord, ChangeStatus, Drill, DrillId, Effect, EffectKind, HumanId,
    NextStep, OutboxState, Publication,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::WriteTx;
use serde_json::json;
use std::time::{Duration, Instant};

/// The most deliveries of one state the Deliveries page lists (newest first).
pub const DELIVERIES_LISTED: i64 = 200;

/// The ledger marks a publication refused at delivery for want of a standing gate.
pub const GATE_BYPASS_SIGNAL: &str = "possible_gate_bypass";

/// What a delivery's ledger events are about.
fn subject_of(effect: &Effect) -> String {
    effect
        .change_id
        .as_ref()
        .map(|c| format!("change:{c}"))
        .or_else(|| effect.workflow.map(|w| w.reference()))
        .or_else(|| effect.system.map(|s| s.reference()))
        .unwrap_or_else(|| "console".to_owned())
}

/// Effects leased and attempted together by one pass of a worker.
pub const DELIVERY_BATCH: i64 = 32;

/// Who delivers in this process, and how it is woken when a command queues an effect.
#[derive(Debug)]
pub(super) struct OutboxRuntime {
    /// Names this process's leases; a lease held by a process that died runs out.
    pub worker: String,
    pub wake: tokio::sync::Notify,
}

impl Default for OutboxRuntime {
    fn default() -> Self {
        Self {
            worker: format!("worker_{}", uuid::Uuid::now_v7()),
            wake: tokio::sync::Notify::new(),
        }
    }
}

/// What recording one attempt produced that its caller may want.
#[derive(Debug, Default)]
pub(super) struct Recorded {
    pub drill: Option<Drill>,
}

impl Services {
    /// Tells this process's worker that an effect was queued (call after the commit).
    pub fn wake_outbox(&self) {
        self.outbox.wake.notify_one();
    }

    /// Waits until an effect is queued here or `at_most` passes (for the worker loop; effects
    /// queued by other processes and retries falling due are found by the next pass).
    pub async fn wait_for_effects(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.outbox.wake.notified()).await;
    }

    /// One pass of the worker: leases the effects due now and attempts them concurrently.
    /// Returns how many were attempted.
    #[tracing::instrument(skip_all)]
    pub async fn deliver_due_effects(&self) -> CoreResult<usize> {
        let leased = self.lease(None).await?;
        let count = leased.len();
        let mut attempts = tokio::task::JoinSet::new();
        for effect in leased {
            let services = self.clone();
            attempts.spawn(async move { services.attempt(effect).await });
        }
        while let Some(joined) = attempts.join_next().await {
            match joined {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "recording a delivery attempt failed"),
                Err(error) => tracing::error!(%error, "a delivery attempt panicked"),
            }
        }
        Ok(count)
    }

    /// Attempts one effect now if it is due and nobody holds it (a drill the user waits for).
    pub(super) async fn deliver_effect_now(&self, id: &str) -> CoreResult<Recorded> {
        match self.lease(Some(id)).await?.pop() {
            Some(effect) => self.attempt(effect).await,
            None => Ok(Recorded::default()),
        }
    }

    async fn lease(&self, only: Option<&str>) -> CoreResult<Vec<Effect>> {
        let now = self.now_ms();
        let lease_ms = self.settings.delivery_lease.num_milliseconds();
        Ok(self
            .store
            .lease_due_effects(
                &self.outbox.worker,
                now,
                now + lease_ms,
                DELIVERY_BATCH,
                only,
            )
            .await?)
    }

    #[tracing::instrument(skip_all, fields(effect = %effect.id, kind = effect.kind.as_str()))]
    async fn attempt(&self, effect: Effect) -> CoreResult<Recorded> {
        let timer = Instant::now();
        // Checked where delivered: a publish row is sent only if the gate still stands for it.
        let blocked = match effect.kind {
            EffectKind::Publish => self.publish_gate(&effect).await.err(),
            _ => None,
        };
        if effect.kind.is_notification() {
            let outcome = self.send_notification(&effect).await;
            let elapsed_ms = i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX);
            return self
                .record_attempt(&effect, outcome, elapsed_ms, None)
                .await;
        }
        let prepared = match &blocked {
            Some(problem) => Err(format!(
                "refused by the gate at delivery: {}",
                problem.reason
            )),
            None => self.delivery_for(&effect).await,
        };
        let outcome = match prepared {
            Ok(delivery) => match &self.connector {
                Some(connector) => connector.deliver(&delivery).await.and_then(|receipt| {
                    check_receipt(&delivery, effect.kind.is_dry_run(), &receipt).map(|()| receipt)
                }),
                None => Err(DeliveryError::Unreachable(
                    "this console has no connector configured".to_owned(),
                )),
            },
            Err(problem) => Err(DeliveryError::Refused {
                status: 0,
                detail: problem,
            }),
        };
        let elapsed_ms = i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.record_attempt(&effect, outcome, elapsed_ms, blocked.as_ref())
            .await
    }

    /// Sends a queued email or chat message; a 2xx from the channel stands for a receipt.
    async fn send_notification(&self, effect: &Effect) -> Result<Receipt, DeliveryError> {
        let message: crate::notifier::OutgoingMessage = serde_json::from_str(&effect.body)
            .map_err(|_| DeliveryError::Refused {
                status: 0,
                detail: "the stored message is not readable".to_owned(),
            })?;
        let Some(notifier) = &self.notifier else {
            return Err(DeliveryError::Unreachable(
                "this console has no email or chat configured".to_owned(),
            ));
        };
        if !notifier.channels().has(message.channel) {
            return Err(DeliveryError::Refused {
                status: 0,
                detail: format!(
                    "{} is no longer configured on this console",
                    message.channel.as_str()
                ),
            });
        }
        notifier.send(&message).await?;
        Ok(Receipt::acknowledged(&effect.id))
    }

    /// Whether the publication an effect carries still has the gate behind it, as the database
    /// holds it now.
    async fn publish_gate(&self, effect: &Effect) -> Result<(), Blocked> {
        let bad = |why: &str| Blocked::without_gate(why.to_owned());
        let change = effect
            .change_id
            .as_deref()
            .ok_or_else(|| bad("the publication names no change"))?;
        let body: serde_json::Value =
            serde_json::from_str(&effect.body).map_err(|_| bad("the stored call is not JSON"))?;
        let sha = body
            .pointer("/content/sha256")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("the publication carries no content hash"))?;
        let text = body
            .pointer("/content/body")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("the publication carries no content"))?;
        let hash = format!("sha256:{sha}");
        if crate::domain::content_hash(text) != hash {
            return Err(bad(
                "the body is not the bytes its hash names (published-bytes-are-signed-bytes)",
            ));
        }
        let approved_at = crate::clock::to_millis(effect.created_at);
        let Some(variant) = body.get("variant").and_then(serde_json::Value::as_str) else {
            return self.publication_standing(change, &hash, approved_at).await;
        };
        // A variant of a set: the sign-offs name the set's hash, which must cover this variant.
        let set = body
            .get("set_sha256")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("the variant's publication names no set hash"))?;
        let target = body
            .pointer("/target/reference")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        self.variant_in_current_set(change, variant, &hash, target)
            .await?;
        self.publication_standing(change, &format!("sha256:{set}"), approved_at)
            .await
    }

    /// The signed call an effect makes; an error is a problem no retry can fix.
    async fn delivery_for(&self, effect: &Effect) -> Result<Delivery, String> {
        let body: serde_json::Value = serde_json::from_str(&effect.body)
            .map_err(|_| "the stored call is not JSON".to_owned())?;
        let (endpoint, secret) = match effect.kind.endpoint() {
            Some(endpoint) => {
                let system = effect
                    .system
                    .ok_or_else(|| "the effect names no connected system".to_owned())?;
                let secret = self
                    .signing_secret(system)
                    .await
                    .map_err(|e| format!("the system's signing secret cannot be read: {e}"))?
                    .ok_or_else(|| "the connected system no longer exists".to_owned())?;
                (endpoint, secret)
            }
            None => (Endpoint::Callback, self.callback_secret(effect).await?),
        };
        Ok(Delivery {
            base_url: effect.destination.clone(),
            endpoint,
            idempotency_key: effect.id.clone(),
            body,
            secret,
        })
    }

    async fn callback_secret(&self, effect: &Effect) -> Result<String, String> {
        let change = effect
            .change_id
            .as_deref()
            .ok_or_else(|| "the callback names no change".to_owned())?;
        let sealed = self
            .store
            .change_callback_secret(change)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the change has no callback secret".to_owned())?;
        self.secret_key()
            .map_err(|e| e.to_string())?
            .open(&sealed, &format!("change:{change}"))
            .map_err(|e| format!("the callback secret cannot be read: {e}"))
    }

    /// Records an attempt and what follows from it, in one transaction with its events.
    async fn record_attempt(
        &self,
        effect: &Effect,
        outcome: Result<Receipt, DeliveryError>,
        elapsed_ms: i64,
        blocked: Option<&Blocked>,
    ) -> CoreResult<Recorded> {
        let now = self.clock.now();
        let judged = outcome.as_ref().map(|_| ()).map_err(Clone::clone);
        let next = after_attempt(effect.kind, effect.attempts, &judged, now, rand::random());
        let receipt = outcome.as_ref().ok();
        let receipt_json = receipt.and_then(|r| serde_json::to_string(r).ok());
        let error = outcome.as_ref().err().map(ToString::to_string);
        let record = match &next {
            NextStep::Delivered => AttemptRecord {
                state: OutboxState::Delivered,
                next_attempt_at: now,
                last_error: None,
                receipt: receipt_json.clone(),
                finished_at: Some(now),
            },
            NextStep::Retry { at } => AttemptRecord {
                state: OutboxState::Pending,
                next_attempt_at: *at,
                last_error: error.clone(),
                receipt: None,
                finished_at: None,
            },
            NextStep::Dead { reason } => AttemptRecord {
                state: OutboxState::Dead,
                next_attempt_at: now,
                last_error: Some(reason.clone()),
                receipt: None,
                finished_at: Some(now),
            },
        };

        let mut tx = self.store.begin_write(self.now_ms()).await?;
        if !tx
            .finish_attempt(&effect.id, &self.outbox.worker, &record)
            .await?
        {
            // Our lease ran out and another worker took the effect over, or the kill switch
            // withdrew it while the call was under way.
            let current = tx.effect_in_tx(&effect.id).await?;
            let withdrawn = current
                .as_ref()
                .is_some_and(|e| e.state == OutboxState::Cancelled);
            if withdrawn && effect.kind == EffectKind::Publish {
                if let Some(receipt) = receipt {
                    self.compensate_late_publication(&mut tx, effect, receipt)
                        .await?;
                    tx.commit().await?;
                    self.wake_outbox();
                }
            }
            return Ok(Recorded::default());
        }

        let subject = subject_of(effect);
        let action = match &next {
            NextStep::Delivered => "effect.delivered",
            NextStep::Retry { .. } => "effect.retry_scheduled",
            NextStep::Dead { .. } => "effect.dead_lettered",
        };
        tx.append_event(&NewEvent::new(
            &Actor::System,
            action,
            subject,
            json!({
                "effect": effect.id,
                "kind": effect.kind.as_str(),
                "system": effect.system.map(|s| s.reference()),
                "attempt": effect.attempts,
                "duration_ms": elapsed_ms,
                "receipt_id": receipt.map(|r| r.receipt_id.clone()),
                "error": error,
                "next_attempt_at": match &next {
                    NextStep::Retry { at } => Some(at.to_rfc3339()),
                    _ => None,
                },
                "dead_reason": match &next {
                    NextStep::Dead { reason } => Some(reason.clone()),
                    _ => None,
                },
            }),
        ))
        .await?;

        if let Some(blocked) = blocked {
            // A publication without the gate behind it should never have been queued: flagged.
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "change.publish_blocked",
                subject_of(effect),
                json!({
                    "signal": blocked.without_gate.then_some(GATE_BYPASS_SIGNAL),
                    "effect": effect.id,
                    "reason": blocked.reason,
                }),
            ))
            .await?;
        }

        let mut recorded = Recorded::default();
        match effect.kind {
            EffectKind::Publish => self.after_publish(&mut tx, effect, &next, receipt).await?,
            EffectKind::Rollback => self.after_rollback(&mut tx, effect, &next, receipt).await?,
            EffectKind::Revoke => self.after_revoke(&mut tx, effect, &next).await?,
            EffectKind::Drill => {
                recorded.drill = Some(
                    self.after_drill(&mut tx, effect, &next, &record, elapsed_ms)
                        .await?,
                );
            }
            EffectKind::Callback | EffectKind::Email | EffectKind::Chat => {}
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(recorded)
    }

    async fn after_publish(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
        next: &NextStep,
        receipt: Option<&Receipt>,
    ) -> CoreResult<()> {
        let Some(change) = self.change_of(tx, effect).await? else {
            return Ok(());
        };
        let subject = format!("change:{}", change.id);
        let mut detail = None;
        let variant = super::publishing::variant_of(effect);
        let (status, seq) = match (next, receipt) {
            (NextStep::Delivered, Some(receipt)) if variant.is_some() => {
                let name = variant.as_deref().unwrap_or_default();
                match self
                    .record_variant_publication(tx, effect, &change, name, receipt)
                    .await?
                {
                    Some(seq) => (ChangeStatus::Published, seq),
                    None if change.status == ChangeStatus::Approved => {
                        let seq = tx
                            .append_event(&NewEvent::new(
                                &Actor::System,
                                "change.publishing",
                                subject,
                                json!({ "attempt": effect.attempts, "variant": name }),
                            ))
                            .await?;
                        (ChangeStatus::Publishing, seq)
                    }
                    None => return Ok(()),
                }
            }
            (NextStep::Delivered, Some(receipt)) => {
                let publication = self.record_publication(tx, &change.id, receipt).await?;
                let seq = tx
                    .append_event(&NewEvent::new(
                        &Actor::System,
                        "change.published",
                        subject,
                        json!({
                            "system": effect.system.map(|s| s.reference()),
                            "target": change.target_ref,
                            "receipt_id": receipt.receipt_id,
                            "version": publication.version,
                            "replaced_version": publication.replaced,
                            "content_sha256": receipt.content_sha256,
                        }),
                    ))
                    .await?;
                (ChangeStatus::Published, seq)
            }
            (NextStep::Retry { .. }, _) if change.status == ChangeStatus::Approved => {
                let seq = tx
                    .append_event(&NewEvent::new(
                        &Actor::System,
                        "change.publishing",
                        subject,
                        json!({ "attempt": effect.attempts }),
                    ))
                    .await?;
                (ChangeStatus::Publishing, seq)
            }
            (NextStep::Dead { reason }, _) => {
                detail = Some(reason.clone());
                let seq = tx
                    .append_event(&NewEvent::new(
                        &Actor::System,
                        "change.publish_failed",
                        subject,
                        json!({ "reason": reason, "variant": variant }),
                    ))
                    .await?;
                (ChangeStatus::PublishFailed, seq)
            }
            _ => return Ok(()),
        };
        tx.set_change_status(&change.id, status, self.now_ms())
            .await?;
        if status != ChangeStatus::Publishing {
            self.queue_callback(tx, &change, status).await?;
            self.notify_outcome(tx, &change, status, detail.as_deref(), seq)
                .await?;
        }
        Ok(())
    }

    async fn after_rollback(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
        next: &NextStep,
        receipt: Option<&Receipt>,
    ) -> CoreResult<()> {
        let Some(change) = self.change_of(tx, effect).await? else {
            return Ok(());
        };
        let subject = format!("change:{}", change.id);
        let variant = super::publishing::variant_of(effect);
        match (next, receipt) {
            (NextStep::Delivered, Some(receipt)) => {
                if let Some(name) = &variant {
                    if !self
                        .record_variant_rollback(tx, &change, name, receipt)
                        .await?
                    {
                        return Ok(());
                    }
                }
                tx.set_change_status(&change.id, ChangeStatus::RolledBack, self.now_ms())
                    .await?;
                let seq = tx
                    .append_event(&NewEvent::new(
                        &Actor::System,
                        "change.rolled_back",
                        subject,
                        json!({
                            "receipt_id": receipt.receipt_id,
                            "live_version": receipt.version,
                            "reason": effect.reason,
                            "requested_by": effect.requested_by_label,
                        }),
                    ))
                    .await?;
                self.queue_callback(tx, &change, ChangeStatus::RolledBack)
                    .await?;
                self.notify_outcome(
                    tx,
                    &change,
                    ChangeStatus::RolledBack,
                    Some(&effect.reason),
                    seq,
                )
                .await?;
            }
            (NextStep::Dead { reason }, _) => {
                tx.append_event(&NewEvent::new(
                    &Actor::System,
                    "change.rollback_failed",
                    subject,
                    json!({ "reason": reason, "variant": variant }),
                ))
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn after_revoke(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
        next: &NextStep,
    ) -> CoreResult<()> {
        let (Some(revocation_id), Some(workflow)) = (&effect.revocation_id, effect.workflow) else {
            return Ok(());
        };
        if *next != NextStep::Delivered {
            return Ok(());
        }
        let Some(revocation) = tx.revocation_by_id(revocation_id).await? else {
            return Ok(());
        };
        if revocation.completed_at.is_some()
            || tx.unconfirmed_revoke_calls(revocation_id).await? > 0
        {
            return Ok(());
        }
        let now = self.clock.now();
        tx.complete_revocation(revocation_id, crate::clock::to_millis(now))
            .await?;
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "workflow.revocation_complete",
            workflow.reference(),
            json!({
                "revocation": revocation_id,
                "systems": revocation.systems,
                "ms_from_request_to_last_confirmation":
                    (now - revocation.requested_at).num_milliseconds(),
            }),
        ))
        .await?;
        Ok(())
    }

    async fn after_drill(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
        next: &NextStep,
        record: &AttemptRecord,
        elapsed_ms: i64,
    ) -> CoreResult<Drill> {
        let system = effect
            .system
            .ok_or_else(|| CoreError::Conflict("a drill names no system".to_owned()))?;
        let run_by = effect
            .requested_by_ref
            .strip_prefix("human:")
            .and_then(|id| id.parse::<HumanId>().ok())
            .ok_or_else(|| CoreError::Conflict("a drill was not run by a person".to_owned()))?;
        let passed = *next == NextStep::Delivered;
        let drill = Drill {
            id: DrillId::new(),
            system_id: system,
            run_by,
            started_at: effect.created_at,
            duration_ms: elapsed_ms,
            passed,
            receipt: record.receipt.clone(),
            error: record.last_error.clone(),
        };
        tx.insert_drill(&drill).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                &Actor::System,
                if passed {
                    "system.drill_passed"
                } else {
                    "system.drill_failed"
                },
                system.reference(),
                json!({
                    "idempotency_key": effect.id,
                    "duration_ms": elapsed_ms,
                    "error": drill.error,
                }),
            ))
            .await?;
        if !passed {
            self.notify_drill_failed(tx, system, drill.error.as_deref(), seq)
                .await?;
        }
        Ok(drill)
    }

    /// What a publish receipt says is live now, stored with the change.
    async fn record_publication(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change_id: &str,
        receipt: &Receipt,
    ) -> CoreResult<Publication> {
        let publication = self.publication_of(receipt);
        tx.set_change_publication(change_id, &publication).await?;
        Ok(publication)
    }

    pub(super) fn publication_of(&self, receipt: &Receipt) -> Publication {
        Publication {
            version: receipt.version.clone().unwrap_or_default(),
            replaced: receipt.previous_version.clone(),
            at: self.clock.now(),
        }
    }

    async fn change_of(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
    ) -> CoreResult<Option<crate::domain::ChangeRequest>> {
        match &effect.change_id {
            Some(id) => Ok(tx.change_by_id(id).await?),
            None => Ok(None),
        }
    }

    /// A publish call reached the system after the kill switch withdrew it: the content is live
    /// for a revoked workflow, so it is rolled back at once.
    async fn compensate_late_publication(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
        receipt: &Receipt,
    ) -> CoreResult<()> {
        let Some(change) = self.change_of(tx, effect).await? else {
            return Ok(());
        };
        let variant = super::publishing::variant_of(effect);
        let publication = match &variant {
            Some(name) => {
                let publication = self.publication_of(receipt);
                tx.set_variant_publication(&change.id, change.current_version, name, &publication)
                    .await?;
                publication
            }
            None => self.record_publication(tx, &change.id, receipt).await?,
        };
        let target_ref = serde_json::from_str::<serde_json::Value>(&effect.body)
            .ok()
            .and_then(|b| b.pointer("/target/reference")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| change.target_ref.clone());
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "change.published_after_cancellation",
            format!("change:{}", change.id),
            json!({
                "receipt_id": receipt.receipt_id,
                "version": publication.version,
                "variant": variant,
            }),
        ))
        .await?;
        let target = super::publishing::RollbackTarget {
            variant: variant.as_deref(),
            target_ref: &target_ref,
            publication: &publication,
        };
        self.queue_target_rollback(
            tx,
            &change,
            &target,
            "published after its workflow was revoked",
            &Actor::System,
        )
        .await?;
        Ok(())
    }

    /// Puts a dead effect back in the queue (security admins): due now, attempts counted afresh.
    #[tracing::instrument(skip_all, fields(effect = id))]
    pub async fn retry_effect(&self, actor: &Actor, id: &str) -> CoreResult<Effect> {
        self.authorize(actor, Action::ManageDeliveries, &Resource::Console)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let effect = tx
            .effect_in_tx(id)
            .await?
            .ok_or(CoreError::NotFound("delivery"))?;
        if effect.state != OutboxState::Dead {
            return Err(CoreError::Conflict(format!(
                "only dead-lettered deliveries are retried; this one is {}",
                effect.state.as_str()
            )));
        }
        if effect.kind == EffectKind::Drill {
            return Err(CoreError::Conflict(
                "a drill is not retried; run a new drill from the systems page".to_owned(),
            ));
        }
        if let Some(change) = self.change_of(&mut tx, &effect).await? {
            if effect.kind == EffectKind::Publish {
                if change.status != ChangeStatus::PublishFailed {
                    return Err(CoreError::Conflict(format!(
                        "the change is {}; only a failed publication is retried",
                        change.status.as_str().replace('_', " ")
                    )));
                }
                tx.set_change_status(&change.id, ChangeStatus::Publishing, self.now_ms())
                    .await?;
            }
        }
        tx.rearm_effect(id, self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "effect.retried",
            effect
                .change_id
                .as_ref()
                .map(|c| format!("change:{c}"))
                .or_else(|| effect.workflow.map(|w| w.reference()))
                .unwrap_or_else(|| "console".to_owned()),
            json!({
                "effect": effect.id,
                "kind": effect.kind.as_str(),
                "last_error": effect.last_error,
                "attempts_before": effect.attempts,
            }),
        ))
        .await?;
        tx.commit().await?;
        self.wake_outbox();
        self.store
            .effect(id)
            .await?
            .ok_or(CoreError::NotFound("delivery"))
    }

    /// Deliveries a security admin acts on: dead letters, and those still waiting, newest first,
    /// each with the title of the change it acts for. Drills are left out: a failed drill is a
    /// result on the systems page, not a call to retry.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        state: OutboxState,
    ) -> CoreResult<Vec<(Effect, Option<String>)>> {
        self.authorize(actor, Action::ManageDeliveries, &Resource::Console)?;
        let effects: Vec<Effect> = self
            .store
            .effects_in_state(state, DELIVERIES_LISTED)
            .await?
            .into_iter()
            .filter(|e| e.kind != EffectKind::Drill)
            .collect();
        let mut ids: Vec<String> = effects.iter().filter_map(|e| e.change_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let titles: std::collections::HashMap<String, String> =
            self.store.change_titles(&ids).await?.into_iter().collect();
        Ok(effects
            .into_iter()
            .map(|e| {
                let title = e.change_id.as_ref().and_then(|id| titles.get(id).cloned());
                (e, title)
            })
            .collect())
    }

    pub fn can_manage_deliveries(&self, actor: &Actor) -> bool {
        self.policy
            .authorize(actor, Action::ManageDeliveries, &Resource::Console)
            .is_ok()
    }
}
