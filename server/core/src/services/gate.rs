//! The approval gate: people sign off a change in a role, bound to the exact content hash they
//! reviewed; the tier's quorum turns approvals into `approved`, a rejection or a request for
//! changes ends the round. Every sign-off is checked by Cedar (role held and needed, separation
//! of duties, change pending), needs complete evidence to approve, and is written with its
//! ledger event in one transaction that serialises against new versions and other sign-offs.

use super::Services;
use crate::actor::Actor;
use crate::domain::{
    check_evidence, excluded_signers, has_standing_signoff, ChangeRequest, ChangeStatus,
    CitedBases, Comment, DutyFacts, Evidence, EvidenceFacts, Excluded, Nhi, Quorum, ReviewView,
    Role, Signoff, SignoffRule, Tier, Verdict, Workflow,
};
use crate::domain::{HumanId, SignoffStanding};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Denied, Resource};
use crate::store::WriteTx;
use serde_json::json;
use std::str::FromStr;

/// A sign-off as the reviewer submits it.
#[derive(Debug, Clone, Default)]
pub struct SignoffInput {
    pub role: String,
    pub verdict: String,
    pub comment: String,
    /// The content hash the reviewer saw; a different current hash refuses the sign-off.
    pub content_hash: String,
}

/// What a sign-off did to the change.
#[derive(Debug, Clone)]
pub struct SignoffOutcome {
    pub signoff: Signoff,
    pub status: ChangeStatus,
    pub quorum: Quorum,
}

/// Who is excluded, given what separation of duties read, with the workflow and the drafter.
fn with_exclusions(
    workflow: Option<Workflow>,
    drafter: Option<Nhi>,
    history: &[crate::domain::Stewardship],
) -> (Vec<Excluded>, Option<Workflow>, Option<Nhi>) {
    let excluded = excluded_signers(&DutyFacts {
        workflow: workflow.as_ref(),
        drafter: drafter.as_ref(),
        since_first_version: history,
    });
    (excluded, workflow, drafter)
}

/// Gate policies that refuse because of the change's state rather than who asks, and the state
/// in which their action applies.
const STATE_RULES: [(&str, ChangeStatus); 4] = [
    (
        "only-changes-awaiting-review-are-signed",
        ChangeStatus::PendingReview,
    ),
    (
        "rollback-plans-change-only-while-the-change-is-open",
        ChangeStatus::PendingReview,
    ),
    (
        "callbacks-are-fixed-before-approval",
        ChangeStatus::PendingReview,
    ),
    (
        "only-published-changes-are-rolled-back",
        ChangeStatus::Published,
    ),
];

impl Services {
    pub fn signoff_rule(&self, change: &ChangeRequest) -> SignoffRule {
        let tier = Tier::from_number(change.tier).unwrap_or(Tier::Three);
        self.settings.signoffs.for_tier(tier).clone()
    }

    /// Who separation of duties keeps from signing a change, with its workflow and drafting
    /// identity, read from the store (pages and the delivery worker).
    pub(super) async fn duty_facts(
        &self,
        change: &ChangeRequest,
    ) -> CoreResult<(Vec<Excluded>, Option<Workflow>, Option<Nhi>)> {
        let workflow = self.store.workflow(change.workflow).await?;
        let drafter = self.store.nhi(change.nhi).await?;
        self.exclusions_given(change, workflow, drafter).await
    }

    /// The same, when the workflow and the drafting identity were read already (the gate page
    /// reads them with the change's detail).
    pub(super) async fn exclusions_given(
        &self,
        change: &ChangeRequest,
        workflow: Option<Workflow>,
        drafter: Option<Nhi>,
    ) -> CoreResult<(Vec<Excluded>, Option<Workflow>, Option<Nhi>)> {
        let history = self
            .store
            .stewardship_since(change.nhi, crate::clock::to_millis(change.created_at))
            .await?;
        Ok(with_exclusions(workflow, drafter, &history))
    }

    /// The same, read inside the transaction that acts on the change.
    pub(super) async fn duty_facts_in_tx(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
    ) -> CoreResult<(Vec<Excluded>, Option<Workflow>, Option<Nhi>)> {
        let workflow = tx.workflow_by_id(change.workflow).await?;
        let drafter = tx.nhi_by_id(change.nhi).await?;
        let history = tx
            .stewardship_since_in_tx(change.nhi, crate::clock::to_millis(change.created_at))
            .await?;
        Ok(with_exclusions(workflow, drafter, &history))
    }

    /// The change as Cedar sees it, and who is kept from signing it (from the store: pages).
    pub(super) async fn change_resource(
        &self,
        change: &ChangeRequest,
    ) -> CoreResult<(Resource, Vec<Excluded>)> {
        let (excluded, _, _) = self.duty_facts(change).await?;
        Ok((self.change_resource_with(change, &excluded), excluded))
    }

    /// The change as Cedar sees it, given who is excluded.
    pub(super) fn change_resource_with(
        &self,
        change: &ChangeRequest,
        excluded: &[Excluded],
    ) -> Resource {
        Resource::Change {
            id: change.id.clone(),
            status: change.status,
            tier: change.tier,
            audience: change.audience,
            drafted_by: change.nhi,
            signer_roles: self
                .signoff_rule(change)
                .required()
                .map(|(r, _)| r)
                .collect(),
            excluded_signers: excluded.iter().map(|e| e.person).collect(),
        }
    }

    /// Asks Cedar whether `actor` may do `action` to the change, judged on who is excluded as
    /// the acting transaction sees it, and turns a refusal into words.
    pub(super) async fn authorize_on_change(
        &self,
        tx: &mut Box<dyn WriteTx>,
        actor: &Actor,
        action: Action,
        change: &ChangeRequest,
        role: Option<Role>,
    ) -> CoreResult<()> {
        let (excluded, _, _) = self.duty_facts_in_tx(tx, change).await?;
        let resource = self.change_resource_with(change, &excluded);
        self.authorize_on(actor, action, change, role, &resource, &excluded)
    }

    /// The same question for a page deciding what to offer (read from the store).
    pub(super) async fn may_act_on_change(
        &self,
        actor: &Actor,
        action: Action,
        change: &ChangeRequest,
    ) -> bool {
        match self.change_resource(change).await {
            Ok((resource, excluded)) => self
                .authorize_on(actor, action, change, None, &resource, &excluded)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// The same question about a change whose Cedar resource is already built (a page asks
    /// several).
    pub(super) fn authorize_on(
        &self,
        actor: &Actor,
        action: Action,
        change: &ChangeRequest,
        role: Option<Role>,
        resource: &Resource,
        excluded: &[Excluded],
    ) -> CoreResult<()> {
        let role_text = role.map(Role::as_str).unwrap_or_default();
        let context: Vec<(&str, &str)> = if action == Action::SignOff {
            vec![("role", role_text)]
        } else {
            Vec::new()
        };
        let Err(denied) = self
            .policy
            .authorize_with(actor, action, resource, &context)
        else {
            return Ok(());
        };
        tracing::info!(actor = %actor.reference(), action = action.as_str(), policies = ?denied.policies, "refused at the gate");
        let state_rule = STATE_RULES
            .iter()
            .find(|(rule, _)| denied.policies.iter().any(|p| p == rule));
        if let Some((_, applies_in)) = state_rule {
            // "Not in this state" is the answer only for someone who may act on the change in
            // the state where the action applies; anyone else is refused for who they are.
            let mut probe = change.clone();
            probe.status = *applies_in;
            let probe_resource = self.change_resource_with(&probe, excluded);
            if let Err(denied) =
                self.policy
                    .authorize_with(actor, action, &probe_resource, &context)
            {
                return Err(
                    self.explain_gate_refusal(actor, action, &probe, role, excluded, denied)
                );
            }
        }
        Err(self.explain_gate_refusal(actor, action, change, role, excluded, denied))
    }

    fn explain_gate_refusal(
        &self,
        actor: &Actor,
        action: Action,
        change: &ChangeRequest,
        role: Option<Role>,
        excluded: &[Excluded],
        denied: Denied,
    ) -> CoreError {
        if matches!(actor, Actor::Anonymous) {
            return CoreError::Unauthenticated;
        }
        let decided = |id: &str| denied.policies.iter().any(|p| p == id);
        if decided("separation-of-duties") {
            let reason = match actor {
                Actor::Human { id, .. } => excluded
                    .iter()
                    .find(|e| e.person == *id)
                    .map(|e| e.reason.clone()),
                _ => None,
            };
            return CoreError::Refused(format!(
                "separation of duties: {}",
                reason.unwrap_or_else(|| "you took part in this change".to_owned())
            ));
        }
        if decided("callbacks-are-fixed-before-approval") {
            return CoreError::Conflict(format!(
                "the change is {}: where its outcome is reported was fixed before approval                  (callbacks-are-fixed-before-approval)",
                change.status.as_str().replace('_', " ")
            ));
        }
        if decided("only-changes-awaiting-review-are-signed")
            || decided("rollback-plans-change-only-while-the-change-is-open")
        {
            return CoreError::Conflict(format!(
                "the change is {}",
                change.status.as_str().replace('_', " ")
            ));
        }
        if decided("only-published-changes-are-rolled-back") {
            return CoreError::Conflict(if change.status == ChangeStatus::RolledBack {
                "the change is already rolled back".to_owned()
            } else {
                format!(
                    "the change was never published (it is {}); there is nothing to roll back",
                    change.status.as_str().replace('_', " ")
                )
            });
        }
        if decided("inactive-people-can-do-nothing") {
            return CoreError::Refused("your account is deactivated".to_owned());
        }
        if decided("identities-never-approve-or-publish") {
            return CoreError::Refused(
                "identities draft; only people sign off and review claims".to_owned(),
            );
        }
        match (action, role, actor) {
            (Action::SignOff, Some(role), Actor::Human { roles, .. }) => {
                let rule = self.signoff_rule(change);
                if rule.count(role) == 0 {
                    CoreError::invalid(
                        "role",
                        format!(
                            "tier {} needs {rule}; a {} sign-off is not one of them",
                            change.tier,
                            role.label().to_lowercase()
                        ),
                    )
                } else if !roles.contains(role) {
                    CoreError::Refused(format!(
                        "you do not hold the {} role",
                        role.label().to_lowercase()
                    ))
                } else {
                    CoreError::Denied(denied)
                }
            }
            (Action::ReviewClaims, _, _) => {
                CoreError::Refused("only legal reviewers mark and review claims".to_owned())
            }
            (Action::EditRollbackPlan, _, _) => CoreError::Refused(
                "only approvers and the identity that drafted the change edit its rollback plan"
                    .to_owned(),
            ),
            _ => CoreError::Denied(denied),
        }
    }

    /// An identity's attempt at a person's gate action.
    pub(super) fn refuse_identity(&self, actor: &Actor, action: Action) -> CoreError {
        match actor {
            Actor::Anonymous => CoreError::Unauthenticated,
            _ => CoreError::Refused(format!(
                "identities draft; only people {} (identities-never-approve-or-publish)",
                match action {
                    Action::ReviewClaims => "review claims",
                    Action::RollBackChange => "roll back changes",
                    Action::RevokeWorkflow => "revoke workflows",
                    _ => "sign off",
                }
            )),
        }
    }

    /// The legal bases each cited decision of this version found.
    pub(super) async fn cited_bases(&self, decisions: &[String]) -> CoreResult<Vec<CitedBases>> {
        let mut cited = Vec::new();
        for id in decisions {
            let row = self.store.access_decision(id).await?;
            let found = row
                .and_then(|r| serde_json::from_str::<super::AccessDecision>(&r.response_json).ok())
                .map(|answer| answer.legal_bases_found());
            cited.push(CitedBases {
                decision: id.clone(),
                found,
            });
        }
        Ok(cited)
    }

    /// The evidence of a change's current version: one check for the page and for approval.
    pub(super) fn evidence_of(
        &self,
        change: &ChangeRequest,
        version: &crate::domain::ChangeVersion,
        cited: &[CitedBases],
        rollback: Option<&crate::domain::RollbackPlan>,
        claims: &[crate::domain::Claim],
    ) -> Evidence {
        check_evidence(&EvidenceFacts {
            provenance: &version.provenance,
            cited,
            rollback,
            claims,
            claims_reviewed: self.claims_reviewed(change),
        })
    }

    /// Approve, reject or request changes, in one role, for the content hash the reviewer saw.
    pub async fn sign_off(
        &self,
        actor: &Actor,
        change_id: &str,
        input: SignoffInput,
    ) -> CoreResult<SignoffOutcome> {
        self.sign_off_for(actor, change_id, input, None).await
    }

    /// The same, standing in for `on_behalf_of`, who is away and named the signer their
    /// delegate in this role: the sign-off records both ("Kim for Dana"). It counts as the
    /// signer's, who is judged by separation of duties in their own right.
    #[tracing::instrument(skip_all, fields(change = change_id))]
    pub async fn sign_off_for(
        &self,
        actor: &Actor,
        change_id: &str,
        input: SignoffInput,
        on_behalf_of: Option<HumanId>,
    ) -> CoreResult<SignoffOutcome> {
        let Actor::Human {
            id: signer, name, ..
        } = actor
        else {
            return Err(self.refuse_identity(actor, Action::SignOff));
        };
        let role = Role::from_str(input.role.trim())
            .map_err(|e| CoreError::invalid("role", e.to_string()))?;
        let verdict = Verdict::parse(input.verdict.trim())
            .map_err(|e| CoreError::invalid("decision", e.to_string()))?;
        let comment = Comment::for_verdict(&input.comment, verdict)
            .map_err(|e| CoreError::invalid("comment", e.to_string()))?;

        // The ledger lock orders this against other sign-offs and new versions of the change.
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = tx
            .change_by_id(change_id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        // Checked where written: the workflow, the drafting identity and who is excluded, as
        // this transaction sees them.
        let (excluded, workflow, drafter) = self.duty_facts_in_tx(&mut tx, &change).await?;
        // Who may sign is asked first: the change's state is no one else's business.
        let resource = self.change_resource_with(&change, &excluded);
        self.authorize_on(
            actor,
            Action::SignOff,
            &change,
            Some(role),
            &resource,
            &excluded,
        )?;
        if change.status != ChangeStatus::PendingReview {
            return Err(CoreError::Conflict(format!(
                "the change is {}; only changes pending review are signed off",
                change.status.as_str().replace('_', " ")
            )));
        }
        if input.content_hash.trim() != change.current_hash {
            return Err(CoreError::Conflict(format!(
                "the content changed since you opened it: version {} ({}) is current; review it \
                 before signing",
                change.current_version, change.current_hash
            )));
        }
        self.recheck_drafting(
            workflow.as_ref(),
            drafter.as_ref(),
            change.step,
            &change.purpose,
        )?;
        let now = self.clock.now();
        let lifetime = self.settings.signoff_lifetime;
        let mut signoffs = tx.signoffs_in_tx(change_id).await?;
        if has_standing_signoff(&signoffs, *signer, &change.current_hash, now, lifetime) {
            return Err(CoreError::Conflict(
                "you have already signed off this version".to_owned(),
            ));
        }
        let stands = |s: &Signoff| {
            s.standing(&change.current_hash, now, lifetime) == SignoffStanding::Stands
        };
        let signed_for = |person: HumanId| {
            signoffs
                .iter()
                .find(|s| stands(s) && s.on_behalf_of.as_ref().is_some_and(|(p, _)| *p == person))
        };
        let on_behalf_of = match on_behalf_of {
            None => {
                if let Some(earlier) = signed_for(*signer) {
                    return Err(CoreError::Conflict(format!(
                        "{} already signed this version for you",
                        earlier.signer_name
                    )));
                }
                None
            }
            Some(principal) => {
                let delegation = self
                    .stands_in_for(&mut tx, *signer, principal, role)
                    .await?
                    .ok_or_else(|| {
                        CoreError::Refused(format!(
                            "you do not stand in for that person as {} now",
                            role.label()
                        ))
                    })?;
                if has_standing_signoff(&signoffs, principal, &change.current_hash, now, lifetime)
                    || signed_for(principal).is_some()
                {
                    return Err(CoreError::Conflict(format!(
                        "{} has already signed this version",
                        delegation.principal_name
                    )));
                }
                Some((principal, delegation.principal_name))
            }
        };
        let version = self.current_version(&change).await?;
        if verdict == Verdict::Approve {
            let cited = self
                .cited_bases(&version.provenance.access_decisions)
                .await?;
            let rollback = self.store.rollback_plan(change_id).await?;
            let claims = tx.claims_in_tx(change_id, change.current_version).await?;
            let evidence = self.evidence_of(&change, &version, &cited, rollback.as_ref(), &claims);
            if !evidence.complete() {
                return Err(CoreError::Conflict(format!(
                    "approval needs complete evidence: {}",
                    evidence.problems().join("; ")
                )));
            }
        }

        let mut signoff = Signoff {
            id: uuid::Uuid::now_v7().to_string(),
            change_id: change_id.to_owned(),
            version: change.current_version,
            content_hash: change.current_hash.clone(),
            signer: *signer,
            signer_name: name.clone(),
            role,
            verdict,
            comment,
            at: now,
            // Measured by the server from what it served this reviewer of this version.
            quality: ReviewView::quality(
                tx.review_view_in_tx(change_id, change.current_version, *signer)
                    .await?
                    .as_ref(),
                self.now_ms(),
            ),
            event_seq: 0,
            on_behalf_of,
            // Only an active person signs: `authorize` refused anyone else above.
            signer_active: true,
        };
        signoffs.push(signoff.clone());
        let rule = self.signoff_rule(&change);
        let quorum = Quorum::count(&rule, &signoffs, &change.current_hash, now, lifetime);
        let status = match verdict {
            Verdict::Reject => ChangeStatus::Rejected,
            Verdict::RequestChanges => ChangeStatus::ChangesRequested,
            Verdict::Approve if quorum.met() => ChangeStatus::Approved,
            Verdict::Approve => ChangeStatus::PendingReview,
        };
        let (have, need) = quorum.have_need();
        signoff.event_seq = tx
            .append_event(&NewEvent::new(
                actor,
                "change.signed_off",
                format!("change:{change_id}"),
                json!({
                    "version": signoff.version,
                    "content_hash": signoff.content_hash,
                    "role": role.as_str(),
                    "decision": verdict.as_str(),
                    "comment": signoff.comment.as_str(),
                    "opened_full_content": signoff.quality.opened_full_content,
                    "viewed_diff": signoff.quality.viewed_diff,
                    "dwell_ms": signoff.quality.dwell_ms,
                    "approvals": have,
                    "approvals_needed": need,
                    "status_after": status.as_str(),
                    "on_behalf_of": signoff.on_behalf_of.as_ref().map(|(id, name)| json!({
                        "person": id.reference(),
                        "name": name,
                    })),
                }),
            ))
            .await?;
        // A set is reviewed whole: every variant's words count toward the time it takes.
        let words = if version.is_set() {
            version
                .variants
                .iter()
                .map(|v| v.content.text.split_whitespace().count())
                .sum::<usize>() as i64
        } else {
            version.content.text.split_whitespace().count() as i64
        };
        tx.insert_signoff(&signoff, words).await?;
        if status != change.status {
            tx.set_change_status(change_id, status, self.now_ms())
                .await?;
            let seq = tx.append_event(&NewEvent::new(
                actor,
                match status {
                    ChangeStatus::Approved => "change.approved",
                    ChangeStatus::Rejected => "change.rejected",
                    _ => "change.changes_requested",
                },
                format!("change:{change_id}"),
                json!({
                    "version": signoff.version,
                    "content_hash": signoff.content_hash,
                    "signoffs": quorum
                        .roles
                        .iter()
                        .map(|p| json!({
                            "role": p.role.as_str(),
                            "need": p.need,
                            "approvals": p.approvals.iter().map(|h| h.reference()).collect::<Vec<_>>(),
                        }))
                        .collect::<Vec<_>>(),
                    // Who separation of duties kept from signing, as this transaction saw it:
                    // what an auditor checks the approvals against.
                    "excluded_signers": excluded.iter().map(|e| e.person.reference()).collect::<Vec<_>>(),
                }),
            ))
            .await?;
            let detail = (verdict != Verdict::Approve).then(|| signoff.comment.as_str().to_owned());
            self.notify_outcome(&mut tx, &change, status, detail.as_deref(), seq)
                .await?;
        }
        if status == ChangeStatus::Approved {
            self.queue_publish(&mut tx, &change, &version).await?;
        }
        tx.commit().await?;
        if status == ChangeStatus::Approved {
            self.wake_outbox();
        }
        Ok(SignoffOutcome {
            signoff,
            status,
            quorum,
        })
    }
}
