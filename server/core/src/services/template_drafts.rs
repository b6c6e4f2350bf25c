//! A draft that declares a template: the console fills the template with the agent's values and
//! decides, where the draft is written, whether policy approves it (a usable template, a tier
//! the operator allows, every value within its slot's constraints, no claim in any slot, the
//! content exactly the filled template, its provenance evidence complete) or people review it,
//! with each reason named on the change.

use super::{Services, TokenPrincipal};
use crate::actor::Actor;
use crate::domain::{
    check_evidence, ChangeRequest, ChangeStatus, ChangeVersion, CitedBases, Content, EvidenceFacts,
    Filled, HostAllowList, PreviousVersion, RollbackPlan, RollbackPlanInput, Template, TemplateUse,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::store::WriteTx;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The template a draft declares, and the values it fills in.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct TemplateFill {
    /// The template's id, as the Templates page shows it.
    pub id: String,
    /// A value for each slot, by slot name.
    pub values: BTreeMap<String, String>,
}

/// A declared template, filled, with every reason it cannot approve this draft.
#[derive(Debug, Clone)]
pub(super) struct Declared {
    pub template: Template,
    pub values: BTreeMap<String, String>,
    pub filled: Filled,
    pub problems: Vec<String>,
}

impl Declared {
    pub fn text(&self) -> &str {
        &self.filled.text
    }
}

impl Services {
    /// Reads the declared template and fills it; a template that does not exist or serves
    /// another workflow is refused, anything else only keeps policy from approving.
    pub(super) async fn declared_template(
        &self,
        principal: &TokenPrincipal,
        fill: &TemplateFill,
    ) -> CoreResult<Declared> {
        if fill.values.len() > 2 * crate::domain::template::MAX_SLOTS
            || fill
                .values
                .iter()
                .any(|(k, v)| k.len() > 40 || v.chars().count() > 2_000)
        {
            return Err(CoreError::invalid(
                "template.values",
                "at most 40 values, names of 40 characters and values of 2,000",
            ));
        }
        let template = self
            .store
            .template(fill.id.trim())
            .await?
            .ok_or_else(|| CoreError::invalid("template.id", "no such template"))?;
        if template.workflow != principal.workflow.id {
            return Err(CoreError::invalid(
                "template.id",
                format!(
                    "template “{}” serves another workflow, not “{}”",
                    template.name, principal.workflow.name
                ),
            ));
        }
        let filled = template.body.fill(&fill.values);
        // Whether the template and the workflow's tier allow it is judged in the draft's
        // transaction (`apply_template_in_tx`), on what it sees.
        let problems = filled.broken.clone();
        Ok(Declared {
            template,
            values: fill.values.clone(),
            filled,
            problems,
        })
    }

    /// What keeps a template from approving a draft now, beyond its values.
    fn template_use_problems(&self, template: &Template, workflow_tier: i64) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(why) = template.unusable(self.clock.now()) {
            problems.push(why);
        }
        if workflow_tier == 3 {
            problems.push("tier 3 changes always go to people".to_owned());
        } else if !self.settings.template_tiers.allows(workflow_tier) {
            problems.push(format!(
                "the operator allows pre-approval for {}; this workflow is tier {workflow_tier}",
                self.settings.template_tiers.describe()
            ));
        }
        if template.tier != workflow_tier {
            problems.push(format!(
                "the template was approved for tier {}; the workflow is tier {workflow_tier} now",
                template.tier
            ));
        }
        problems
    }

    /// The checks that need the checked content and evidence: the content is the filled
    /// template, in its format and audience, and the provenance evidence is complete.
    pub(super) fn template_content_problems(
        declared: &Declared,
        content: &Content,
        audience: crate::domain::Audience,
        hosts: &HostAllowList,
        provenance: &crate::domain::Provenance,
        cited: &[CitedBases],
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let body = &declared.template.body;
        let expected = Content::new(declared.text(), body.format.as_str(), hosts)
            .map(|(c, _)| c.hash)
            .ok();
        if content.format != body.format || expected.as_deref() != Some(content.hash.as_str()) {
            problems
                .push("the content is not the template's text filled with these values".to_owned());
        }
        if audience != body.audience {
            problems.push(format!(
                "the template is for {} audiences, the draft is {}",
                body.audience.as_str(),
                audience.as_str()
            ));
        }
        let evidence = check_evidence(&EvidenceFacts {
            provenance,
            cited,
            rollback: None,
            claims: &[],
            claims_reviewed: false,
        });
        for key in ["provenance", "legal_basis"] {
            if let Some(check) = evidence.check(key).filter(|c| !c.passed()) {
                problems.push(format!("{}: {}", check.label, check.problems.join("; ")));
            }
        }
        problems
    }

    /// Inside the draft's transaction: the template as this transaction sees it (a withdrawal
    /// committed since the draft was checked counts), the use recorded, and — when nothing
    /// stands in the way — the change approved by policy and its publication queued.
    /// Returns whether it was pre-approved.
    pub(super) async fn apply_template_in_tx(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &mut ChangeRequest,
        version: &ChangeVersion,
        declared: &Declared,
    ) -> CoreResult<bool> {
        let mut problems = declared.problems.clone();
        // The template and the workflow's tier as this transaction sees them: a withdrawal or a
        // tier change committed since the draft was checked counts.
        let tier = tx
            .workflow_by_id(change.workflow)
            .await?
            .map_or(change.tier, |w| w.tier.number());
        match tx.template_in_tx(&declared.template.id).await? {
            Some(now) => problems.extend(self.template_use_problems(&now, tier)),
            None => problems.push("the template no longer exists".to_owned()),
        }
        let pre_approved = problems.is_empty();
        let now = self.clock.now();
        tx.insert_template_use(&TemplateUse {
            change_id: change.id.clone(),
            template_id: declared.template.id.clone(),
            template_name: declared.template.name.clone(),
            values: declared.values.clone(),
            problems: problems.clone(),
            pre_approved,
            at: now,
        })
        .await?;
        let subject = format!("change:{}", change.id);
        if !pre_approved {
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "change.template_not_applied",
                subject,
                json!({
                    "template": declared.template.id,
                    "template_name": declared.template.name,
                    "values": declared.values,
                    "problems": problems,
                }),
            ))
            .await?;
            return Ok(false);
        }
        // The template's rollback steps are the plan: restore what is live now, or unpublish.
        let live = tx
            .live_version_at(change.target_system, &change.target_ref)
            .await?;
        let plan = RollbackPlanInput {
            steps: declared.template.body.rollback_steps.clone(),
            previous: match live {
                Some(version) => PreviousVersion::Reference(version),
                None => PreviousVersion::FirstPublication,
            },
        };
        let seq = tx
            .append_event(&NewEvent::new(
                &Actor::System,
                "change.rollback_plan",
                subject.clone(),
                json!({
                    "steps": plan.steps,
                    "restores": plan.previous.describe(),
                    "from_template": declared.template.id,
                }),
            ))
            .await?;
        tx.insert_rollback_plan(&RollbackPlan {
            change_id: change.id.clone(),
            revision: 0,
            plan,
            written_by_ref: Actor::System.reference(),
            written_by: format!("the console, from template “{}”", declared.template.name),
            written_at: now,
            event_seq: seq,
        })
        .await?;
        tx.set_change_status(&change.id, ChangeStatus::Approved, self.now_ms())
            .await?;
        let seq = tx
            .append_event(&NewEvent::new(
                &Actor::System,
                "change.pre_approved",
                subject,
                {
                    let mut detail = declared.template.pre_approval(&declared.values);
                    detail["content_hash"] = json!(change.current_hash);
                    detail["version"] = json!(version.version);
                    detail
                },
            ))
            .await?;
        change.status = ChangeStatus::Approved;
        change.has_rollback_plan = true;
        self.queue_publish(tx, change, version).await?;
        self.notify_outcome(
            tx,
            change,
            ChangeStatus::Approved,
            Some(&format!(
                "pre-approved under template “{}”",
                declared.template.name
            )),
            seq,
        )
        .await?;
        Ok(true)
    }
}
