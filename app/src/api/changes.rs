//! Server functions for the queue and a change's detail: thin adapters over the core.

use crate::dto::ChangeDetailView;
use crate::dto_gate::{QueueFilters, QueueView};
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A deadline's distance: hours until two days, so "47 h" is not rounded down to "1 d".
#[cfg(feature = "ssr")]
fn span(later: chrono::DateTime<chrono::Utc>, earlier: chrono::DateTime<chrono::Utc>) -> String {
    let span = later - earlier;
    if span.num_hours() >= 48 {
        format!("{} d", span.num_days())
    } else if span.num_hours() >= 1 {
        format!("{} h", span.num_hours())
    } else {
        format!("{} min", span.num_minutes().max(0))
    }
}

#[cfg(feature = "ssr")]
fn age(now: chrono::DateTime<chrono::Utc>, at: chrono::DateTime<chrono::Utc>) -> String {
    let age = now - at;
    if age.num_days() >= 1 {
        format!("{} d", age.num_days())
    } else if age.num_hours() >= 1 {
        format!("{} h", age.num_hours())
    } else {
        format!("{} min", age.num_minutes().max(0))
    }
}

#[server(prefix = "/ui", endpoint = "queue")]
pub async fn load_queue(filters: QueueFilters) -> Result<QueueView, UiError> {
    use crate::dto_gate::ChangeRowView;
    use countersign_core::domain::{Audience, ChangeStatus};
    use countersign_core::services::QueueQuery;
    let (services, actor) = super::adapter::request()?;
    let bad = |field: &str, value: &str| {
        UiError::Invalid(format!(
            "{field}: `{}` is not one of the choices",
            value.chars().take(40).collect::<String>()
        ))
    };
    fn text(raw: &str) -> Option<&str> {
        Some(raw.trim()).filter(|v| !v.is_empty())
    }
    let query = QueueQuery {
        needs_my_role: filters.view != "all",
        status: text(&filters.status)
            .map(|s| ChangeStatus::parse(s).ok_or_else(|| bad("status", s)))
            .transpose()?,
        tier: text(&filters.tier)
            .map(|t| {
                t.parse()
                    .ok()
                    .filter(|n| (1..=3).contains(n))
                    .ok_or_else(|| bad("tier", t))
            })
            .transpose()?,
        workflow: text(&filters.workflow)
            .map(|w| super::adapter::parse_id("workflow", w))
            .transpose()?,
        channel: text(&filters.channel).map(|c| c.chars().take(40).collect()),
        audience: text(&filters.audience)
            .map(|a| Audience::parse(a).map_err(|_| bad("audience", a)))
            .transpose()?,
        older_than_hours: text(&filters.age)
            .map(|h| {
                h.parse()
                    .ok()
                    .filter(|n| (1..=8760).contains(n))
                    .ok_or_else(|| bad("age", h))
            })
            .transpose()?,
        newest_first: filters.sort == "newest",
        after: text(&filters.after).map(str::to_owned),
    };
    let page = services
        .review_queue(&actor, &query)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let workflows = services
        .queue_workflows(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let now = services.clock().now();
    Ok(QueueView {
        changes: page
            .rows
            .into_iter()
            .map(|(summary, badges)| (services.review_due(&summary.change), summary, badges))
            .map(|(due, summary, badges)| ChangeRowView {
                due: due.map(|due| {
                    if due <= now {
                        format!("overdue by {}", span(now, due))
                    } else {
                        format!("due in {}", span(due, now))
                    }
                }),
                overdue: due.is_some_and(|due| due <= now),
                age: age(now, summary.change.created_at),
                id: summary.change.id,
                title: summary.change.title,
                workflow: summary.workflow,
                tier: summary.change.tier,
                status: summary.change.status.as_str().to_owned(),
                channel: summary.change.channel,
                audience: summary.change.audience.as_str().to_owned(),
                drafted_by: summary.drafted_by,
                owners: summary.owners,
                version: summary.change.current_version,
                provenance: badges.provenance,
                legal_basis: badges.legal_basis,
                rollback_plan: badges.rollback_plan,
                open_claims: badges.open_claims,
                approvals: badges.approvals.0,
                approvals_needed: badges.approvals.1,
            })
            .collect(),
        total: page.counts.total,
        by_tier: page.counts.by_tier,
        capped: page.counts.capped,
        next: page.next,
        workflows: workflows
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        my_roles: page
            .my_signing_roles
            .into_iter()
            .map(|r| r.label().to_owned())
            .collect(),
    })
}

#[server(prefix = "/ui", endpoint = "change")]
pub async fn load_change(id: String) -> Result<ChangeDetailView, UiError> {
    use crate::dto::{DecisionView, VersionView};
    let (services, actor) = super::adapter::request()?;
    let view = services
        .gate_view(&actor, &id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let mut gate = super::gate::gate_dto(&view);
    // Whom the reader stands in for now, in a role this change needs of them.
    let now = services.clock().now();
    gate.stand_in_for = services
        .away_overview(&actor)
        .await
        .map(|away| away.standing_in_for)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.active_at(now) && view.sign_as.contains(&d.role))
        .map(|d| {
            (
                d.principal.to_string(),
                d.principal_name,
                d.role.as_str().to_owned(),
                d.role.label().to_owned(),
            )
        })
        .collect();
    let effects =
        super::effects::change_effects(&services, &actor, &view.detail.change, &view.effects)
            .await
            .map_err(|e| UiError::from_core(e, &actor))?;
    let detail = view.detail;
    let change = detail.change;
    let stated = detail
        .versions
        .iter()
        .find(|v| v.version == change.current_version)
        .map(|v| v.provenance.legal_bases.clone())
        .unwrap_or_default();
    Ok(ChangeDetailView {
        id: change.id,
        title: change.title,
        status: change.status.as_str().to_owned(),
        tier: change.tier,
        workflow: detail.workflow,
        step: detail.step,
        channel: change.channel,
        audience: change.audience.as_str().to_owned(),
        purpose: change.purpose,
        target: format!("{} · {}", detail.target_system, change.target_ref),
        drafted_by: detail
            .drafted_by
            .as_ref()
            .map(|n| n.name.clone())
            .unwrap_or_default(),
        model_of_agent: detail.drafted_by.as_ref().and_then(|n| n.model.clone()),
        owners: detail
            .drafted_by
            .map(|n| n.owners.into_iter().map(|o| o.name).collect())
            .unwrap_or_default(),
        created_at: when(change.created_at),
        effects,
        versions: detail
            .versions
            .into_iter()
            .rev()
            .map(|v| VersionView {
                version: v.version,
                submitted_at: when(v.submitted_at),
                content: v.content.text,
                format: v.content.format.as_str().to_owned(),
                content_hash: v.content.hash,
                model: v.provenance.model,
                model_version: v.provenance.model_version,
                prompt: v.provenance.prompt,
                system_prompt: v.provenance.system_prompt,
                data_sources: v.provenance.data_sources,
                fields_used: v.provenance.fields_used,
                tool_calls: v
                    .provenance
                    .tool_calls
                    .into_iter()
                    .map(|t| format!("{}: {} → {}", t.name, t.input, t.output))
                    .collect(),
                raw_output: v.provenance.raw_output,
            })
            .collect(),
        decisions: detail
            .decisions
            .into_iter()
            .map(|d| {
                let answer =
                    d.answer
                        .unwrap_or_else(|| countersign_core::services::AccessDecision {
                            decision_id: d.id.clone(),
                            allowed_fields: vec![],
                            denied_fields: vec![],
                            allowed_subjects: vec![],
                            denied_subjects: vec![],
                            expires_at: d.decided_at,
                        });
                DecisionView {
                    stated_basis: stated.get(&d.id).map(|b| b.replace('_', " ")),
                    id: d.id,
                    purpose: d.purpose,
                    decided_at: when(d.decided_at),
                    allowed_fields: answer.allowed_fields,
                    denied_fields: answer
                        .denied_fields
                        .into_iter()
                        .map(|f| format!("{} ({})", f.field, f.reason.replace('_', " ")))
                        .collect(),
                    allowed_subjects: answer
                        .allowed_subjects
                        .into_iter()
                        .map(|s| format!("{} ({})", s.subject, s.legal_basis.replace('_', " ")))
                        .collect(),
                    denied_subjects: answer
                        .denied_subjects
                        .into_iter()
                        .map(|s| format!("{} ({})", s.subject, s.reason.replace('_', " ")))
                        .collect(),
                }
            })
            .collect(),
        gate,
    })
}
