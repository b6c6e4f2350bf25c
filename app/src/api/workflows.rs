//! Server functions for workflows: the chains with their checklists and sign-offs, activation,
//! scope drift (changing a step's grant and reviewing widenings), and each identity's effective
//! privilege.

use crate::dto::{GrantInput, WorkflowsView};
use crate::dto_registry::WorkflowListView;
use crate::error::UiError;
use leptos::prelude::*;

/// One page of the workflows matching `q` (name or purpose) in `state`, each with how its
/// checklist stands.
#[server(prefix = "/ui", endpoint = "workflows")]
pub async fn load_workflows(
    q: Option<String>,
    state: Option<String>,
    page: Option<i64>,
) -> Result<WorkflowListView, UiError> {
    use crate::dto_registry::{PageInfo, WorkflowRowView};
    let (services, actor) = super::adapter::request()?;
    let core = |e| UiError::from_core(e, &actor);
    let listed = services
        .workflow_list(
            &actor,
            q.as_deref().unwrap_or_default(),
            state.as_deref(),
            page.unwrap_or(1),
        )
        .await
        .map_err(core)?;
    let shown: Vec<_> = listed.items.iter().map(|(w, _)| w).collect();
    let people = services
        .answerable_names(&actor, &shown)
        .await
        .map_err(core)?;
    Ok(WorkflowListView {
        can_manage: services.can_manage_workflows(&actor),
        rows: listed
            .items
            .into_iter()
            .map(|(workflow, checks)| WorkflowRowView {
                id: workflow.id.to_string(),
                owner: people.get(&workflow.owner).cloned().unwrap_or_default(),
                state: workflow.state.as_str().to_owned(),
                tier: workflow.tier.number(),
                steps: workflow.steps.len(),
                awaiting_review: workflow.steps.iter().any(|s| s.pending_grant.is_some()),
                checks_passed: checks.iter().filter(|c| c.passed).count(),
                checks: checks.len(),
                first_missing: checks.into_iter().find(|c| !c.passed).map(|c| c.text),
                name: workflow.name,
                purpose: workflow.purpose,
            })
            .collect(),
        paging: PageInfo {
            total: listed.total,
            page: listed.page,
            pages: listed.pages,
        },
    })
}

/// One workflow on its own page (`/workflows/{id}`): its chain, checklist, drift awaiting
/// review, kill switch or revocation, the privileges of the identities it names, the systems it
/// uses and its history.
#[server(prefix = "/ui", endpoint = "workflow")]
pub async fn load_workflow(id: String) -> Result<WorkflowsView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("workflow", &id)?;
    let core = |e| UiError::from_core(e, &actor);
    let one = services
        .workflow_with_checklist(&actor, id)
        .await
        .map_err(core)?;
    let history = services.workflow_history(&actor, id).await.map_err(core)?;
    let mut view = workflow_view(&services, &actor, one).await?;
    view.history = history
        .iter()
        .map(super::workflow_convert::history_entry)
        .collect();
    Ok(view)
}

/// The page's view of one workflow: names read for its steps only, and the privileges of the
/// identities its steps name.
#[cfg(feature = "ssr")]
async fn workflow_view(
    services: &countersign_core::Services,
    actor: &countersign_core::Actor,
    (workflow, checklist): (
        countersign_core::domain::Workflow,
        Vec<countersign_core::domain::Check>,
    ),
) -> Result<WorkflowsView, UiError> {
    use super::workflow_convert::{grant_input, in_force_lines, step_line};
    use crate::dto::{CheckView, FieldView, PrivilegeView, StepView, SystemChoice, WorkflowView};
    use countersign_core::domain::{widening, NhiId, Performer};
    use std::collections::HashMap;
    let core = |e| UiError::from_core(e, actor);
    let named: Vec<NhiId> = workflow
        .steps
        .iter()
        .filter_map(|s| match s.performer {
            Performer::Nhi(id) => Some(id),
            _ => None,
        })
        .collect();
    let people = services
        .answerable_names(actor, &[&workflow])
        .await
        .map_err(core)?;
    // Approvers see workflows but not the identity registry: steps then name identities by id.
    let nhis = services
        .identities_named(actor, &named)
        .await
        .unwrap_or_default();
    let nhi_names: HashMap<_, _> = nhis.iter().map(|n| (n.id, n.name.clone())).collect();
    let systems = services.list_systems(actor).await.map_err(core)?;
    let system_names: HashMap<_, _> = systems.iter().map(|s| (s.id, s.name.clone())).collect();
    let system_name = |id: Option<countersign_core::domain::SystemId>| {
        id.and_then(|s| system_names.get(&s).cloned())
    };
    let can_revoke = services.can_revoke_workflow(actor, &workflow);
    // Only a revoked workflow has a revocation to read.
    let revocation = if workflow.state == countersign_core::domain::WorkflowState::Revoked {
        services
            .revocation(actor, workflow.id)
            .await
            .map_err(core)?
            .map(|view| super::effects::revocation_dto(&view, &system_names))
    } else {
        None
    };
    let mut systems_used: Vec<String> = workflow
        .steps
        .iter()
        .filter_map(|s| s.grant.system.map(|id| id.to_string()))
        .collect();
    systems_used.sort();
    systems_used.dedup();
    let view = WorkflowView {
        id: workflow.id.to_string(),
        owner: people.get(&workflow.owner).cloned().unwrap_or_default(),
        state: workflow.state.as_str().to_owned(),
        tier: workflow.tier.number(),
        signoffs: services
            .settings()
            .signoffs
            .for_tier(workflow.tier)
            .to_string(),
        steps: workflow
            .steps
            .iter()
            .map(|step| StepView {
                id: step.id.to_string(),
                name: step.name.clone(),
                kind: step.kind.as_str().replace('_', " "),
                performer: match step.performer {
                    Performer::Publisher => "Countersign publisher".to_owned(),
                    Performer::Nhi(id) => nhi_names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| id.to_string()),
                    Performer::Human(id) => {
                        people.get(&id).cloned().unwrap_or_else(|| id.to_string())
                    }
                },
                performer_href: match step.performer {
                    Performer::Nhi(id) if nhi_names.contains_key(&id) => {
                        Some(format!("/identities/{id}"))
                    }
                    _ => None,
                },
                owner: step.owner.and_then(|o| people.get(&o).cloned()),
                system: system_name(step.grant.system),
                actions: step
                    .grant
                    .actions
                    .iter()
                    .map(|a| a.as_str().replace('_', " "))
                    .collect(),
                fields: step.grant.fields.iter().cloned().collect(),
                purposes: step.grant.purposes.iter().cloned().collect(),
                human_review: step.grant.human_review,
                grant: grant_input(&step.grant),
                token_scope: matches!(step.performer, Performer::Nhi(_))
                    .then(|| format!("step:{}", step.id)),
                awaiting_review: step.pending_grant.as_ref().map(|pending| {
                    let added = widening(&step.grant, pending);
                    let mut parts = Vec::new();
                    if added.system_changed {
                        parts.push(format!(
                            "system {}",
                            system_name(pending.system).unwrap_or_default()
                        ));
                    }
                    parts.extend(added.actions.iter().map(|a| a.as_str().replace('_', " ")));
                    parts.extend(added.fields.iter().map(|f| format!("field {f}")));
                    parts.extend(added.purposes.iter().map(|p| format!("purpose {p}")));
                    if added.review_removed {
                        parts.push("no human review".to_owned());
                    }
                    format!("adds {}", parts.join(", "))
                }),
            })
            .collect(),
        checklist: checklist
            .into_iter()
            .map(|c| CheckView {
                passed: c.passed,
                text: c.text,
            })
            .collect(),
        name: workflow.name,
        purpose: workflow.purpose,
        can_revoke,
        revocation,
    };
    let privileges = match services.privileges_of(actor, &named).await {
        Ok(privileges) => nhis
            .iter()
            .filter_map(|nhi| {
                let privilege = privileges.get(&nhi.id)?;
                Some(PrivilegeView {
                    id: nhi.id.to_string(),
                    identity: nhi.name.clone(),
                    kind: nhi.kind.as_str().replace('_', " "),
                    state: nhi.state.as_str().to_owned(),
                    in_force: in_force_lines(privilege, &system_names),
                    steps: privilege.steps.iter().map(step_line).collect(),
                })
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    Ok(WorkflowsView {
        can_manage: services.can_manage_workflows(actor),
        workflows: vec![view],
        systems: systems
            .into_iter()
            .map(|s| SystemChoice {
                id: s.id.to_string(),
                name: s.name,
                fields: s
                    .fields
                    .into_iter()
                    .map(|f| FieldView {
                        name: f.name,
                        category: f.category.as_str().to_owned(),
                    })
                    .collect(),
            })
            .collect(),
        privileges,
        history: Vec::new(),
        systems_used,
    })
}

#[server(prefix = "/ui", endpoint = "activate_workflow")]
pub async fn activate_workflow(id: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let workflow = services
        .activate_workflow(&actor, super::adapter::parse_id("workflow", &id)?)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!("{} is active.", workflow.name))
}

#[server(prefix = "/ui", endpoint = "change_step_grant", input = leptos::server_fn::codec::Json)]
pub async fn change_step_grant(
    workflow: String,
    step: String,
    grant: GrantInput,
) -> Result<String, UiError> {
    use countersign_core::services::GrantOutcome;
    let (services, actor) = super::adapter::request()?;
    let grant = super::workflow_convert::grant(&grant, "grant")?;
    let (workflow, outcome) = services
        .change_step_grant(
            &actor,
            super::adapter::parse_id("workflow", &workflow)?,
            super::adapter::parse_id("step", &step)?,
            grant,
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(match outcome {
        GrantOutcome::Applied => format!("The new grant is in force (tier {}).", workflow.tier.number()),
        GrantOutcome::AwaitingReview => format!(
            "The widened grant raises the tier: {} needs review. Only what both grants allow is in force until a security admin approves the widening.",
            workflow.name
        ),
    })
}

#[server(prefix = "/ui", endpoint = "review_widening")]
pub async fn review_widening(
    workflow: String,
    approve: bool,
    reason: String,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let workflow = services
        .review_widening(
            &actor,
            super::adapter::parse_id("workflow", &workflow)?,
            approve,
            &reason,
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(if approve {
        format!(
            "The widening is approved: {} is now tier {}. Activate it when its checklist passes.",
            workflow.name,
            workflow.tier.number()
        )
    } else {
        format!(
            "The widening is rejected; {} keeps its previous grants.",
            workflow.name
        )
    })
}
