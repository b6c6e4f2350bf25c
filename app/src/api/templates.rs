//! Pre-approved templates: the list with the proposal form, one template with its sign-offs and
//! the changes made under it, and the queue's spot-check view of pre-approved changes.

use crate::dto_templates::{TemplateDetailView, TemplatedChangeView, TemplatesView};
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn day(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

#[cfg(feature = "ssr")]
fn row(
    t: &countersign_core::domain::Template,
    workflows: &[countersign_core::domain::Workflow],
    now: chrono::DateTime<chrono::Utc>,
) -> crate::dto_templates::TemplateRowView {
    use countersign_core::domain::TemplateState;
    let expired = t.state == TemplateState::Approved && now >= t.expires_at;
    crate::dto_templates::TemplateRowView {
        id: t.id.clone(),
        name: t.name.clone(),
        workflow: workflows
            .iter()
            .find(|w| w.id == t.workflow)
            .map_or_else(|| t.workflow.reference(), |w| w.name.clone()),
        tier: t.tier,
        state: if expired { "expired" } else { t.state.as_str() }.to_owned(),
        expires: day(t.expires_at),
        approved_by: t.approved_by.clone(),
        proposed_by: t.proposed_by_name.clone(),
    }
}

#[cfg(feature = "ssr")]
pub(super) fn values_line(values: &std::collections::BTreeMap<String, String>) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(feature = "ssr")]
fn templated(c: countersign_core::store::TemplatedChange) -> TemplatedChangeView {
    TemplatedChangeView {
        values: values_line(&c.values),
        change_id: c.change_id,
        title: c.title,
        status: c.status.replace('_', " "),
        template_id: c.template_id,
        template: c.template_name,
        pre_approved: c.pre_approved,
        at: super::gate::when(c.at),
    }
}

#[server(prefix = "/ui", endpoint = "templates")]
pub async fn load_templates() -> Result<TemplatesView, UiError> {
    use countersign_core::policy::{Action, Resource};
    let (services, actor) = super::adapter::request()?;
    let templates = services
        .templates(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let workflows = services
        .store()
        .workflows()
        .await
        .map_err(|e| UiError::from_core(e.into(), &actor))?;
    let now = services.clock().now();
    Ok(TemplatesView {
        templates: templates.iter().map(|t| row(t, &workflows, now)).collect(),
        workflows: workflows
            .iter()
            .filter(|w| {
                w.tier.number() < 3 && w.state != countersign_core::domain::WorkflowState::Revoked
            })
            .map(|w| {
                (
                    w.id.to_string(),
                    format!("{} · tier {}", w.name, w.tier.number()),
                )
            })
            .collect(),
        may_propose: services
            .authorize(&actor, Action::ProposeTemplate, &Resource::Console)
            .is_ok(),
        allowed_tiers: services.settings().template_tiers.describe(),
    })
}

#[server(prefix = "/ui", endpoint = "template")]
pub async fn load_template(id: String) -> Result<TemplateDetailView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let detail = services
        .template_detail(&actor, &id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let workflows = services
        .store()
        .workflows()
        .await
        .map_err(|e| UiError::from_core(e.into(), &actor))?;
    let now = services.clock().now();
    let t = &detail.template;
    let rule = detail
        .needs
        .iter()
        .map(|(role, n)| format!("{n} {}", role.label().to_lowercase()))
        .collect::<Vec<_>>()
        .join(" + ");
    Ok(TemplateDetailView {
        row: row(t, &workflows, now),
        text: t.body.text.clone(),
        format: t.body.format.as_str().to_owned(),
        audience: t.body.audience.as_str().to_owned(),
        slots: t
            .body
            .slots
            .iter()
            .map(|s| crate::dto_templates::SlotView {
                name: s.name.as_str().to_owned(),
                allowed: s.allowed.join(", "),
                pattern: s.pattern.clone().unwrap_or_default(),
                max_chars: s.max_chars,
                no_claims: s.no_claims,
            })
            .collect(),
        rollback_steps: t.body.rollback_steps.clone(),
        hash: t.hash.clone(),
        rule,
        signoffs: detail
            .signoffs
            .iter()
            .map(|s| crate::dto_templates::TemplateSignoffView {
                signer: s.signer_name.clone(),
                role: s.role.label().to_owned(),
                decision: if s.approve { "Approved" } else { "Rejected" }.to_owned(),
                comment: s.comment.clone(),
                at: super::gate::when(s.at),
            })
            .collect(),
        changes: detail.changes.into_iter().map(templated).collect(),
        sign_as: detail
            .sign_as
            .iter()
            .map(|role| (role.as_str().to_owned(), role.label().to_owned()))
            .collect(),
        cannot_sign: detail.cannot_sign.clone(),
        may_withdraw: detail.may_withdraw,
        withdrawn: t.withdrawn_at.map(|at| {
            format!(
                "Withdrawn {}: {}",
                super::gate::when(at),
                t.withdrawn_reason.clone().unwrap_or_default()
            )
        }),
    })
}

/// Proposes a template; `proposal` is the form as JSON (its slots are a list).
#[server(prefix = "/ui", endpoint = "propose_template")]
pub async fn propose_template(proposal: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let input: countersign_core::services::ProposeTemplate = serde_json::from_str(&proposal)
        .map_err(|e| crate::error::refuse(UiError::Invalid(format!("the form: {e}"))))?;
    let template = services
        .propose_template(&actor, input)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(template.id)
}

#[server(prefix = "/ui", endpoint = "sign_template")]
pub async fn sign_template(
    id: String,
    role: String,
    decision: String,
    comment: String,
    template_hash: String,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(crate::error::refuse(UiError::Invalid(
                "decision: approve or reject".to_owned(),
            )))
        }
    };
    let template = services
        .sign_template(&actor, &id, &role, approve, &comment, &template_hash)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(match template.state.as_str() {
        "approved" => format!(
            "Signed. The template is approved: drafts that fill it within its constraints are \
             approved by policy until {}.",
            day(template.expires_at)
        ),
        "rejected" => "Signed. The template is rejected.".to_owned(),
        _ => "Signed. It waits for the rest of its quorum.".to_owned(),
    })
}

#[server(prefix = "/ui", endpoint = "withdraw_template")]
pub async fn withdraw_template(id: String, reason: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .withdraw_template(&actor, &id, &reason)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok("Withdrawn. No draft is approved under it from now on, and publications queued under it are refused.".to_owned())
}

/// Changes policy approved under a template in the last `days` days (the queue's spot checks).
#[server(prefix = "/ui", endpoint = "pre_approved")]
pub async fn load_pre_approved(days: i64) -> Result<Vec<TemplatedChangeView>, UiError> {
    let (services, actor) = super::adapter::request()?;
    Ok(services
        .pre_approved_recently(&actor, days)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?
        .into_iter()
        .map(templated)
        .collect())
}
