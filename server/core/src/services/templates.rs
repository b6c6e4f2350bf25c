//! Pre-approved templates (standard changes): approvers and legal reviewers propose a template
//! and approve it once, with the quorum of the tier it serves; the proposer does not count.
//! Withdrawing one stops its use at once. What a template lets through is decided in
//! `template_drafts.rs`.

use super::Services;
use crate::actor::Actor;
use crate::domain::{
    Audience, ContentFormat, Role, Slot, SlotName, Template, TemplateBody, TemplateSignoff,
    TemplateState, MAX_TEMPLATE_DAYS,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::TemplatedChange;
use serde::Deserialize;
use serde_json::json;

/// A slot as the proposal form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SlotInput {
    pub name: String,
    /// The values allowed; empty for any.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// A regular expression each value must match whole; empty for none.
    #[serde(default)]
    pub pattern: String,
    pub max_chars: usize,
    #[serde(default)]
    pub no_claims: bool,
}

/// A template as proposed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProposeTemplate {
    pub workflow: String,
    pub name: String,
    pub text: String,
    pub format: String,
    pub audience: String,
    pub slots: Vec<SlotInput>,
    pub rollback_steps: String,
    /// How long it may be used once approved, from today (1 to 366).
    pub valid_days: i64,
}

/// A template with its sign-offs, and the changes drafted under it.
#[derive(Debug, Clone)]
pub struct TemplateDetail {
    pub template: Template,
    pub signoffs: Vec<TemplateSignoff>,
    pub changes: Vec<TemplatedChange>,
    /// The roles its tier needs, with how many approvals of each.
    pub needs: Vec<(Role, u8)>,
    /// The roles the reader may sign it in now, by the rules `sign_template` enforces.
    pub sign_as: Vec<Role>,
    /// Why the reader cannot sign it, when they cannot.
    pub cannot_sign: Option<String>,
    pub may_withdraw: bool,
}

fn check_name(raw: &str) -> CoreResult<String> {
    let name = raw.trim();
    if name.chars().count() < 3 || name.chars().count() > 100 || name.chars().any(char::is_control)
    {
        return Err(CoreError::invalid(
            "name",
            "3 to 100 characters on one line",
        ));
    }
    Ok(name.to_owned())
}

impl Services {
    /// Proposes a template for a workflow's drafts; it waits for its tier's quorum.
    #[tracing::instrument(skip_all)]
    pub async fn propose_template(
        &self,
        actor: &Actor,
        input: ProposeTemplate,
    ) -> CoreResult<Template> {
        let Actor::Human { id: proposer, .. } = actor else {
            return Err(self.refuse_identity(actor, Action::ProposeTemplate));
        };
        self.authorize(actor, Action::ProposeTemplate, &Resource::Console)?;
        let name = check_name(&input.name)?;
        let workflow_id: crate::domain::WorkflowId = input
            .workflow
            .parse()
            .map_err(|_| CoreError::invalid("workflow", "not a workflow id"))?;
        let workflow = self
            .store
            .workflow(workflow_id)
            .await?
            .ok_or_else(|| CoreError::invalid("workflow", "no such workflow"))?;
        if workflow.state == crate::domain::WorkflowState::Revoked {
            return Err(CoreError::invalid(
                "workflow",
                format!("“{}” was revoked: nothing is drafted in it", workflow.name),
            ));
        }
        if workflow.tier.number() == 3 {
            return Err(CoreError::invalid(
                "workflow",
                format!(
                    "“{}” is tier 3: its changes always go to people, and no template serves it",
                    workflow.name
                ),
            ));
        }
        let target = workflow
            .steps
            .iter()
            .filter(|s| s.kind == crate::domain::StepKind::Publish)
            .find_map(|s| s.grant.system)
            .ok_or_else(|| {
                CoreError::invalid(
                    "workflow",
                    format!(
                        "“{}” publishes nowhere: a template has nothing to serve",
                        workflow.name
                    ),
                )
            })?;
        let mut slots = Vec::with_capacity(input.slots.len());
        for (i, slot) in input.slots.iter().enumerate() {
            slots.push(Slot {
                name: SlotName::parse(slot.name.trim())
                    .map_err(|p| CoreError::invalid(format!("slots[{i}].name"), p))?,
                allowed: slot
                    .allowed
                    .iter()
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect(),
                pattern: Some(slot.pattern.trim().to_owned()).filter(|p| !p.is_empty()),
                max_chars: slot.max_chars,
                no_claims: slot.no_claims,
            });
        }
        let body = TemplateBody {
            text: input.text.replace("\r\n", "\n"),
            format: ContentFormat::parse(&input.format)
                .map_err(|e| CoreError::invalid("format", e.to_string()))?,
            audience: Audience::parse(&input.audience)
                .map_err(|e| CoreError::invalid("audience", e.to_string()))?,
            slots,
            rollback_steps: input.rollback_steps.trim().to_owned(),
        }
        .check()
        .map_err(|p| CoreError::invalid(p.field, p.problem))?;
        // The fixed text must itself pass the target's allow-list: a template cannot carry
        // what a draft could not.
        let hosts = self.hosts_of(target).await?;
        crate::domain::Content::new(&body.text, body.format.as_str(), &hosts).map_err(|p| {
            CoreError::invalid("text", format!("the target system would refuse it: {p}"))
        })?;
        if !(1..=MAX_TEMPLATE_DAYS).contains(&input.valid_days) {
            return Err(CoreError::invalid(
                "valid_days",
                format!("1 to {MAX_TEMPLATE_DAYS} days"),
            ));
        }
        let now = self.clock.now();
        let template = Template {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            workflow: workflow.id,
            tier: workflow.tier.number(),
            hash: body.hash(),
            body,
            state: TemplateState::Proposed,
            proposed_by: *proposer,
            proposed_by_name: actor.label(),
            proposed_at: now,
            expires_at: now + chrono::Duration::days(input.valid_days),
            approved_at: None,
            approved_by: Vec::new(),
            withdrawn_at: None,
            withdrawn_reason: None,
        };
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "template.proposed",
                format!("template:{}", template.id),
                json!({
                    "name": template.name,
                    "workflow": workflow.id.reference(),
                    "tier": template.tier,
                    "template_hash": template.hash,
                    "slots": template.body.slots.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                    "expires_at": template.expires_at.to_rfc3339(),
                }),
            ))
            .await?;
        tx.insert_template(&template, seq).await?;
        tx.commit().await?;
        Ok(template)
    }

    /// Approves or rejects a proposed template in one role, for the hash the reviewer read.
    /// The quorum of its tier approves it; one rejection rejects it.
    #[tracing::instrument(skip_all, fields(template = id))]
    pub async fn sign_template(
        &self,
        actor: &Actor,
        id: &str,
        role: &str,
        approve: bool,
        comment: &str,
        template_hash: &str,
    ) -> CoreResult<Template> {
        let Actor::Human { id: signer, .. } = actor else {
            return Err(self.refuse_identity(actor, Action::SignTemplate));
        };
        let role: Role = role
            .parse()
            .map_err(|_| CoreError::invalid("role", "approver or legal"))?;
        let comment = comment.trim();
        if comment.chars().count() > 2_000 {
            return Err(CoreError::invalid("comment", "at most 2,000 characters"));
        }
        if !approve && comment.chars().count() < 3 {
            return Err(CoreError::invalid(
                "comment",
                "say why the template is rejected, in 3 to 2,000 characters",
            ));
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut template = tx
            .template_in_tx(id)
            .await?
            .ok_or(CoreError::NotFound("template"))?;
        let rule = self.template_rule(template.tier);
        if rule.count(role) == 0 {
            return Err(CoreError::Refused(format!(
                "tier {} needs {rule}; a template is signed in one of those roles",
                template.tier
            )));
        }
        let proposed_it = if template.proposed_by == *signer {
            "true"
        } else {
            "false"
        };
        self.policy
            .authorize_with(
                actor,
                Action::SignTemplate,
                &Resource::Console,
                &[("role", role.as_str()), ("proposed_it", proposed_it)],
            )
            .map_err(|denied| {
                if proposed_it == "true" {
                    CoreError::Refused(
                        "you proposed this template: someone else approves it \
                         (the-proposer-does-not-sign-their-own-template)"
                            .to_owned(),
                    )
                } else {
                    CoreError::Denied(denied)
                }
            })?;
        // Whether it can be signed now is told only to someone who may sign it.
        if template.state != TemplateState::Proposed {
            return Err(CoreError::Conflict(format!(
                "the template is {}; only a proposed template is signed",
                template.state.as_str()
            )));
        }
        if template_hash.trim() != template.hash {
            return Err(CoreError::Conflict(format!(
                "you signed {} but the template is {}; read it again",
                template_hash.trim(),
                template.hash
            )));
        }
        if tx
            .workflow_by_id(template.workflow)
            .await?
            .is_none_or(|w| w.state == crate::domain::WorkflowState::Revoked)
        {
            return Err(CoreError::Conflict(
                "its workflow was revoked: nothing will be drafted under it".to_owned(),
            ));
        }
        let now = self.clock.now();
        if now >= template.expires_at {
            return Err(CoreError::Conflict(
                "the template expired before its quorum was met; propose it again".to_owned(),
            ));
        }
        let signoffs = tx.template_signoffs_in_tx(id).await?;
        if signoffs.iter().any(|s| s.signer == *signer) {
            return Err(CoreError::Conflict(
                "you have already signed this template".to_owned(),
            ));
        }
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "template.signed_off",
                format!("template:{id}"),
                json!({
                    "role": role.as_str(),
                    "decision": if approve { "approve" } else { "reject" },
                    "comment": comment,
                    "template_hash": template.hash,
                }),
            ))
            .await?;
        let signoff = TemplateSignoff {
            id: uuid::Uuid::now_v7().to_string(),
            template_id: id.to_owned(),
            body_hash: template.hash.clone(),
            signer: *signer,
            signer_name: actor.label(),
            role,
            approve,
            comment: comment.to_owned(),
            at: now,
            event_seq: seq,
        };
        tx.insert_template_signoff(&signoff).await?;
        let mut all = signoffs;
        all.push(signoff);
        let decided = if !approve {
            Some(TemplateState::Rejected)
        } else {
            rule.required()
                .all(|(role, need)| {
                    all.iter().filter(|s| s.approve && s.role == role).count() >= usize::from(need)
                })
                .then_some(TemplateState::Approved)
        };
        if let Some(state) = decided {
            let approved_by: Vec<String> = all
                .iter()
                .filter(|s| s.approve)
                .map(|s| s.signer_name.clone())
                .collect();
            tx.set_template_decided(id, state, self.now_ms(), &approved_by)
                .await?;
            tx.append_event(&NewEvent::new(
                actor,
                if state == TemplateState::Approved {
                    "template.approved"
                } else {
                    "template.rejected"
                },
                format!("template:{id}"),
                json!({
                    "template_hash": template.hash,
                    "approved_by": approved_by,
                    "expires_at": template.expires_at.to_rfc3339(),
                }),
            ))
            .await?;
            template.state = state;
            template.approved_by = approved_by;
            template.approved_at = (state == TemplateState::Approved).then_some(now);
        }
        tx.commit().await?;
        Ok(template)
    }

    /// Withdraws a template: from this commit on no draft is approved under it, and a
    /// publication queued under it and not yet delivered is refused.
    #[tracing::instrument(skip_all, fields(template = id))]
    pub async fn withdraw_template(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> CoreResult<Template> {
        let Actor::Human { id: by, .. } = actor else {
            return Err(self.refuse_identity(actor, Action::WithdrawTemplate));
        };
        self.authorize(actor, Action::WithdrawTemplate, &Resource::Console)?;
        let reason = crate::domain::Reason::parse(reason)
            .map_err(|_| CoreError::invalid("reason", "say why, in 3 to 500 characters"))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut template = tx
            .template_in_tx(id)
            .await?
            .ok_or(CoreError::NotFound("template"))?;
        if matches!(
            template.state,
            TemplateState::Withdrawn | TemplateState::Rejected
        ) {
            return Err(CoreError::Conflict(format!(
                "the template is already {}",
                template.state.as_str()
            )));
        }
        tx.withdraw_template(id, *by, self.now_ms(), reason.as_str())
            .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "template.withdrawn",
            format!("template:{id}"),
            json!({ "reason": reason.as_str(), "was": template.state.as_str() }),
        ))
        .await?;
        tx.commit().await?;
        template.state = TemplateState::Withdrawn;
        template.withdrawn_at = Some(self.clock.now());
        template.withdrawn_reason = Some(reason.as_str().to_owned());
        Ok(template)
    }

    /// Every template, newest first (reviewers, security admins, auditors).
    pub async fn templates(&self, actor: &Actor) -> CoreResult<Vec<Template>> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        Ok(self.store.templates().await?)
    }

    /// A template with its sign-offs and the changes drafted under it.
    pub async fn template_detail(&self, actor: &Actor, id: &str) -> CoreResult<TemplateDetail> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        let template = self
            .store
            .template(id)
            .await?
            .ok_or(CoreError::NotFound("template"))?;
        let needs: Vec<(Role, u8)> = self.template_rule(template.tier).required().collect();
        let signoffs = self.store.template_signoffs(id).await?;
        let (sign_as, cannot_sign) = self.may_sign_template(actor, &template, &needs, &signoffs);
        let may_withdraw = matches!(
            template.state,
            TemplateState::Proposed | TemplateState::Approved
        ) && self
            .authorize(actor, Action::WithdrawTemplate, &Resource::Console)
            .is_ok();
        Ok(TemplateDetail {
            changes: self.store.changes_under_template(id, 200).await?,
            signoffs,
            needs,
            sign_as,
            cannot_sign,
            may_withdraw,
            template,
        })
    }

    /// The roles `actor` may sign `template` in now, or why none: the same policy decision and
    /// state checks `sign_template` makes where it writes.
    fn may_sign_template(
        &self,
        actor: &Actor,
        template: &Template,
        needs: &[(Role, u8)],
        signoffs: &[TemplateSignoff],
    ) -> (Vec<Role>, Option<String>) {
        let Actor::Human { id: me, .. } = actor else {
            return (Vec::new(), None);
        };
        let proposed_it = if template.proposed_by == *me {
            "true"
        } else {
            "false"
        };
        let sign_as: Vec<Role> = needs
            .iter()
            .map(|(role, _)| *role)
            .filter(|role| {
                self.policy
                    .authorize_with(
                        actor,
                        Action::SignTemplate,
                        &Resource::Console,
                        &[("role", role.as_str()), ("proposed_it", proposed_it)],
                    )
                    .is_ok()
            })
            .collect();
        let why = if template.state != TemplateState::Proposed {
            Some(format!("The template is {}.", template.state.as_str()))
        } else if self.clock.now() >= template.expires_at {
            Some("The template expired before its quorum was met.".to_owned())
        } else if proposed_it == "true" {
            Some("You proposed it: someone else approves it.".to_owned())
        } else if signoffs.iter().any(|s| s.signer == *me) {
            Some("You have signed it.".to_owned())
        } else if sign_as.is_empty() {
            Some("None of your roles is among those its tier needs.".to_owned())
        } else {
            None
        };
        match why {
            Some(why) => (Vec::new(), Some(why)),
            None => (sign_as, None),
        }
    }

    /// Changes policy approved under a template in the last `days` days, for spot checks.
    pub async fn pre_approved_recently(
        &self,
        actor: &Actor,
        days: i64,
    ) -> CoreResult<Vec<TemplatedChange>> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        if !(1..=90).contains(&days) {
            return Err(CoreError::invalid("days", "1 to 90"));
        }
        let since = self.clock.now() - chrono::Duration::days(days);
        Ok(self
            .store
            .pre_approved_since(crate::clock::to_millis(since), 500)
            .await?)
    }

    /// The quorum a template of `tier` needs: the tier's own sign-off rule.
    pub(super) fn template_rule(&self, tier: i64) -> crate::domain::SignoffRule {
        // An unknown tier is held to the strictest rule.
        let tier = crate::domain::Tier::from_number(tier).unwrap_or(crate::domain::Tier::Three);
        self.settings.signoffs.for_tier(tier).clone()
    }
}
