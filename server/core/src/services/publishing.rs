//! Countersign's publisher: what an approval, a rollback and an agent's callback put in the
//! outbox. Only the console publishes, and only the exact content whose hash was signed off.

use super::Services;
use crate::actor::Actor;
use crate::connector::new_idempotency_key;
use crate::domain::{
    content_hash, rollback_under_way, BaseUrl, ChangeRequest, ChangeStatus, ChangeVersion,
    ConnectedSystem, ContentFormat, Effect, EffectKind, Publication, Reason,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::services::TokenPrincipal;
use crate::store::WriteTx;
use serde_json::json;

/// One place a rollback restores: the change's target, or one variant's.
pub(super) struct RollbackTarget<'a> {
    pub variant: Option<&'a str>,
    pub target_ref: &'a str,
    pub publication: &'a Publication,
}

/// The variant a publish or rollback call is for, as its stored body names it.
pub(super) fn variant_of(effect: &Effect) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&effect.body)
        .ok()?
        .get("variant")?
        .as_str()
        .map(str::to_owned)
}

fn media_type(format: ContentFormat) -> &'static str {
    match format {
        ContentFormat::Text => "text/plain",
        ContentFormat::Markdown => "text/markdown",
        ContentFormat::Html => "text/html",
    }
}

impl Services {
    /// A call to `system` on behalf of `change`, due now.
    fn change_effect(
        &self,
        kind: EffectKind,
        system: &ConnectedSystem,
        change: &ChangeRequest,
        body: &serde_json::Value,
        reason: &str,
        actor: &Actor,
    ) -> Effect {
        let mut effect = Effect::queued(
            kind,
            system.base_url.as_str().to_owned(),
            body,
            reason,
            actor,
            self.clock.now(),
        );
        effect.system = Some(system.id);
        effect.workflow = Some(change.workflow);
        effect.change_id = Some(change.id.clone());
        effect
    }

    /// Queues the publication of an approved change, in the approval's transaction: one call,
    /// or one per variant of a set (each with its own idempotency key and receipt).
    pub(super) async fn queue_publish(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        version: &ChangeVersion,
    ) -> CoreResult<Vec<Effect>> {
        self.authorize(&Actor::System, Action::PublishChange, &Resource::Console)?;
        // The bytes delivered are the bytes whose hash the reviewers signed: recomputed here,
        // never taken from a column.
        let signed = version.hash_of_bytes();
        if signed != change.current_hash || version.version != change.current_version {
            return Err(CoreError::Conflict(
                "the content to publish is not the content that was signed off".to_owned(),
            ));
        }
        let system = tx
            .system_by_id(change.target_system)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let parts: Vec<(Option<&str>, &str, &crate::domain::Content)> = if version.is_set() {
            version
                .variants
                .iter()
                .map(|v| (Some(v.name.as_str()), v.target_ref.as_str(), &v.content))
                .collect()
        } else {
            vec![(None, change.target_ref.as_str(), &version.content)]
        };
        let mut effects = Vec::with_capacity(parts.len());
        for (variant, target, content) in parts {
            let live = tx.live_version_at(change.target_system, target).await?;
            let sha = content_hash(&content.text);
            let mut body = json!({
                "type": "publish",
                "idempotency_key": new_idempotency_key(),
                "change_id": change.id,
                "workflow_id": change.workflow.to_string(),
                "target": { "reference": target },
                "content": {
                    "media_type": media_type(content.format),
                    "body": content.text,
                    "sha256": sha.trim_start_matches("sha256:"),
                },
                "previous_version": live,
                "dry_run": false,
            });
            let mut detail = json!({
                "system": system.id.reference(),
                "target": target,
                "content_hash": signed,
                "previous_version": live,
            });
            if let Some(name) = variant {
                body["variant"] = json!(name);
                body["set_sha256"] = json!(signed.trim_start_matches("sha256:"));
                detail["variant"] = json!(name);
                detail["variant_content_hash"] = json!(sha);
            }
            let effect = self.change_effect(
                EffectKind::Publish,
                &system,
                change,
                &body,
                "approved at the gate",
                &Actor::System,
            );
            tx.insert_effect(&effect).await?;
            detail["effect"] = json!(effect.id);
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "change.publish_queued",
                format!("change:{}", change.id),
                detail,
            ))
            .await?;
            effects.push(effect);
        }
        Ok(effects)
    }

    /// Rolls back a published change: an approver or a security admin, with a reason.
    #[tracing::instrument(skip_all, fields(change = change_id))]
    pub async fn roll_back_change(
        &self,
        actor: &Actor,
        change_id: &str,
        reason: &str,
    ) -> CoreResult<Effect> {
        if !matches!(actor, Actor::Human { .. }) {
            return Err(self.refuse_identity(actor, Action::RollBackChange));
        }
        let reason = Reason::parse(reason)
            .map_err(|_| CoreError::invalid("reason", "say why, in 3 to 500 characters"))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = tx
            .change_by_id(change_id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        self.authorize_on_change(&mut tx, actor, Action::RollBackChange, &change, None)
            .await?;
        match (change.status, &change.publication) {
            (ChangeStatus::Published, Some(_)) => {}
            (ChangeStatus::RolledBack, _) => {
                return Err(CoreError::Conflict(
                    "the change is already rolled back".to_owned(),
                ))
            }
            (status, _) => {
                return Err(CoreError::Conflict(format!(
                    "the change was never published (it is {}); there is nothing to roll back",
                    status.as_str().replace('_', " ")
                )))
            }
        };
        if rollback_under_way(
            &tx.change_effects_in_tx(change_id, EffectKind::Rollback)
                .await?,
        ) {
            return Err(CoreError::Conflict(
                "a rollback of this change is already under way".to_owned(),
            ));
        }
        let effects = self
            .queue_rollback(&mut tx, &change, reason.as_str(), actor)
            .await?;
        tx.commit().await?;
        self.wake_outbox();
        effects
            .into_iter()
            .next()
            .ok_or_else(|| CoreError::Conflict("nothing of the change is live".to_owned()))
    }

    /// Queues the calls that restore what was live before the change: one, or one for each
    /// published variant of a set not yet rolled back (a set is rolled back together).
    pub(super) async fn queue_rollback(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        reason: &str,
        actor: &Actor,
    ) -> CoreResult<Vec<Effect>> {
        let variants = tx
            .variant_deliveries(&change.id, change.current_version)
            .await?;
        let mut effects = Vec::new();
        if variants.is_empty() {
            if let Some(publication) = &change.publication {
                let target = RollbackTarget {
                    variant: None,
                    target_ref: &change.target_ref,
                    publication,
                };
                effects.push(
                    self.queue_target_rollback(tx, change, &target, reason, actor)
                        .await?,
                );
            }
            return Ok(effects);
        }
        for variant in &variants {
            let (Some(publication), false) = (&variant.publication, variant.rolled_back) else {
                continue;
            };
            let target = RollbackTarget {
                variant: Some(&variant.name),
                target_ref: &variant.target_ref,
                publication,
            };
            effects.push(
                self.queue_target_rollback(tx, change, &target, reason, actor)
                    .await?,
            );
        }
        Ok(effects)
    }

    /// Queues the call that restores what was live at one target before `publication`.
    pub(super) async fn queue_target_rollback(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        target: &RollbackTarget<'_>,
        reason: &str,
        actor: &Actor,
    ) -> CoreResult<Effect> {
        let system = tx
            .system_by_id(change.target_system)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let publication = target.publication;
        let mut body = json!({
            "type": "rollback",
            "idempotency_key": new_idempotency_key(),
            "change_id": change.id,
            "target": { "reference": target.target_ref },
            "published_version": publication.version,
            "restore_version": publication.replaced,
            "reason": reason,
            "dry_run": false,
        });
        let mut detail = json!({
            "reason": reason,
            "published_version": publication.version,
            "restore_version": publication.replaced,
        });
        if let Some(name) = target.variant {
            body["variant"] = json!(name);
            detail["variant"] = json!(name);
            detail["target"] = json!(target.target_ref);
        }
        let effect =
            self.change_effect(EffectKind::Rollback, &system, change, &body, reason, actor);
        tx.insert_effect(&effect).await?;
        detail["effect"] = json!(effect.id);
        tx.append_event(&NewEvent::new(
            actor,
            "change.rollback_requested",
            format!("change:{}", change.id),
            detail,
        ))
        .await?;
        Ok(effect)
    }

    /// Tells the drafting agent how its change ended, if it registered a callback.
    pub(super) async fn queue_callback(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        status: ChangeStatus,
    ) -> CoreResult<()> {
        let Some(url) = &change.callback_url else {
            return Ok(());
        };
        let key = new_idempotency_key();
        let body = json!({
            "type": "change.status",
            "idempotency_key": key,
            "change_id": change.id,
            "status": status.as_str(),
            "at": self.clock.now().to_rfc3339(),
        });
        let mut effect = Effect::queued(
            EffectKind::Callback,
            url.clone(),
            &body,
            status.as_str(),
            &Actor::System,
            self.clock.now(),
        );
        effect.workflow = Some(change.workflow);
        effect.change_id = Some(change.id.clone());
        tx.insert_effect(&effect).await?;
        Ok(())
    }

    /// The drafting agent asks to be told how its change ends. Returns the `whsec_` secret the
    /// calls are signed with, shown this once.
    #[tracing::instrument(skip_all, fields(change = change_id))]
    pub async fn register_callback(
        &self,
        principal: &TokenPrincipal,
        change_id: &str,
        url: &str,
    ) -> CoreResult<String> {
        let url = BaseUrl::parse(url).map_err(|e| {
            CoreError::invalid(
                "callback_url",
                e.to_string().replace("base URL", "callback URL"),
            )
        })?;
        let key = self.secret_key()?.clone();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = tx
            .change_by_id(change_id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        if change.nhi != principal.nhi.id {
            return Err(CoreError::NotFound("change"));
        }
        // Where the outcome goes is part of what was reviewed: fixed once the change is approved.
        self.authorize_on_change(
            &mut tx,
            &principal.actor,
            Action::RegisterCallback,
            &change,
            None,
        )
        .await?;
        let secret = crate::secrets::new_signing_secret();
        let sealed = key.seal(&secret, &format!("change:{change_id}"));
        tx.set_change_callback(change_id, url.as_str(), &sealed)
            .await?;
        tx.append_event(&NewEvent::new(
            &principal.actor,
            "change.callback_registered",
            format!("change:{change_id}"),
            json!({ "url": url.as_str() }),
        ))
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Whether this person may roll the change back now (for the page), given its effects.
    pub async fn can_roll_back(
        &self,
        actor: &Actor,
        change: &ChangeRequest,
        effects: &[Effect],
    ) -> bool {
        !rollback_under_way(effects)
            && self
                .may_act_on_change(actor, Action::RollBackChange, change)
                .await
    }

    /// Every delivery made for a change (publish, rollbacks, callbacks), oldest first.
    pub async fn change_effects(&self, actor: &Actor, change_id: &str) -> CoreResult<Vec<Effect>> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        Ok(self.store.effects_of_change(change_id).await?)
    }
}
