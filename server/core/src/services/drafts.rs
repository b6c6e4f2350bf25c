//! Drafts with provenance: an identity in a `draft_content` step submits content for a
//! connected system of its workflow, citing the access decisions it used. Countersign computes
//! the content hash, checks every citation, and opens a change request in `pending_review`.
//! Agents draft; they never approve or publish.

use super::template_drafts::Declared;
use super::variant_drafts::{check_body, find_claims, RawBody};
use super::{AccessDecision, Services, TokenPrincipal};
use crate::domain::NoticeKind;
use crate::domain::{
    check_channel, check_evidence, check_title, ChangeError, ChangeRequest, ChangeStatus,
    ChangeVersion, CitedBases, DetectedClaim, EvidenceFacts, HostAllowList, IdempotencyKey,
    Performer, Provenance, PurposeName, StepKind, SystemId,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Denied, Resource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftTarget {
    pub system: String,
    /// Where in the system; for a variant set, each variant names its own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference: String,
}

/// A draft: one content, or a variant set (`variants`, the base first) reviewed and signed as
/// one. With variants, `content`, `format`, `audience` and `target.reference` are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    pub channel: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audience: String,
    pub purpose: String,
    pub target: DraftTarget,
    /// 1 to 50 variants (A/B arms, locales, segments), the base first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<Vec<VariantInput>>,
    /// A pre-approved template this draft fills: the console writes the content from it (leave
    /// `content` out, or send exactly the filled text). Filled within every constraint, in a
    /// tier the operator allows, the change is approved by policy and published; otherwise
    /// people review it, with what broke named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<super::template_drafts::TemplateFill>,
    pub provenance: Provenance,
}

/// One variant of a set: its own content, audience and place in the target system.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    /// Unique in the set, e.g. `de-DE` or `arm_b`.
    pub name: String,
    pub content: String,
    /// `markdown`, `html` or `text`.
    pub format: String,
    /// `internal` or `external`.
    pub audience: String,
    /// Where in the target system this variant goes, e.g. `campaigns/spring/de-DE`.
    pub target_reference: String,
}

/// A new version: one content, or (for a variant set) every variant again.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub variants: Option<Vec<VariantInput>>,
    pub provenance: Provenance,
}

/// What the agent sees of its change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChangeStatusView {
    pub change_id: String,
    pub title: String,
    pub status: String,
    pub version: i64,
    pub content_hash: String,
    /// The current version's canonical form: exactly the bytes the hash covers, the reviewers
    /// see and the system receives.
    pub content: String,
    pub format: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Claims of the current version not yet substantiated.
    pub open_claims: i64,
    pub has_rollback_plan: bool,
    /// Every sign-off, oldest first: the role, decision and comment (a request for changes
    /// says what to change).
    pub reviews: Vec<ReviewNote>,
    /// Once published: the version the target system's receipt named, and the one it replaced.
    pub publication: Option<PublicationNote>,
    /// Every delivery made for the change (publish, rollbacks), oldest first.
    pub deliveries: Vec<DeliveryNote>,
    /// Where the outcome is reported, if the agent registered a callback.
    pub callback_url: Option<String>,
    /// For a variant set, its variants as the current version holds them (the base first);
    /// `content_hash` is then the set's hash.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<VariantNote>,
}

/// One variant of a set as the drafting agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VariantNote {
    pub name: String,
    pub audience: String,
    pub target_reference: String,
    pub content_hash: String,
}

/// What is live at the target, as the publisher recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublicationNote {
    pub version: String,
    pub replaced_version: Option<String>,
    pub at: DateTime<Utc>,
}

/// One call to the target system on the change's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryNote {
    /// The call's idempotency key, as the system receives it (`webhook-id`).
    pub id: String,
    /// publish or rollback.
    pub kind: String,
    /// pending, delivered, dead or cancelled.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub receipt_id: Option<String>,
}

/// One sign-off as the drafting agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewNote {
    pub version: i64,
    pub role: String,
    pub decision: String,
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// A rollback plan as the drafting agent sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackPlanBody {
    /// How to undo the change.
    pub steps: String,
    /// The target system's reference of the version to restore.
    #[serde(default)]
    pub previous_reference: String,
    /// Nothing was live before: rolling back unpublishes.
    #[serde(default)]
    pub first_publication: bool,
}

/// What a retried draft must repeat exactly: every field, in the struct's fixed order.
fn draft_hash(draft: &DraftInput) -> String {
    let bytes = serde_json::to_vec(draft).unwrap_or_default();
    crate::domain::content_hash(&String::from_utf8_lossy(&bytes))
}

fn invalid(error: ChangeError) -> CoreError {
    CoreError::invalid(error.field(), error.to_string())
}

/// A version's event with, for a variant set, each variant's name, audience, target and hash
/// (the set's hash, in `content_hash`, covers them).
fn with_variants(version: &ChangeVersion, mut detail: serde_json::Value) -> serde_json::Value {
    if version.is_set() {
        detail["variants"] = variant_summary(version);
    }
    detail
}

/// A draft event names the template the draft declared, when it declared one.
trait WithTemplate {
    fn with_template(self, declared: Option<&Declared>) -> Self;
}

impl WithTemplate for serde_json::Value {
    fn with_template(mut self, declared: Option<&Declared>) -> Self {
        if let Some(d) = declared {
            self["template"] = json!(d.template.id);
        }
        self
    }
}

fn variant_summary(version: &ChangeVersion) -> serde_json::Value {
    version
        .variants
        .iter()
        .map(|v| {
            json!({
                "name": v.name.as_str(),
                "audience": v.audience.as_str(),
                "target": v.target_ref,
                "format": v.content.format.as_str(),
                "content_hash": v.content.hash,
            })
        })
        .collect()
}

impl Services {
    /// Checks that the token's step drafts, and that its grant allows drafting for `purpose`.
    pub(super) fn may_draft(&self, principal: &TokenPrincipal, purpose: &str) -> CoreResult<()> {
        if principal.step.kind != StepKind::DraftContent {
            return Err(CoreError::Denied(Denied {
                action: Action::SubmitDraft.as_str(),
                policies: vec![format!(
                    "drafts come only from draft_content steps; this token is for a {} step",
                    principal.step.kind.as_str()
                )],
            }));
        }
        self.policy
            .authorize_with(
                &principal.actor,
                Action::SubmitDraft,
                &Resource::step(&principal.workflow, &principal.step),
                &[("purpose", purpose)],
            )
            .map(|_| ())
            .map_err(CoreError::Denied)
    }

    /// Every cited decision must be this step's, unexpired and for this purpose; every field the
    /// content uses must have been allowed by one of them.
    async fn check_citations(
        &self,
        principal: &TokenPrincipal,
        purpose: &str,
        provenance: &Provenance,
    ) -> CoreResult<Vec<CitedBases>> {
        provenance.check().map_err(invalid)?;
        let mut cited = Vec::new();
        let citation = |problem: String| CoreError::invalid("provenance.access_decisions", problem);
        let now = self.clock.now();
        let mut allowed: BTreeSet<String> = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for id in &provenance.access_decisions {
            if !seen.insert(id.as_str()) {
                return Err(citation(format!("decision {id} is cited twice")));
            }
            let short: String = id.chars().take(64).collect();
            let row = self
                .store
                .access_decision(id)
                .await?
                .ok_or_else(|| citation(format!("no access decision {short}")))?;
            if row.step != principal.step.id {
                return Err(citation(format!(
                    "decision {short} was made for another step; cite only this step's decisions"
                )));
            }
            if row.expires_at_ms <= crate::clock::to_millis(now) {
                return Err(citation(format!(
                    "decision {short} expired at {}; ask for a new one",
                    crate::clock::from_millis(row.expires_at_ms).to_rfc3339()
                )));
            }
            if row.purpose != purpose {
                return Err(citation(format!(
                    "decision {short} was for purpose {}, not {purpose}",
                    row.purpose
                )));
            }
            let answer: AccessDecision = serde_json::from_str(&row.response_json)
                .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
            cited.push(CitedBases {
                decision: id.clone(),
                found: Some(answer.legal_bases_found()),
            });
            allowed.extend(answer.allowed_fields);
        }
        if let Some(field) = provenance
            .fields_used
            .iter()
            .find(|f| !allowed.contains(f.as_str()))
        {
            return Err(CoreError::invalid(
                "provenance.fields_used",
                if provenance.access_decisions.is_empty() {
                    format!("`{field}` is customer data: cite the access decision that allowed it")
                } else {
                    format!("`{field}` was not allowed by the cited access decisions")
                },
            ));
        }
        Ok(cited)
    }

    /// `POST /api/v1/drafts` without an idempotency key.
    pub async fn submit_draft(
        &self,
        principal: &TokenPrincipal,
        draft: DraftInput,
    ) -> CoreResult<ChangeRequest> {
        self.submit_draft_once(principal, draft, None)
            .await
            .map(|(change, _)| change)
    }

    /// `POST /api/v1/drafts`: with a key, a draft sent again finds the change the first one made
    /// (`true` when it was found rather than made); the same key with a different draft is
    /// refused.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id))]
    pub async fn submit_draft_once(
        &self,
        principal: &TokenPrincipal,
        draft: DraftInput,
        key: Option<&IdempotencyKey>,
    ) -> CoreResult<(ChangeRequest, bool)> {
        let purpose = PurposeName::parse(&draft.purpose)
            .map_err(|e| CoreError::invalid("purpose", e.to_string()))?;
        self.may_draft(principal, purpose.as_str())?;
        let request_hash = key.map(|_| draft_hash(&draft));
        if let (Some(key), Some(hash)) = (key, &request_hash) {
            if let Some(found) = self
                .store
                .change_by_key(principal.nhi.id, key.as_str())
                .await?
            {
                return self.replayed(principal, found, hash).await;
            }
        }
        let title = check_title(&draft.title).map_err(invalid)?;
        let channel = check_channel(&draft.channel).map_err(invalid)?;
        let targets: Vec<SystemId> = principal
            .workflow
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Publish && s.performer == Performer::Publisher)
            .filter_map(|s| s.grant.system)
            .collect();
        let target_system: SystemId = draft
            .target
            .system
            .parse()
            .ok()
            .filter(|s| targets.contains(s))
            .ok_or_else(|| {
                CoreError::invalid(
                    "target.system",
                    format!(
                        "\"{}\" publishes only to {}",
                        principal.workflow.name,
                        if targets.is_empty() {
                            "no system (it has no publish step)".to_owned()
                        } else {
                            targets
                                .iter()
                                .map(|t| t.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                )
            })?;
        let cited = self
            .check_citations(principal, purpose.as_str(), &draft.provenance)
            .await?;
        let mut declared = match &draft.template {
            Some(_) if draft.variants.is_some() => {
                return Err(CoreError::invalid(
                    "template",
                    "a template fills one content, not a variant set",
                ))
            }
            Some(fill) => Some(self.declared_template(principal, fill).await?),
            None => None,
        };
        // A declared template writes the content, format and audience the draft leaves out.
        let or_template = |given: &str, from: &dyn Fn(&Declared) -> String| match &declared {
            Some(d) if given.is_empty() => from(d),
            _ => given.to_owned(),
        };
        let content_raw = or_template(&draft.content, &|d| d.text().to_owned());
        let format_raw = or_template(&draft.format, &|d| {
            d.template.body.format.as_str().to_owned()
        });
        let audience_raw = or_template(&draft.audience, &|d| {
            d.template.body.audience.as_str().to_owned()
        });
        // The one canonical form, fixed before the write (its cost outside the ledger lock).
        let hosts = self.hosts_of(target_system).await?;
        let body = check_body(
            &RawBody {
                content: &content_raw,
                format: &format_raw,
                audience: Some(&audience_raw),
                target_ref: Some(&draft.target.reference),
                variants: draft.variants.as_deref(),
            },
            &hosts,
        )?;
        if let Some(d) = declared.as_mut() {
            let found = Self::template_content_problems(
                d,
                &body.content,
                body.audience,
                &hosts,
                &draft.provenance,
                &cited,
            );
            d.problems.extend(found);
        }
        let claims = find_claims(&body);

        let now = self.clock.now();
        let change = ChangeRequest {
            id: uuid::Uuid::now_v7().to_string(),
            workflow: principal.workflow.id,
            step: principal.step.id,
            nhi: principal.nhi.id,
            title,
            channel,
            audience: body.audience,
            purpose: purpose.as_str().to_owned(),
            target_system,
            target_ref: body.target_ref,
            status: ChangeStatus::PendingReview,
            tier: principal.workflow.tier.number(),
            current_version: 1,
            current_hash: String::new(),
            open_claims: 0,
            has_rollback_plan: false,
            provenance_ok: false,
            legal_basis_ok: false,
            publication: None,
            callback_url: None,
            created_at: now,
            updated_at: now,
        };
        let version = ChangeVersion {
            version: 1,
            content: body.content,
            variants: body.variants,
            provenance: draft.provenance,
            submitted_at: now,
        };
        let mut change = change;
        change.current_hash = version.signed_hash();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        // The token was checked when the request arrived; the kill switch or a suspension may
        // have committed since. What this transaction sees decides.
        self.recheck_drafting_in_tx(&mut tx, principal, &change.purpose)
            .await?;
        self.recheck_hosts_in_tx(&mut tx, change.target_system, &hosts)
            .await?;
        if let (Some(key), Some(hash)) = (key, &request_hash) {
            // A twin of this request may have committed while this one was checked.
            if let Some(found) = tx
                .change_by_idempotency_key(principal.nhi.id, key.as_str())
                .await?
            {
                drop(tx);
                return self.replayed(principal, found, hash).await;
            }
        }
        tx.insert_change(&change, &version).await?;
        if let (Some(key), Some(hash)) = (key, &request_hash) {
            tx.set_idempotency_key(&change.id, key.as_str(), hash)
                .await?;
        }
        tx.touch_nhi(principal.nhi.id, self.now_ms()).await?;
        let seq = tx.append_event(&NewEvent::new(
            &principal.actor,
            "change.drafted",
            format!("change:{}", change.id),
            with_variants(&version, json!({
                "title": change.title,
                "workflow": change.workflow.reference(),
                "step": change.step.reference(),
                "tier": change.tier,
                "audience": change.audience.as_str(),
                "channel": change.channel,
                "purpose": change.purpose,
                "target": { "system": change.target_system.reference(), "reference": change.target_ref },
                "version": 1,
                "content_hash": change.current_hash,
                "format": version.content.format.as_str(),
                "model": version.provenance.model,
                "model_version": version.provenance.model_version,
                "access_decisions": version.provenance.access_decisions,
                "fields_used": version.provenance.fields_used,
                "provenance_hash": version.provenance.digest(),
            }))
            .with_template(declared.as_ref()),
        ))
        .await?;
        let pre_approved = match &declared {
            Some(d) => {
                self.apply_template_in_tx(&mut tx, &mut change, &version, d)
                    .await?
            }
            None => false,
        };
        // Under a template, the fixed text's claims were judged when it was approved and no
        // slot holds one: nothing is left for people to judge.
        let judged = if pre_approved { &[][..] } else { &claims[..] };
        self.record_version_checks(&mut tx, &change, &version, &cited, judged, seq)
            .await?;
        if !pre_approved {
            self.notify_review(&mut tx, &change, NoticeKind::ReviewNeeded, now, seq)
                .await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok((change, false))
    }

    /// The change an earlier request with the same key made, if it sent the same draft.
    async fn replayed(
        &self,
        principal: &TokenPrincipal,
        (change_id, sent_hash): (String, String),
        hash: &str,
    ) -> CoreResult<(ChangeRequest, bool)> {
        if sent_hash != hash {
            return Err(CoreError::invalid(
                "idempotency_key",
                format!(
                    "this key was used for a different draft (change {change_id}); \
                     use a new key for new content"
                ),
            ));
        }
        let change = self
            .store
            .change(&change_id)
            .await?
            .filter(|c| c.nhi == principal.nhi.id)
            .ok_or(CoreError::NotFound("change"))?;
        Ok((change, true))
    }

    /// `POST /api/v1/drafts/{id}/versions`: a revised version from the identity that drafted it.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id, change = id))]
    pub async fn submit_version(
        &self,
        principal: &TokenPrincipal,
        id: &str,
        input: VersionInput,
    ) -> CoreResult<(ChangeRequest, String)> {
        let known = self.own_change(principal, id).await?;
        let hosts = self.hosts_of(known.target_system).await?;
        let body = check_body(
            &RawBody {
                content: &input.content,
                format: &input.format,
                audience: None,
                target_ref: None,
                variants: input.variants.as_deref(),
            },
            &hosts,
        )?;
        let claims = find_claims(&body);
        self.may_draft(principal, &known.purpose)?;
        let cited = self
            .check_citations(principal, &known.purpose, &input.provenance)
            .await?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut change = tx
            .change_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        if !change.status.accepts_versions() {
            return Err(CoreError::Conflict(format!(
                "a change that is {} takes no new versions",
                change.status.as_str().replace('_', " ")
            )));
        }
        self.recheck_drafting_in_tx(&mut tx, principal, &change.purpose)
            .await?;
        self.recheck_hosts_in_tx(&mut tx, change.target_system, &hosts)
            .await?;
        let was_set = !tx
            .variant_deliveries(id, change.current_version)
            .await?
            .is_empty();
        let is_set = !body.variants.is_empty();
        if was_set != is_set {
            return Err(CoreError::invalid(
                if was_set { "variants" } else { "content" },
                if was_set {
                    "this change is a variant set: send every variant again in `variants`"
                } else {
                    "this change is a single draft: send its new `content`, not variants"
                },
            ));
        }
        let now = self.clock.now();
        let version = ChangeVersion {
            version: change.current_version + 1,
            content: body.content,
            variants: body.variants,
            provenance: input.provenance,
            submitted_at: now,
        };
        tx.add_change_version(id, &version, ChangeStatus::PendingReview, self.now_ms())
            .await?;
        if version.is_set() {
            // A set's reach follows its variants: the widest audience, the base's target.
            tx.set_change_reach(id, body.audience, &body.target_ref)
                .await?;
            change.audience = body.audience;
            change.target_ref = body.target_ref;
        }
        tx.touch_nhi(principal.nhi.id, self.now_ms()).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                &principal.actor,
                "change.revised",
                format!("change:{id}"),
                with_variants(
                    &version,
                    json!({
                        "version": version.version,
                        "previous_status": change.status.as_str(),
                        "content_hash": version.signed_hash(),
                        "model": version.provenance.model,
                        "model_version": version.provenance.model_version,
                        "access_decisions": version.provenance.access_decisions,
                        "fields_used": version.provenance.fields_used,
                        "provenance_hash": version.provenance.digest(),
                        "signoffs_voided": true,
                    }),
                ),
            ))
            .await?;
        change.current_version = version.version;
        change.current_hash = version.signed_hash();
        self.record_version_checks(&mut tx, &change, &version, &cited, &claims, seq)
            .await?;
        change.status = ChangeStatus::PendingReview;
        self.notify_review(&mut tx, &change, NoticeKind::ReviewNeeded, now, seq)
            .await?;
        tx.commit().await?;
        self.wake_outbox();
        change.updated_at = now;
        let hash = change.current_hash.clone();
        Ok((change, hash))
    }

    /// A change this identity drafted in this step; any other is "no such change" (another
    /// identity's changes are not its business).
    pub(super) async fn own_change(
        &self,
        principal: &TokenPrincipal,
        id: &str,
    ) -> CoreResult<ChangeRequest> {
        self.store
            .change(id)
            .await?
            .filter(|c| c.nhi == principal.nhi.id && c.step == principal.step.id)
            .ok_or(CoreError::NotFound("change"))
    }

    /// The hosts the content was checked against are still the target's.
    async fn recheck_hosts_in_tx(
        &self,
        tx: &mut Box<dyn crate::store::WriteTx>,
        system: SystemId,
        checked: &HostAllowList,
    ) -> CoreResult<()> {
        let now = tx.system_content_hosts_in_tx(system).await?;
        if now.as_deref() != Some(checked.to_lines().as_str()) {
            return Err(CoreError::Conflict(
                "the hosts the target system allows changed while the content was checked; \
                 send it again"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// The checks fixed when a version is written: its provenance and legal-basis evidence, and
    /// the claims the rules find in it. A new version starts its sign-offs afresh (they are bound
    /// to the old hash) and its claims are found again.
    async fn record_version_checks(
        &self,
        tx: &mut Box<dyn crate::store::WriteTx>,
        change: &ChangeRequest,
        version: &ChangeVersion,
        cited: &[CitedBases],
        claims: &[(String, DetectedClaim)],
        event_seq: i64,
    ) -> CoreResult<()> {
        let evidence = check_evidence(&EvidenceFacts {
            provenance: &version.provenance,
            cited,
            rollback: None,
            claims: &[],
            claims_reviewed: false,
        });
        let passed = |key: &str| evidence.check(key).is_some_and(|c| c.passed());
        tx.set_version_event(&change.id, version.version, event_seq)
            .await?;
        tx.set_version_evidence(&change.id, passed("provenance"), passed("legal_basis"))
            .await?;
        self.record_detected_claims(tx, change, version, claims, event_seq)
            .await?;
        Ok(())
    }

    /// `GET /api/v1/changes/{id}`: only the identity that drafted it sees it.
    pub async fn change_status(
        &self,
        principal: &TokenPrincipal,
        id: &str,
    ) -> CoreResult<ChangeStatusView> {
        let change = self
            .store
            .change(id)
            .await?
            .filter(|c| c.nhi == principal.nhi.id)
            .ok_or(CoreError::NotFound("change"))?;
        let reviews = self
            .store
            .signoffs(id)
            .await?
            .into_iter()
            .map(|s| ReviewNote {
                version: s.version,
                role: s.role.as_str().to_owned(),
                decision: s.verdict.as_str().to_owned(),
                comment: s.comment.as_str().to_owned(),
                at: s.at,
            })
            .collect();
        let current = self
            .store
            .change_versions(id)
            .await?
            .into_iter()
            .find(|v| v.version == change.current_version)
            .ok_or(CoreError::NotFound("version"))?;
        Ok(ChangeStatusView {
            variants: current
                .variants
                .iter()
                .map(|v| VariantNote {
                    name: v.name.as_str().to_owned(),
                    audience: v.audience.as_str().to_owned(),
                    target_reference: v.target_ref.clone(),
                    content_hash: v.content.hash.clone(),
                })
                .collect(),
            content: current.content.text,
            format: current.content.format.as_str().to_owned(),
            change_id: change.id,
            title: change.title,
            status: change.status.as_str().to_owned(),
            version: change.current_version,
            content_hash: change.current_hash,
            created_at: change.created_at,
            updated_at: change.updated_at,
            open_claims: change.open_claims,
            has_rollback_plan: change.has_rollback_plan,
            reviews,
            publication: change.publication.map(|p| PublicationNote {
                version: p.version,
                replaced_version: p.replaced,
                at: p.at,
            }),
            deliveries: self
                .store
                .effects_of_change(id)
                .await?
                .into_iter()
                .filter(|e| e.kind != crate::domain::EffectKind::Callback)
                .map(|e| DeliveryNote {
                    id: e.id.clone(),
                    kind: e.kind.as_str().to_owned(),
                    state: e.state.as_str().to_owned(),
                    attempts: e.attempts,
                    receipt_id: e.parsed_receipt().map(|r| r.receipt_id),
                    last_error: e.last_error,
                })
                .collect(),
            callback_url: change.callback_url,
        })
    }
}
