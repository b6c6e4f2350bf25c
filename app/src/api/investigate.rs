//! The Investigate page: a thin adapter over the core's `investigate`, which checks who may
//! search, reads the answer and records the search in the ledger.

use crate::dto_investigate::InvestigationView;
use crate::error::UiError;
use leptos::prelude::*;

/// How much of a prompt the page carries.
#[cfg(feature = "ssr")]
const PROMPT_CHARS: usize = 4_000;

#[cfg(feature = "ssr")]
mod convert {
    use super::super::gate::when;
    use crate::dto_investigate::*;
    use countersign_core::services::{ChangeChain, Delivery, SubjectDecision};

    pub fn delivery(d: &Delivery) -> DeliveryLine {
        DeliveryLine {
            kind: d.kind.as_str().to_owned(),
            state: d.state.as_str().to_owned(),
            variant: d.variant.clone(),
            target: d.target.clone(),
            at: when(d.at),
            receipt_version: d.receipt_version.clone(),
        }
    }

    pub fn standing(s: &countersign_core::domain::SubjectStanding) -> String {
        use countersign_core::domain::SubjectStanding;
        match s {
            SubjectStanding::Allowed(basis) => format!("allowed under {}", basis.replace('_', " ")),
            SubjectStanding::Denied(reason) => format!("denied: {}", reason.replace('_', " ")),
        }
    }

    pub fn decision(d: &SubjectDecision) -> SubjectDecisionView {
        SubjectDecisionView {
            id: d.id.clone(),
            decided: when(d.decided_at),
            workflow: d.workflow_name.clone(),
            step: d.step_name.clone(),
            agent: d.agent_name.clone(),
            purpose: d.purpose.clone(),
            allowed: d.standing.allowed(),
            standing: standing(&d.standing),
            fields: d.fields.clone(),
            citing: d
                .citing
                .iter()
                .map(|c| CitingView {
                    id: c.change.id.clone(),
                    title: c.change.title.clone(),
                    status: c.change.status.as_str().replace('_', " "),
                    versions: c
                        .versions
                        .iter()
                        .map(|v| format!("v{v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    current_cites: c.current_cites,
                    target: format!("{} · {}", c.target_system, c.change.target_ref),
                    deliveries: c.deliveries.iter().map(delivery).collect(),
                })
                .collect(),
        }
    }

    pub fn chain(c: &ChangeChain) -> ChainView {
        let provenance = c.version.as_ref().map(|v| &v.provenance);
        let prompt = provenance.map(|p| p.prompt.as_str()).unwrap_or_default();
        ChainView {
            id: c.change.id.clone(),
            title: c.change.title.clone(),
            status: c.change.status.as_str().replace('_', " "),
            tier: c.change.tier,
            drafted: when(c.change.created_at),
            workflow: c.workflow_name.clone(),
            workflow_id: c.change.workflow.to_string(),
            step: c.step_name.clone(),
            target: format!("{} · {}", c.target_system, c.change.target_ref),
            agent: c.agent.as_ref().map(|a| AgentLine {
                id: a.id.reference(),
                name: a.name.clone(),
                kind: a.kind.as_str().to_owned(),
                state: a.state.as_str().to_owned(),
                owners: a
                    .owners
                    .iter()
                    .map(|o| OwnerLine {
                        name: o.name.clone(),
                        active: o.active,
                    })
                    .collect(),
            }),
            model: provenance
                .map(|p| format!("{} ({})", p.model, p.model_version))
                .unwrap_or_default(),
            prompt: prompt.chars().take(super::PROMPT_CHARS).collect(),
            prompt_cut: prompt.chars().count() > super::PROMPT_CHARS,
            fields_used: provenance
                .map(|p| p.fields_used.clone())
                .unwrap_or_default(),
            data_sources: provenance
                .map(|p| p.data_sources.clone())
                .unwrap_or_default(),
            content_hash: c.change.current_hash.clone(),
            decisions: c
                .decisions
                .iter()
                .map(|d| ChainDecisionView {
                    id: d.id.clone(),
                    purpose: d.purpose.clone(),
                    decided: when(d.decided_at),
                    fields: d.fields.clone(),
                    allowed: d.subjects_allowed,
                    denied: d.subjects_denied,
                })
                .collect(),
            reviewers: c
                .signoffs
                .iter()
                .map(|s| ReviewerLine {
                    name: match &s.on_behalf_of {
                        Some((_, away)) => format!("{} for {away}", s.signer_name),
                        None => s.signer_name.clone(),
                    },
                    role: s.role.label().to_owned(),
                    verdict: s.verdict.label().to_owned(),
                    at: when(s.at),
                    comment: s.comment.as_str().to_owned(),
                })
                .collect(),
            pre_approved: c.template_use.as_ref().filter(|u| u.pre_approved).map(|u| {
                let approval = c.template.as_ref().map_or_else(String::new, |t| {
                    format!(", {}", super::super::gate::template_approval(t))
                });
                format!(
                    "Pre-approved under template “{}”{approval}",
                    u.template_name
                )
            }),
            deliveries: c.deliveries.iter().map(delivery).collect(),
            may_revoke: c.may_revoke,
            workflow_revoked: c.workflow_revoked,
        }
    }
}

/// One search: `kind` is subject, target or change; `before` pages a subject's decisions.
#[server(prefix = "/ui", endpoint = "investigate")]
pub async fn investigate(
    kind: String,
    q: String,
    before: Option<String>,
) -> Result<InvestigationView, UiError> {
    use crate::dto_investigate::SubjectTraceView;
    let (services, actor) = super::adapter::request()?;
    let found = services
        .investigate(&actor, &kind, &q, before.as_deref())
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let subject = found.subject.as_ref().map(|trace| {
        let mut changes = std::collections::BTreeMap::new();
        for c in trace.decisions.iter().flat_map(|d| &d.citing) {
            let published = c.deliveries.iter().any(|d| {
                d.kind == countersign_core::domain::EffectKind::Publish
                    && d.state == countersign_core::domain::OutboxState::Delivered
            });
            *changes.entry(c.change.id.as_str()).or_insert(false) |= published;
        }
        SubjectTraceView {
            total: trace.total,
            decisions: trace.decisions.iter().map(convert::decision).collect(),
            next: trace
                .next
                .as_ref()
                .map(countersign_core::services::cursor_text),
            changes: changes.len(),
            published: changes.values().filter(|p| **p).count(),
        }
    });
    Ok(InvestigationView {
        kind: found.query.kind().to_owned(),
        query: found.query.value().to_owned(),
        subject,
        chains: found.chains.iter().map(convert::chain).collect(),
        recorded_seq: found.recorded_seq,
    })
}
