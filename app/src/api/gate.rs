//! Server functions of the approval gate: sign off, mark and judge claims, write the rollback
//! plan. Thin adapters: every rule is the core's.

use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(super) fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "approved by A and B on 2026-11-30": who approved a template, and when.
#[cfg(feature = "ssr")]
pub(super) fn template_approval(template: &countersign_core::domain::Template) -> String {
    format!(
        "approved by {}{}",
        template.approved_by.join(" and "),
        template
            .approved_at
            .map(|at| format!(" on {}", at.format("%Y-%m-%d")))
            .unwrap_or_default()
    )
}

#[cfg(feature = "ssr")]
pub(super) fn dwell(ms: i64) -> String {
    if ms >= 120_000 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} s", ms / 1000)
    }
}

/// The core's gate view as the page needs it.
#[cfg(feature = "ssr")]
pub(super) fn gate_dto(view: &countersign_core::services::GateView) -> crate::dto_gate::GateView {
    use crate::dto_gate::{
        ClaimView, EvidenceView, ExcludedView, GateView, RoleProgressView, RollbackView,
        SignoffView,
    };
    use countersign_core::domain::{render_safe_html, CLAIM_RULES};
    let change = &view.detail.change;
    let current = view
        .detail
        .versions
        .iter()
        .find(|v| v.version == change.current_version);
    let rule_label = |id: &str| {
        CLAIM_RULES
            .iter()
            .find(|r| r.source.id == id)
            .map_or_else(|| id.to_owned(), |r| r.source.label.clone())
    };
    let words = view.words;
    let names = |ids: &[countersign_core::domain::HumanId]| -> Vec<String> {
        ids.iter()
            .map(|id| {
                view.signoffs
                    .iter()
                    .find(|(s, _)| s.signer == *id)
                    .map_or_else(|| id.to_string(), |(s, _)| s.signer_name.clone())
            })
            .collect()
    };
    GateView {
        current_version: change.current_version,
        current_hash: change.current_hash.clone(),
        rendered_html: current
            .map(|v| render_safe_html(&v.content.text, v.content.format))
            .unwrap_or_default(),
        text: view.text.clone(),
        text_complete: view.text_complete,
        words,
        claims: view
            .claims
            .iter()
            .map(|c| ClaimView {
                id: c.id.clone(),
                variant: c.variant.clone(),
                start: c.span.start,
                end: c.span.end,
                quote: c.quote.clone(),
                rules: c.rules.iter().map(|r| rule_label(r)).collect(),
                marked_by: c.marked_by.clone(),
                status: c.status.as_str().to_owned(),
                status_label: c.status.label().to_owned(),
                evidence: c.evidence.clone(),
                comment: c.comment.clone(),
                reviewed: c
                    .reviewed_by
                    .as_ref()
                    .zip(c.reviewed_at)
                    .map(|(who, at)| format!("{who}, {}", when(at))),
                event_seq: c.event_seq,
            })
            .collect(),
        claims_reviewed: view.claims_reviewed,
        rollback: view.rollback.as_ref().map(|p| RollbackView {
            steps: p.plan.steps.clone(),
            restores: p.plan.previous.describe(),
            written: format!("{}, {}", p.written_by, when(p.written_at)),
            revision: p.revision,
            event_seq: p.event_seq,
        }),
        signoffs: view
            .signoffs
            .iter()
            .rev()
            .map(|(s, standing)| SignoffView {
                signer: match &s.on_behalf_of {
                    Some((_, name)) => format!("{} for {name}", s.signer_name),
                    None => s.signer_name.clone(),
                },
                role: s.role.label().to_owned(),
                decision: s.verdict.as_str().to_owned(),
                decision_label: s.verdict.label().to_owned(),
                comment: s.comment.as_str().to_owned(),
                at: when(s.at),
                version: s.version,
                content_hash: s.content_hash.clone(),
                standing: standing.label().to_owned(),
                opened_full_content: s.quality.opened_full_content,
                viewed_diff: s.quality.viewed_diff,
                dwell: dwell(s.quality.dwell_ms),
                hasty: s.verdict == countersign_core::domain::Verdict::Approve
                    && s.quality.is_hasty(words),
                event_seq: s.event_seq,
            })
            .collect(),
        rule: view.rule.to_string(),
        quorum: view
            .quorum
            .roles
            .iter()
            .map(|p| RoleProgressView {
                role: p.role.label().to_owned(),
                need: p.need,
                approvals: names(&p.approvals),
                met: p.met(),
            })
            .collect(),
        quorum_met: view.quorum.met(),
        evidence: view
            .evidence
            .checks
            .iter()
            .map(|c| EvidenceView {
                key: c.key.to_owned(),
                label: c.label.to_owned(),
                problems: c.problems.clone(),
            })
            .collect(),
        evidence_complete: view.evidence.complete(),
        sign_as: view
            .sign_as
            .iter()
            .map(|r| (r.as_str().to_owned(), r.label().to_owned()))
            .collect(),
        cannot_sign: view.cannot_sign.clone(),
        stand_in_for: Vec::new(),
        may_review_claims: view.may_review_claims,
        may_edit_rollback: view.may_edit_rollback,
        version_event_seq: view.version_event_seq,
        source: current.map(|v| v.content.text.clone()).unwrap_or_default(),
        format: current
            .map(|v| v.content.format.as_str().to_owned())
            .unwrap_or_default(),
        outbound: view.outbound.iter().map(outbound_view).collect(),
        excluded: view
            .excluded
            .iter()
            .map(|e| ExcludedView {
                name: e.name.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        has_diff: view.has_diff,
        variants: variant_views(view),
        template_use: view.template_use.as_ref().map(|u| {
            let approval = view
                .template
                .as_ref()
                .map_or_else(String::new, template_approval);
            crate::dto_templates::TemplateUseView {
                template_id: u.template_id.clone(),
                template: u.template_name.clone(),
                pre_approved: u.pre_approved,
                approval,
                values: u.values.clone().into_iter().collect(),
                problems: u.problems.clone(),
            }
        }),
    }
}

#[cfg(feature = "ssr")]
fn outbound_view(o: &countersign_core::services::OutboundLink) -> crate::dto_gate::OutboundView {
    use countersign_core::domain::UrlUse;
    crate::dto_gate::OutboundView {
        kind: match o.url.use_ {
            UrlUse::Link => "Link",
            UrlUse::Media => "Image",
        }
        .to_owned(),
        url: o.url.url.clone(),
        host: if o.url.host.is_empty() {
            "—".to_owned()
        } else {
            o.url.host.clone()
        },
        label: o.url.label.trim().to_owned(),
        changed: o.changed,
    }
}

/// The variants of a set, each with its claims counted and its delivery as the outbox has it.
#[cfg(feature = "ssr")]
fn variant_views(view: &countersign_core::services::GateView) -> Vec<crate::dto_gate::VariantView> {
    use crate::dto_gate::{DiffLineView, VariantView};
    use countersign_core::domain::{DiffKind, EffectKind, OutboxState};
    let delivery = |name: &str| -> Option<String> {
        let of_variant = |kind: EffectKind| {
            view.effects.iter().rev().find(|e| {
                e.kind == kind
                    && serde_json::from_str::<serde_json::Value>(&e.body)
                        .ok()
                        .and_then(|b| b.get("variant")?.as_str().map(|v| v == name))
                        .unwrap_or(false)
            })
        };
        let described = |e: &countersign_core::domain::Effect, done: &str| match e.state {
            OutboxState::Delivered => Some(match e.parsed_receipt() {
                Some(r) => format!(
                    "{done}{} (receipt {})",
                    r.version.map(|v| format!(" as {v}")).unwrap_or_default(),
                    r.receipt_id
                ),
                None => done.to_owned(),
            }),
            OutboxState::Pending => Some(format!("{} under way", e.kind.as_str())),
            OutboxState::Dead => Some(format!("{} failed", e.kind.as_str())),
            OutboxState::Cancelled => Some(format!("{} cancelled", e.kind.as_str())),
        };
        of_variant(EffectKind::Rollback)
            .and_then(|e| described(e, "rolled back"))
            .or_else(|| of_variant(EffectKind::Publish).and_then(|e| described(e, "published")))
    };
    view.variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let key = if i == 0 { "" } else { v.name.as_str() };
            let claims: Vec<_> = view.claims.iter().filter(|c| c.variant == key).collect();
            VariantView {
                name: v.name.clone(),
                audience: v.audience.as_str().to_owned(),
                target: v.target_ref.clone(),
                format: v.format.as_str().to_owned(),
                content_hash: v.content_hash.clone(),
                words: v.words,
                diff: v
                    .diff_from_base
                    .iter()
                    .map(|l| DiffLineView {
                        kind: match l.kind {
                            DiffKind::Same => "same",
                            DiffKind::Added => "added",
                            DiffKind::Removed => "removed",
                        }
                        .to_owned(),
                        text: l.text.clone(),
                    })
                    .collect(),
                outbound: v.outbound.iter().map(outbound_view).collect(),
                open_claims: claims.iter().filter(|c| c.unresolved()).count(),
                claims: claims.len(),
                delivery: delivery(&v.name),
            }
        })
        .collect()
}

/// The whole reviewable text of a version (the page carries only its start when it is long).
#[server(prefix = "/ui", endpoint = "full_text")]
pub async fn load_full_text(change: String, version: i64) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .full_review_text(&actor, &change, version)
        .await
        .map_err(|e| UiError::from_core(e, &actor))
}

/// What changed in the published bytes since the previous version.
#[server(prefix = "/ui", endpoint = "diff")]
pub async fn load_diff(change: String) -> Result<Vec<crate::dto_gate::DiffLineView>, UiError> {
    use countersign_core::domain::DiffKind;
    let (services, actor) = super::adapter::request()?;
    let lines = services
        .review_diff(&actor, &change)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(lines
        .into_iter()
        .map(|l| crate::dto_gate::DiffLineView {
            kind: match l.kind {
                DiffKind::Same => "same",
                DiffKind::Added => "added",
                DiffKind::Removed => "removed",
            }
            .to_owned(),
            text: l.text,
        })
        .collect())
}

#[server(prefix = "/ui", endpoint = "sign_off", input = leptos::server_fn::codec::Json)]
pub async fn sign_off_change(form: crate::dto_gate::SignoffForm) -> Result<String, UiError> {
    use countersign_core::services::SignoffInput;
    let (services, actor) = super::adapter::request()?;
    let on_behalf_of = form
        .on_behalf_of
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| super::adapter::parse_id("on_behalf_of", p))
        .transpose()?;
    let outcome = services
        .sign_off_for(
            &actor,
            &form.change,
            SignoffInput {
                role: form.role,
                verdict: form.decision,
                comment: form.comment,
                content_hash: form.content_hash,
            },
            on_behalf_of,
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let (have, need) = outcome.quorum.have_need();
    Ok(match outcome.status.as_str() {
        "approved" => "Signed. The quorum is met: the change is approved.".to_owned(),
        "rejected" => "Signed. The change is rejected.".to_owned(),
        "changes_requested" => {
            "Signed. The change goes back to its agent with your comment.".to_owned()
        }
        _ => format!("Signed. {have} of {need} approvals are in."),
    })
}

#[server(prefix = "/ui", endpoint = "mark_claim")]
pub async fn mark_claim(
    change: String,
    version: i64,
    start: usize,
    end: usize,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let claim = services
        .mark_claim(&actor, &change, version, start, end)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!("Marked “{}” as a claim.", claim.quote))
}

#[server(prefix = "/ui", endpoint = "review_claim")]
pub async fn review_claim(
    change: String,
    claim: String,
    status: String,
    evidence: String,
    comment: String,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let claim = services
        .review_claim(&actor, &change, &claim, &status, &evidence, &comment)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!(
        "“{}” is {}.",
        claim.quote,
        claim.status.label().to_lowercase()
    ))
}

#[server(prefix = "/ui", endpoint = "rollback_plan")]
pub async fn save_rollback_plan(
    change: String,
    steps: String,
    previous: String,
    first_publication: bool,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let plan = services
        .set_rollback_plan(&actor, &change, &steps, &previous, first_publication)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!(
        "Rollback plan saved (revision {}): {}.",
        plan.revision,
        plan.plan.previous.describe()
    ))
}
