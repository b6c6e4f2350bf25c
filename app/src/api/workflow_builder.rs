//! Server functions for defining workflows: what can be chosen, and the definition itself.

use crate::dto::{BuilderOptions, WorkflowInput};
use crate::error::UiError;
use leptos::prelude::*;

#[server(prefix = "/ui", endpoint = "workflow_builder")]
pub async fn load_builder_options() -> Result<BuilderOptions, UiError> {
    use crate::dto::{ChoiceView, FieldView, SystemChoice};
    use countersign_core::domain::NhiState;
    let (services, actor) = super::adapter::request()?;
    let core = |e| UiError::from_core(e, &actor);
    let can_manage = services.can_manage_workflows(&actor);
    if !can_manage {
        return Err(crate::error::refuse(
            if matches!(actor, countersign_core::Actor::Anonymous) {
                UiError::SignInRequired
            } else {
                UiError::Forbidden("Only security admins define workflows.".to_owned())
            },
        ));
    }
    let people = services.list_people(&actor).await.map_err(core)?;
    let identities = services
        .list_nhis(&actor, Default::default())
        .await
        .map_err(core)?;
    let systems = services.list_systems(&actor).await.map_err(core)?;
    Ok(BuilderOptions {
        can_manage,
        people: people
            .into_iter()
            .filter(|p| p.is_active())
            .map(|p| ChoiceView {
                id: p.id.to_string(),
                label: p.name,
            })
            .collect(),
        identities: identities
            .into_iter()
            .filter(|n| n.state != NhiState::Revoked)
            .map(|n| ChoiceView {
                id: n.id.to_string(),
                label: format!(
                    "{} ({})",
                    n.name,
                    if n.kind.as_str() == "agent" {
                        "agent"
                    } else {
                        "service account"
                    }
                ),
            })
            .collect(),
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
    })
}

// JSON: a workflow is a nested structure of steps and grants.
#[server(prefix = "/ui", endpoint = "define_workflow", input = leptos::server_fn::codec::Json)]
pub async fn define_workflow(
    workflow: WorkflowInput,
) -> Result<crate::dto_registry::DefinedView, UiError> {
    use super::workflow_convert::step;
    use countersign_core::services::DefineWorkflow;
    let (services, actor) = super::adapter::request()?;
    let steps = workflow
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| step(n + 1, s))
        .collect::<Result<Vec<_>, _>>()?;
    let owner = if workflow.owner.is_empty() {
        return Err(crate::error::refuse(UiError::Invalid(
            "owner: choose the person who owns the workflow".to_owned(),
        )));
    } else {
        super::adapter::parse_id("owner", &workflow.owner)?
    };
    let defined = services
        .define_workflow(
            &actor,
            DefineWorkflow {
                name: workflow.name,
                purpose: workflow.purpose,
                owner,
                steps,
            },
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(crate::dto_registry::DefinedView {
        id: defined.id.to_string(),
        message: format!(
            "{} is defined as a draft (tier {}). Check its governability checklist before activating it.",
            defined.name,
            defined.tier.number()
        ),
    })
}
