//! Checked where written: whether a change may still move on, judged from state read inside the
//! transaction that moves it (or, for the delivery worker, read just before the call). A token's
//! principal or a page's snapshot is never enough: the kill switch, a suspension or a narrowed
//! grant committed a moment earlier must stop a draft, a sign-off and a publication alike.

use super::{Services, TokenPrincipal};
use crate::actor::Actor;
use crate::domain::{ChangeRequest, Nhi, NhiState, Quorum, StepId, Workflow, WorkflowState};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};
use crate::store::WriteTx;

/// Why the delivery worker does not publish a change now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Blocked {
    pub reason: String,
    /// The publication never had the gate behind it (no met quorum on these bytes): it should
    /// never have been queued, so it is flagged. Otherwise state moved on since the approval
    /// (a suspended identity, a workflow under review) and it is only refused.
    pub without_gate: bool,
}

impl Blocked {
    fn state(reason: String) -> Self {
        Self {
            reason,
            without_gate: false,
        }
    }

    pub(super) fn without_gate(reason: String) -> Self {
        Self {
            reason,
            without_gate: true,
        }
    }
}

/// The rule a standing check refuses by, with the words that explain it.
fn refused(rule: &str, why: String) -> CoreError {
    CoreError::Refused(format!("{why} ({rule})"))
}

impl Services {
    /// The drafting identity, its workflow and its step as they are now: the workflow active, the
    /// identity usable, and its step's grant still allowing drafts for `purpose`.
    pub(super) fn recheck_drafting(
        &self,
        workflow: Option<&Workflow>,
        drafter: Option<&Nhi>,
        step: StepId,
        purpose: &str,
    ) -> CoreResult<()> {
        let workflow = workflow.ok_or_else(|| {
            refused(
                "workflow-is-active",
                "the workflow no longer exists".to_owned(),
            )
        })?;
        if workflow.state != WorkflowState::Active {
            return Err(refused(
                "workflow-is-active",
                format!(
                    "workflow \"{}\" is {}, not active",
                    workflow.name,
                    workflow.state.as_str().replace('_', " ")
                ),
            ));
        }
        let nhi = drafter.ok_or_else(|| {
            refused(
                "drafting-identity-is-usable",
                "the drafting identity no longer exists".to_owned(),
            )
        })?;
        let now = self.clock.now();
        let unusable = if nhi.state != NhiState::Active {
            Some(format!("{} is {}", nhi.name, nhi.state))
        } else if nhi.is_expired(now) {
            Some(format!("{} has expired", nhi.name))
        } else if nhi.is_orphaned() {
            Some(format!("{} has no active human owner", nhi.name))
        } else {
            None
        };
        if let Some(why) = unusable {
            return Err(refused("drafting-identity-is-usable", why));
        }
        let step = workflow
            .steps
            .iter()
            .find(|s| s.id == step)
            .ok_or_else(|| {
                refused(
                    "grant-still-allows-drafting",
                    format!(
                        "the drafting step is no longer part of \"{}\"",
                        workflow.name
                    ),
                )
            })?;
        self.policy
            .authorize_with(
                &Actor::for_nhi(nhi, now),
                Action::SubmitDraft,
                &Resource::step(workflow, step),
                &[("purpose", purpose)],
            )
            .map_err(|denied| {
                refused(
                    "grant-still-allows-drafting",
                    format!(
                        "the grant of step \"{}\" no longer allows {} to draft for {purpose} \
                         (refused by {})",
                        step.name,
                        nhi.name,
                        if denied.policies.is_empty() {
                            "no permit".to_owned()
                        } else {
                            denied.policies.join(", ")
                        }
                    ),
                )
            })?;
        Ok(())
    }

    /// [`Self::recheck_drafting`] on the state `tx` sees (drafts and new versions).
    pub(super) async fn recheck_drafting_in_tx(
        &self,
        tx: &mut Box<dyn WriteTx>,
        principal: &TokenPrincipal,
        purpose: &str,
    ) -> CoreResult<()> {
        let workflow = tx.workflow_by_id(principal.workflow.id).await?;
        let drafter = tx.nhi_by_id(principal.nhi.id).await?;
        self.recheck_drafting(
            workflow.as_ref(),
            drafter.as_ref(),
            principal.step.id,
            purpose,
        )
    }

    /// A change policy approved under a template is published only while the template stands
    /// (not withdrawn, not expired, its tier still allowed), and only as the template filled
    /// with the recorded values.
    async fn template_standing(
        &self,
        change: &ChangeRequest,
        used: &crate::domain::TemplateUse,
        published_hash: &str,
    ) -> Result<(), Blocked> {
        let template = self
            .store
            .template(&used.template_id)
            .await
            .map_err(|e| Blocked::state(CoreError::from(e).to_string()))?
            .ok_or_else(|| Blocked::without_gate("its template no longer exists".to_owned()))?;
        if let Some(why) = template.unusable(self.clock.now()) {
            return Err(Blocked::state(format!(
                "{why}: changes approved under it are no longer published (template-stands)"
            )));
        }
        if !self.settings.template_tiers.allows(change.tier) {
            return Err(Blocked::state(format!(
                "the operator no longer allows pre-approval for tier {} (template-stands)",
                change.tier
            )));
        }
        let filled = template.body.fill(&used.values);
        let hosts = self
            .hosts_of(change.target_system)
            .await
            .map_err(|e| Blocked::state(e.to_string()))?;
        let expected =
            crate::domain::Content::new(&filled.text, template.body.format.as_str(), &hosts)
                .map(|(c, _)| c.hash)
                .ok();
        if !filled.broken.is_empty() || expected.as_deref() != Some(published_hash) {
            return Err(Blocked::without_gate(format!(
                "{published_hash} is not template “{}” filled within its constraints \
                 (publish-needs-a-met-quorum)",
                template.name
            )));
        }
        Ok(())
    }

    /// A variant's publication carries a variant of the change's current version: its name,
    /// content hash and target as the version holds them.
    pub(super) async fn variant_in_current_set(
        &self,
        change_id: &str,
        name: &str,
        content_hash: &str,
        target_ref: &str,
    ) -> Result<(), Blocked> {
        let change = self
            .store
            .change(change_id)
            .await
            .map_err(|e| Blocked::state(CoreError::from(e).to_string()))?
            .ok_or_else(|| Blocked::without_gate("the change no longer exists".to_owned()))?;
        let variants = self
            .store
            .change_variants(change_id)
            .await
            .map_err(|e| Blocked::state(CoreError::from(e).to_string()))?;
        let found = variants.iter().any(|(version, v)| {
            *version == change.current_version
                && v.name.as_str() == name
                && v.content.hash == content_hash
                && v.target_ref == target_ref
        });
        if found {
            Ok(())
        } else {
            Err(Blocked::without_gate(format!(
                "variant `{name}` with hash {content_hash} for `{target_ref}` is not in the \
                 change's current version (published-bytes-are-signed-bytes)"
            )))
        }
    }

    /// What the delivery worker asks before it publishes a change: the change is the one
    /// approved, its workflow and drafting identity still stand, and the database holds a met
    /// quorum of standing sign-offs, by people not excluded, bound to the hash being published.
    /// `approved_at_ms` is when the publication was queued (sign-offs are judged as of then).
    pub(super) async fn publication_standing(
        &self,
        change_id: &str,
        published_hash: &str,
        approved_at_ms: i64,
    ) -> Result<(), Blocked> {
        let failed = |e: CoreError| Blocked::state(e.to_string());
        let change: ChangeRequest = self
            .store
            .change(change_id)
            .await
            .map_err(|e| failed(e.into()))?
            .ok_or_else(|| Blocked::without_gate("the change no longer exists".to_owned()))?;
        if change.current_hash != published_hash {
            return Err(Blocked::without_gate(format!(
                "the body's hash {published_hash} is not the change's current hash {} \
                 (published-bytes-are-signed-bytes)",
                change.current_hash
            )));
        }
        let (excluded, workflow, drafter) = self.duty_facts(&change).await.map_err(failed)?;
        self.recheck_drafting(
            workflow.as_ref(),
            drafter.as_ref(),
            change.step,
            &change.purpose,
        )
        .map_err(failed)?;
        if let Some(used) = self
            .store
            .template_use(change_id)
            .await
            .map_err(|e| failed(e.into()))?
            .filter(|u| u.pre_approved)
        {
            return self.template_standing(&change, &used, published_hash).await;
        }
        let excluded: Vec<_> = excluded.iter().map(|e| e.person).collect();
        let signoffs: Vec<_> = self
            .store
            .signoffs(change_id)
            .await
            .map_err(|e| failed(e.into()))?
            .into_iter()
            .filter(|s| !excluded.contains(&s.signer))
            .collect();
        let at = crate::clock::from_millis(approved_at_ms);
        let quorum = Quorum::count(
            &self.signoff_rule(&change),
            &signoffs,
            published_hash,
            at,
            self.settings.signoff_lifetime,
        );
        if !quorum.met() {
            let (have, need) = quorum.have_need();
            return Err(Blocked::without_gate(format!(
                "no met quorum of standing sign-offs is bound to {published_hash}: {have} of \
                 {need} (publish-needs-a-met-quorum)"
            )));
        }
        Ok(())
    }
}
