//! The framework map page's data.

use crate::dto::ComplianceView;
use crate::error::UiError;
use leptos::prelude::*;

/// The framework map now; `workflow` filters it to one workflow.
#[server(prefix = "/ui", endpoint = "compliance")]
pub async fn load_compliance(workflow: Option<String>) -> Result<ComplianceView, UiError> {
    use crate::dto::{ComplianceControlView, ComplianceFactView, ComplianceFrameworkView};
    let (services, actor) = super::adapter::request()?;
    let workflow = match workflow.as_deref().filter(|w| !w.is_empty()) {
        Some(raw) => Some(super::adapter::parse_id("workflow", raw)?),
        None => None,
    };
    let map = services
        .compliance_map(&actor, workflow)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let workflows = services
        .list_workflows(&actor)
        .await
        .map(|all| {
            all.into_iter()
                .map(|w| (w.id.to_string(), w.name))
                .collect()
        })
        .unwrap_or_default();
    let mut frameworks: Vec<ComplianceFrameworkView> = Vec::new();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for control in &map.controls {
        *counts
            .entry(control.status.as_str().to_owned())
            .or_default() += 1;
        let view = ComplianceControlView {
            id: control.id.clone(),
            title: control.title.clone(),
            status: control.status.as_str().to_owned(),
            status_label: control.status.label().to_owned(),
            mechanisms: control.mechanisms.clone(),
            facts: control
                .facts
                .iter()
                .filter_map(|id| map.facts.get(id))
                .map(|fact| ComplianceFactView {
                    id: fact.id.as_str().to_owned(),
                    status: fact.status.as_str().to_owned(),
                    summary: fact.summary.clone(),
                    items: fact.items.iter().take(20).cloned().collect(),
                    link: fact.link.to_owned(),
                })
                .collect(),
        };
        match frameworks.iter_mut().find(|f| f.id == control.framework) {
            Some(framework) => framework.controls.push(view),
            None => frameworks.push(ComplianceFrameworkView {
                id: control.framework.clone(),
                title: control.framework_title.clone(),
                controls: vec![view],
            }),
        }
    }
    Ok(ComplianceView {
        assessed_at: map.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        scope: map.scope.map(|(id, name)| (id.to_string(), name)),
        frameworks,
        workflows,
        counts: counts.into_iter().collect(),
    })
}
