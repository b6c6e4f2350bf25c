//! What a reviewer sees of one change at the gate: the content as reviewable text with its
//! claims, the evidence checks, the rollback plan, the sign-off history with each sign-off's
//! standing, the quorum by role, what changed since the previous version, and what the reader
//! may do here (sign in which roles, or why not).

use super::{ChangeDetail, Services};
use crate::actor::Actor;
use crate::domain::{
    line_diff, outbound_urls, reviewable_text, Claim, DiffLine, Evidence, Quorum, Role,
    RollbackPlan, Served, Signoff, SignoffRule, SignoffStanding,
};
use crate::error::{CoreError, CoreResult};
use crate::policy::Action;

/// How much of the reviewable text the page carries; the rest is served when the reviewer asks
/// for it, so the server knows who was sent the whole text.
pub const PAGE_TEXT_CHARS: usize = 2_000;

#[derive(Debug, Clone)]
pub struct GateView {
    pub detail: ChangeDetail,
    /// The current version's reviewable text as the page carries it (claim spans point into the
    /// whole text, of which this is the start): whole up to [`PAGE_TEXT_CHARS`].
    pub text: String,
    /// Whether `text` is the whole text.
    pub text_complete: bool,
    /// Words in the whole text.
    pub words: usize,
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
    /// Whether there is a previous version to compare with (the diff is served on request).
    pub has_diff: bool,
    /// The ledger event that wrote the current version (its content hash and provenance).
    pub version_event_seq: Option<i64>,
    /// Who separation of duties keeps from signing, by name, and why.
    pub excluded: Vec<ExcludedPerson>,
    /// Every link and media URL of the current version, with its full host.
    pub outbound: Vec<OutboundLink>,
    /// Every delivery on the change's behalf, read with its status.
    pub effects: Vec<crate::domain::Effect>,
    /// For a variant set, every variant (the base first) as the reviewer sees it; empty for a
    /// single draft.
    pub variants: Vec<VariantReview>,
    /// The template the draft declared: pre-approved under it, or what kept it from that.
    pub template_use: Option<crate::domain::TemplateUse>,
    /// Who approved that template, and when (for "pre-approved under T, approved by A and B").
    pub template: Option<crate::domain::Template>,
}

/// One variant of a set at the gate: what it is, where it goes, and how it differs from the
/// base (which the page shows in full).
#[derive(Debug, Clone)]
pub struct VariantReview {
    pub name: String,
    pub audience: crate::domain::Audience,
    pub target_ref: String,
    pub format: crate::domain::ContentFormat,
    pub content_hash: String,
    pub words: usize,
    /// Its exact bytes against the base's, line by line; empty for the base.
    pub diff_from_base: Vec<DiffLine>,
    /// Its links and media; `changed` when the base does not have them.
    pub outbound: Vec<OutboundLink>,
}

/// The variants of a set for review: each diffed against the base.
fn variant_reviews(version: &crate::domain::ChangeVersion) -> Vec<VariantReview> {
    let Some(base) = version.variants.first() else {
        return Vec::new();
    };
    let base_urls: Vec<String> = outbound_urls(&base.content.text, base.content.format)
        .into_iter()
        .map(|u| u.url)
        .collect();
    version
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| VariantReview {
            name: v.name.as_str().to_owned(),
            audience: v.audience,
            target_ref: v.target_ref.clone(),
            format: v.content.format,
            content_hash: v.content.hash.clone(),
            words: reviewable_text(&v.content.text, v.content.format)
                .split_whitespace()
                .count(),
            diff_from_base: if i == 0 {
                Vec::new()
            } else {
                line_diff(&base.content.text, &v.content.text)
            },
            outbound: outbound_urls(&v.content.text, v.content.format)
                .into_iter()
                .map(|url| {
                    let changed = i > 0 && !base_urls.contains(&url.url);
                    OutboundLink { url, changed }
                })
                .collect(),
        })
        .collect()
}

/// A URL the content links to or loads; `changed` when the previous version did not have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundLink {
    pub url: crate::domain::OutboundUrl,
    pub changed: bool,
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
        self.authorize(actor, Action::ViewQueue, &crate::policy::Resource::Console)?;
        // The status and the deliveries the page shows come from one snapshot.
        let (change, effects) = self
            .store
            .change_with_effects(id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        let (detail, workflow) = self.detail_of(change).await?;
        let change = &detail.change;
        let current = detail
            .versions
            .iter()
            .find(|v| v.version == change.current_version)
            .cloned()
            .ok_or(CoreError::NotFound("version"))?;
        let whole = reviewable_text(&current.content.text, current.content.format);
        let words = whole.split_whitespace().count();
        let text_complete = whole.chars().count() <= PAGE_TEXT_CHARS;
        let text: String = whole.chars().take(PAGE_TEXT_CHARS).collect();
        if let Actor::Human { id: me, .. } = actor {
            self.store
                .record_review_view(
                    id,
                    change.current_version,
                    *me,
                    Served::Page {
                        whole_text: text_complete,
                    },
                    self.now_ms(),
                )
                .await?;
        }
        let previous = detail
            .versions
            .iter()
            .find(|v| v.version == change.current_version - 1);
        let before: Vec<String> = previous
            .map(|p| outbound_urls(&p.content.text, p.content.format))
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.url)
            .collect();
        let has_diff = previous.is_some();
        let outbound = outbound_urls(&current.content.text, current.content.format)
            .into_iter()
            .map(|url| {
                let changed = previous.is_some() && !before.contains(&url.url);
                OutboundLink { url, changed }
            })
            .collect();
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

        // The workflow and the drafter were read with the detail: not read again.
        let (excluded, workflow, drafter) = self
            .exclusions_given(change, workflow, detail.drafted_by.clone())
            .await?;
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
        let template_use = self.store.template_use(id).await?;
        let template = match &template_use {
            Some(used) => self.store.template(&used.template_id).await?,
            None => None,
        };
        Ok(GateView {
            template_use,
            template,
            variants: variant_reviews(&current),
            effects,
            excluded: named,
            outbound,
            claims_reviewed: self.claims_reviewed(change),
            detail,
            text,
            text_complete,
            words,
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
            has_diff,
            version_event_seq,
        })
    }
}

impl Services {
    /// The whole reviewable text of a version, when the reviewer asks for the rest of it; the
    /// console notes that it was served to them.
    pub async fn full_review_text(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
    ) -> CoreResult<String> {
        self.authorize(actor, Action::ViewQueue, &crate::policy::Resource::Console)?;
        let current = self
            .store
            .change_versions(id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or(CoreError::NotFound("version"))?;
        if let Actor::Human { id: me, .. } = actor {
            self.store
                .record_review_view(id, version, *me, Served::FullText, self.now_ms())
                .await?;
        }
        Ok(reviewable_text(
            &current.content.text,
            current.content.format,
        ))
    }

    /// What changed in the exact published bytes since the previous version (a changed link
    /// target or attribute shows); the console notes that it was served to the reviewer.
    pub async fn review_diff(&self, actor: &Actor, id: &str) -> CoreResult<Vec<DiffLine>> {
        self.authorize(actor, Action::ViewQueue, &crate::policy::Resource::Console)?;
        let change = self
            .store
            .change(id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        let versions = self.store.change_versions(id).await?;
        let find = |n: i64| versions.iter().find(|v| v.version == n);
        let (Some(previous), Some(current)) = (
            find(change.current_version - 1),
            find(change.current_version),
        ) else {
            return Err(CoreError::NotFound("previous version"));
        };
        if let Actor::Human { id: me, .. } = actor {
            self.store
                .record_review_view(id, change.current_version, *me, Served::Diff, self.now_ms())
                .await?;
        }
        Ok(line_diff(&previous.content.text, &current.content.text))
    }
}
