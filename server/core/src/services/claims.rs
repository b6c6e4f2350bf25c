//! Claims in a change's content: found by the rules when a version is written, marked by legal
//! reviewers on any span of the text, and judged one by one. Each marking and each review is an
//! append-only row with its ledger event, in one transaction with the change's open-claim count.

use super::Services;
use crate::actor::Actor;
use crate::domain::{
    reviewable_text, ChangeRequest, ChangeStatus, ChangeVersion, Claim, ClaimReview, ClaimStatus,
    DetectedClaim, Role, Span,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::Action;
use crate::store::WriteTx;
use serde_json::json;

impl Services {
    /// Whether this change's claims are reviewed at the gate: external content always; internal
    /// content when its tier's sign-off rule needs a legal reviewer.
    pub fn claims_reviewed(&self, change: &ChangeRequest) -> bool {
        change.audience == crate::domain::Audience::External
            || crate::domain::Tier::from_number(change.tier)
                .is_some_and(|tier| self.settings.signoffs.for_tier(tier).count(Role::Legal) > 0)
    }

    /// Records the candidate claims found in a newly written version, inside its transaction;
    /// `event_seq` is the event that wrote the version.
    pub(super) async fn record_detected_claims(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        version: &ChangeVersion,
        found: &[(String, DetectedClaim)],
        event_seq: i64,
    ) -> CoreResult<i64> {
        if !self.claims_reviewed(change) {
            tx.set_open_claims(&change.id, 0).await?;
            return Ok(0);
        }
        for (variant, detected) in found {
            let claim = Claim {
                id: uuid::Uuid::now_v7().to_string(),
                change_id: change.id.clone(),
                version: version.version,
                variant: variant.clone(),
                span: detected.span,
                quote: detected.quote.clone(),
                rules: detected.rules.clone(),
                marked_by: None,
                status: ClaimStatus::Open,
                evidence: String::new(),
                comment: String::new(),
                reviewed_by: None,
                reviewed_at: None,
                event_seq,
            };
            tx.insert_claim(&claim, None, self.now_ms()).await?;
        }
        let open = found.len() as i64;
        tx.set_open_claims(&change.id, open).await?;
        Ok(open)
    }

    /// A legal reviewer marks a span of the current version's text as a claim.
    pub async fn mark_claim(
        &self,
        actor: &Actor,
        change_id: &str,
        version: i64,
        start: usize,
        end: usize,
    ) -> CoreResult<Claim> {
        self.mark_variant_claim(actor, change_id, version, "", start, end)
            .await
    }

    /// A legal reviewer marks a span of a variant's text (`""`: the content, or a set's base)
    /// in the current version as a claim.
    #[tracing::instrument(skip_all, fields(change = change_id, variant))]
    pub async fn mark_variant_claim(
        &self,
        actor: &Actor,
        change_id: &str,
        version: i64,
        variant: &str,
        start: usize,
        end: usize,
    ) -> CoreResult<Claim> {
        let Actor::Human {
            id: reviewer, name, ..
        } = actor
        else {
            return Err(self.refuse_identity(actor, Action::ReviewClaims));
        };
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = self.open_change_for(&mut tx, actor, change_id).await?;
        if version != change.current_version {
            return Err(CoreError::Conflict(format!(
                "version {version} was replaced by version {}; mark claims on the current text",
                change.current_version
            )));
        }
        let current = self.current_version(&change).await?;
        let content = if variant.is_empty() {
            &current.content
        } else {
            &current
                .variants
                .iter()
                .skip(1)
                .find(|v| v.name.as_str() == variant)
                .ok_or_else(|| {
                    CoreError::invalid(
                        "variant",
                        "not a variant of this version (the base is marked as the content)",
                    )
                })?
                .content
        };
        let text = reviewable_text(&content.text, content.format);
        let (span, quote) = Span::within(&text, start, end)
            .map_err(|e| CoreError::invalid("span", e.to_string()))?;
        let existing = tx.claims_in_tx(change_id, version).await?;
        if existing
            .iter()
            .any(|c| c.span == span && c.variant == variant)
        {
            return Err(CoreError::invalid("span", "this span is already a claim"));
        }
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "claim.marked",
                format!("change:{change_id}"),
                json!({
                    "version": version,
                    "variant": (!variant.is_empty()).then_some(variant),
                    "start": span.start,
                    "end": span.end,
                    "quote": quote,
                }),
            ))
            .await?;
        let claim = Claim {
            id: uuid::Uuid::now_v7().to_string(),
            change_id: change_id.to_owned(),
            version,
            variant: variant.to_owned(),
            span,
            quote,
            rules: Vec::new(),
            marked_by: Some(name.clone()),
            status: ClaimStatus::Open,
            evidence: String::new(),
            comment: String::new(),
            reviewed_by: None,
            reviewed_at: None,
            event_seq: seq,
        };
        tx.insert_claim(&claim, Some(*reviewer), self.now_ms())
            .await?;
        let open = existing.iter().filter(|c| c.unresolved()).count() as i64 + 1;
        tx.set_open_claims(change_id, open).await?;
        tx.commit().await?;
        Ok(claim)
    }

    /// A legal reviewer judges a claim of the current version.
    #[tracing::instrument(skip_all, fields(change = change_id, claim = claim_id))]
    pub async fn review_claim(
        &self,
        actor: &Actor,
        change_id: &str,
        claim_id: &str,
        status: &str,
        evidence: &str,
        comment: &str,
    ) -> CoreResult<Claim> {
        let Actor::Human {
            id: reviewer, name, ..
        } = actor
        else {
            return Err(self.refuse_identity(actor, Action::ReviewClaims));
        };
        let review = ClaimReview::new(status, evidence, comment).map_err(|e| {
            let field = match e {
                crate::domain::ClaimError::UnknownStatus(_) => "status",
                crate::domain::ClaimError::CommentRequired(_)
                | crate::domain::ClaimError::CommentTooLong => "comment",
                _ => "evidence",
            };
            CoreError::invalid(field, e.to_string())
        })?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = self.open_change_for(&mut tx, actor, change_id).await?;
        let claims = tx.claims_in_tx(change_id, change.current_version).await?;
        let mut claim = claims
            .iter()
            .find(|c| c.id == claim_id)
            .cloned()
            .ok_or(CoreError::NotFound("claim"))?;
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "claim.reviewed",
                format!("change:{change_id}"),
                json!({
                    "claim": claim_id,
                    "quote": claim.quote,
                    "status": review.status.as_str(),
                    "evidence": review.evidence,
                    "comment": review.comment,
                }),
            ))
            .await?;
        claim.status = review.status;
        claim.evidence = review.evidence;
        claim.comment = review.comment;
        claim.reviewed_by = Some(name.clone());
        claim.reviewed_at = Some(self.clock.now());
        claim.event_seq = seq;
        tx.insert_claim_review(claim_id, *reviewer, &claim, self.now_ms())
            .await?;
        let open = claims
            .iter()
            .map(|c| if c.id == claim.id { &claim } else { c })
            .filter(|c| c.unresolved())
            .count() as i64;
        tx.set_open_claims(change_id, open).await?;
        tx.commit().await?;
        Ok(claim)
    }

    /// The change, read inside the transaction, if it is still awaiting review.
    /// The change a claim reviewer acts on: who they are is asked before the change's state.
    async fn open_change_for(
        &self,
        tx: &mut Box<dyn WriteTx>,
        actor: &Actor,
        change_id: &str,
    ) -> CoreResult<ChangeRequest> {
        let change = tx
            .change_by_id(change_id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        self.authorize_on_change(tx, actor, Action::ReviewClaims, &change, None)
            .await?;
        if change.status != ChangeStatus::PendingReview {
            return Err(CoreError::Conflict(format!(
                "the change is {}; only changes pending review are reviewed",
                change.status.as_str().replace('_', " ")
            )));
        }
        Ok(change)
    }

    pub(super) async fn current_version(
        &self,
        change: &ChangeRequest,
    ) -> CoreResult<ChangeVersion> {
        self.store
            .change_versions(&change.id)
            .await?
            .into_iter()
            .find(|v| v.version == change.current_version)
            .ok_or_else(|| {
                CoreError::Store(crate::store::StoreError::Corrupt(format!(
                    "change {} has no version {}",
                    change.id, change.current_version
                )))
            })
    }
}
