//! Server functions for workflows: the chains with their checklists and sign-offs, activation,
//! scope drift (changing a step's grant and reviewing widenings), and each identity's effective
//! privilege.

use crate::dto::{GrantInput, WorkflowsView};
use crate::error::UiError;
use leptos::prelude::*;

#[server(prefix = "/ui", endpoint = "workflows")]
pub async fn load_workflows() -> Result<WorkflowsView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let workflows = services
        .workflows_with_checklists(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    workflows_view(&services, &actor, workflows, false).await
}

/// One workflow on its own page (`/workflows/{id}`): its chain, checklist, drift awaiting
/// review, kill switch or revocation, and the privileges of the identities it names.
#[server(prefix = "/ui", endpoint = "workflow")]
pub async fn load_workflow(id: String) -> Result<WorkflowsView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("workflow", &id)?;
    let one = services
        .workflow_with_checklist(&actor, id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    workflows_view(&services, &actor, vec![one], true).await
}

/// The page's view of `workflows`; `only_theirs` keeps the privilege table to the identities
/// their steps name.
#[cfg(feature = "ssr")]
async fn workflows_view(
    services: &countersign_core::Services,
    actor: &countersign_core::Actor,
    workflows: Vec<(
        countersign_core::domain::Workflow,
        Vec<countersign_core::domain::Check>,
    )>,
    only_theirs: bool,
) -> Result<WorkflowsView, UiError> {
    use super::workflow_convert::grant_input;
    use crate::dto::{CheckView, FieldView, PrivilegeView, StepView, SystemChoice, WorkflowView};
    use countersign_core::domain::{widening, Performer};
    use std::collections::HashMap;
    let core = |e| UiError::from_core(e, actor);
    let named: std::collections::BTreeSet<countersign_core::domain::NhiId> = workflows
        .iter()
        .flat_map(|(w, _)| &w.steps)
        .filter_map(|s| match s.performer {
            Performer::Nhi(id) => Some(id),
            _ => None,
        })
        .collect();
    let people: HashMap<_, _> = services
        .list_people(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    let nhis = services
        .list_nhis(actor, Default::default())
        .await
        .unwrap_or_default();
    let nhi_names: HashMap<_, _> = nhis.iter().map(|n| (n.id, n.name.clone())).collect();
    let systems = services.list_systems(actor).await.map_err(core)?;
    let system_names: HashMap<_, _> = systems.iter().map(|s| (s.id, s.name.clone())).collect();
    let system_name = |id: Option<countersign_core::domain::SystemId>| {
        id.and_then(|s| system_names.get(&s).cloned())
    };
    let signoffs = &services.settings().signoffs;
    let mut views = Vec::with_capacity(workflows.len());
    for (workflow, checklist) in workflows {
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
        views.push(WorkflowView {
            id: workflow.id.to_string(),
            owner: people.get(&workflow.owner).cloned().unwrap_or_default(),
            state: workflow.state.as_str().to_owned(),
            tier: workflow.tier.number(),
            signoffs: signoffs.for_tier(workflow.tier).to_string(),
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
        });
    }
    let privileges = match services.effective_privileges(actor).await {
        Ok(privileges) => nhis
            .iter()
            .filter(|nhi| !only_theirs || named.contains(&nhi.id))
            .filter_map(|nhi| {
                let privilege = privileges.get(&nhi.id)?;
                Some(PrivilegeView {
                    identity: nhi.name.clone(),
                    kind: nhi.kind.as_str().replace('_', " "),
                    state: nhi.state.as_str().to_owned(),
                    in_force: privilege
                        .in_force
                        .iter()
                        .map(|(system, (actions, fields))| {
                            let actions: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
                            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                            format!(
                                "{}: {}{}",
                                system_name(*system).unwrap_or_else(|| "no system".to_owned()),
                                actions.join(", ").replace('_', " "),
                                if fields.is_empty() {
                                    String::new()
                                } else {
                                    format!(" ({})", fields.join(", "))
                                }
                            )
                        })
                        .collect(),
                    steps: privilege
                        .steps
                        .iter()
                        .map(|s| {
                            format!(
                                "{} ({}) · {}{}",
                                s.workflow,
                                s.workflow_state.as_str().replace('_', " "),
                                s.step,
                                if s.awaiting_review {
                                    " · widening awaits review"
                                } else {
                                    ""
                                }
                            )
                        })
                        .collect(),
                })
            })
            .collect(),
        // Approvers see workflows but not the identity registry.
        Err(_) => Vec::new(),
    };
    Ok(WorkflowsView {
        can_manage: services.can_manage_workflows(actor),
        workflows: views,
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
