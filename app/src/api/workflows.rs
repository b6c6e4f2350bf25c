//! Server functions for workflows: the chains, their checklists, activation.

use crate::dto::WorkflowsView;
use crate::error::UiError;
use leptos::prelude::*;

#[server(prefix = "/ui", endpoint = "workflows")]
pub async fn load_workflows() -> Result<WorkflowsView, UiError> {
    use crate::dto::{CheckView, StepView, WorkflowView};
    use countersign_core::domain::Performer;
    use std::collections::HashMap;
    let (services, actor) = super::adapter::request()?;
    let core = |e| UiError::from_core(e, &actor);
    let workflows = services
        .workflows_with_checklists(&actor)
        .await
        .map_err(core)?;
    let people: HashMap<_, _> = services
        .list_people(&actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    let nhis: HashMap<_, _> = services
        .list_nhis(&actor, Default::default())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    let systems: HashMap<_, _> = services
        .list_systems(&actor)
        .await
        .map_err(core)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut views = Vec::with_capacity(workflows.len());
    for (workflow, checklist) in workflows {
        views.push(WorkflowView {
            id: workflow.id.to_string(),
            owner: people.get(&workflow.owner).cloned().unwrap_or_default(),
            state: workflow.state.as_str().to_owned(),
            tier: workflow.tier.number(),
            steps: workflow
                .steps
                .iter()
                .map(|step| StepView {
                    name: step.name.clone(),
                    kind: step.kind.as_str().replace('_', " "),
                    performer: match step.performer {
                        Performer::Publisher => "Countersign publisher".to_owned(),
                        Performer::Nhi(id) => {
                            nhis.get(&id).cloned().unwrap_or_else(|| id.to_string())
                        }
                        Performer::Human(id) => {
                            people.get(&id).cloned().unwrap_or_else(|| id.to_string())
                        }
                    },
                    owner: step.owner.and_then(|o| people.get(&o).cloned()),
                    system: step.grant.system.and_then(|s| systems.get(&s).cloned()),
                    actions: step
                        .grant
                        .actions
                        .iter()
                        .map(|a| format!("{a:?}").to_lowercase())
                        .collect(),
                    fields: step.grant.fields.iter().cloned().collect(),
                    purposes: step.grant.purposes.iter().cloned().collect(),
                    human_review: step.grant.human_review,
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
        });
    }
    Ok(WorkflowsView {
        can_manage: services.can_manage_workflows(&actor),
        workflows: views,
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
