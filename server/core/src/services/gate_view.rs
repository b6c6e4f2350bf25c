//! What a reviewer sees of one change at the gate: the content as reviewable text with its
//! claims, the evidence checks, the rollback plan, the sign-off history with each sign-off's
//! standing, the quorum by role, what changed since the previous version, and what the reader
//! may do here (sign in which roles, or why not).

use super::{ChangeDetail, Services};
use crate::actor::Actor;
use crate::domain::{
    line_diff, reviewable_text, Claim, DiffLine, Evidence, Quorum, Role, RollbackPlan, Signoff,
    SignoffRule, SignoffStanding,
};
use crate::error::{CoreError, CoreResult};
use crate::policy::Action;

#[derive(Debug, Clone)]
pub struct GateView {
    pub detail: ChangeDetail,
    /// The current version's reviewable text; claim spans point into it.
    pub text: String,
    pub claims: Vec<Claim>,
    pub claims_reviewed: bool,
    pub rollback: Option<RollbackPlan>,
    pub signoffs: Vec<(Signoff, SignoffStanding)>,
    pub rule: SignoffRule,
    pub quorum: Quorum,
    pub evidence: Evidence,
    /// The roles the reader may sign in now.
    pub sign_as: Vec<Role>,
    /// Why the reader cannot sign, when they cannot.
    pub cannot_sign: Option<String>,
    pub may_review_claims: bool,
    pub may_edit_rollback: bool,
    /// The previous version's text against the current one.
    pub version_diff: Option<Vec<DiffLine>>,
    /// The ledger event that wrote the current version (its content hash and provenance).
    pub version_event_seq: Option<i64>,
    /// Who separation of duties keeps from signing, by name, and why.
    pub excluded: Vec<ExcludedPerson>,
}

/// A person kept from signing, as the page names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedPerson {
    pub person: crate::domain::HumanId,
    pub name: String,
    pub reason: String,
}

impl Services {
    pub async fn gate_view(&self, actor: &Actor, id: &str) -> CoreResult<GateView> {
        let detail = self.change_detail(actor, id).await?;
        let change = &detail.change;
        let current = detail
            .versions
            .iter()
            .find(|v| v.version == change.current_version)
            .cloned()
            .ok_or(CoreError::NotFound("version"))?;
        let text = reviewable_text(&current.content.text, current.content.format);
        let version_diff = detail
            .versions
            .iter()
            .find(|v| v.version == change.current_version - 1)
            .map(|previous| {
                line_diff(
                    &reviewable_text(&previous.content.text, previous.content.format),
                    &text,
                )
            });
        let claims = self.store.claims(id, change.current_version).await?;
        let rollback = self.store.rollback_plan(id).await?;
        let version_event_seq = self
            .store
            .version_events(id)
            .await?
            .into_iter()
            .find(|(v, seq)| *v == change.current_version && *seq > 0)
            .map(|(_, seq)| seq);
        // The decisions were read with the detail; their answers give the bases they found.
        let cited: Vec<crate::domain::CitedBases> = detail
            .decisions
            .iter()
            .map(|d| crate::domain::CitedBases {
                decision: d.id.clone(),
                found: d.answer.as_ref().map(|a| a.legal_bases_found()),
            })
            .collect();
        let evidence = self.evidence_of(change, &current, &cited, rollback.as_ref(), &claims);
        let now = self.clock.now();
        let lifetime = self.settings.signoff_lifetime;
        let all = self.store.signoffs(id).await?;
        let rule = self.signoff_rule(change);
        let quorum = Quorum::count(&rule, &all, &change.current_hash, now, lifetime);
        let signoffs = all
            .into_iter()
            .map(|s| {
                let standing = s.standing(&change.current_hash, now, lifetime);
                (s, standing)
            })
            .collect::<Vec<_>>();

        let (excluded, workflow, drafter) = self.duty_facts(change).await?;
        let resource = self.change_resource_with(change, &excluded);
        // The same standing the sign-off re-checks when it is written.
        let standing = self
            .recheck_drafting(
                workflow.as_ref(),
                drafter.as_ref(),
                change.step,
                &change.purpose,
            )
            .err();
        let mut sign_as = Vec::new();
        let mut cannot_sign = None;
        if let Actor::Human { id: me, roles, .. } = actor {
            let already = signoffs
                .iter()
                .any(|(s, standing)| s.signer == *me && *standing == SignoffStanding::Stands);
            let needed: Vec<Role> = rule.required().map(|(r, _)| r).collect();
            for role in needed.iter().copied().filter(|r| roles.contains(*r)) {
                match self.authorize_on(
                    actor,
                    Action::SignOff,
                    change,
                    Some(role),
                    &resource,
                    &excluded,
                ) {
                    Ok(()) => sign_as.push(role),
                    Err(refusal) => {
                        cannot_sign.get_or_insert(refusal.to_string());
                    }
                }
            }
            if already {
                sign_as.clear();
                cannot_sign = Some("you have signed off this version".to_owned());
            } else if let Some(problem) = &standing {
                sign_as.clear();
                cannot_sign = Some(problem.to_string());
            } else if sign_as.is_empty() && cannot_sign.is_none() {
                cannot_sign = Some(format!(
                    "tier {} needs {rule}; none of your roles is among them",
                    change.tier
                ));
            }
        }
        let may = |action| {
            self.authorize_on(actor, action, change, None, &resource, &excluded)
                .is_ok()
        };
        let may_review_claims = may(Action::ReviewClaims);
        let may_edit_rollback = may(Action::EditRollbackPlan);
        let mut named = Vec::with_capacity(excluded.len());
        for e in &excluded {
            let name = self
                .store
                .human(e.person)
                .await?
                .map(|h| h.name)
                .unwrap_or_else(|| e.person.reference());
            named.push(ExcludedPerson {
                person: e.person,
                name,
                reason: e.reason.clone(),
            });
        }
        Ok(GateView {
            excluded: named,
            claims_reviewed: self.claims_reviewed(change),
            detail,
            text,
            claims,
            rollback,
            signoffs,
            rule,
            quorum,
            evidence,
            sign_as,
            cannot_sign,
            may_review_claims,
            may_edit_rollback,
            version_diff,
            version_event_seq,
        })
    }
}
