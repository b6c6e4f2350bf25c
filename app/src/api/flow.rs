//! The Flow page: review latency per tier, workflow and week.

use crate::dto_flow::FlowView;
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn stage(latency: countersign_core::domain::Latency) -> crate::dto_flow::FlowStageView {
    use countersign_core::domain::human_duration;
    let shown = |d: Option<chrono::Duration>| d.map_or_else(|| "—".to_owned(), human_duration);
    crate::dto_flow::FlowStageView {
        p50: shown(latency.p50),
        p95: shown(latency.p95),
        count: latency.count,
    }
}

#[cfg(feature = "ssr")]
fn group(
    label: String,
    flow: &countersign_core::domain::GroupFlow,
) -> crate::dto_flow::FlowGroupView {
    use countersign_core::domain::Stage;
    crate::dto_flow::FlowGroupView {
        label,
        drafted: flow.drafted,
        pre_approved: flow.pre_approved,
        stages: Stage::ALL.iter().map(|s| stage(flow.stage(*s))).collect(),
    }
}

#[server(prefix = "/ui", endpoint = "flow")]
pub async fn load_flow(days: i64) -> Result<FlowView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let (report, cut) = services
        .flow(&actor, days)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let workflows = services
        .store()
        .workflows()
        .await
        .map_err(|e| UiError::from_core(e.into(), &actor))?;
    let name = |id: countersign_core::domain::WorkflowId| {
        workflows
            .iter()
            .find(|w| w.id == id)
            .map_or_else(|| id.reference(), |w| w.name.clone())
    };
    let now = services.clock().now();
    Ok(FlowView {
        days,
        overall: group("All changes".to_owned(), &report.overall),
        by_tier: report
            .by_tier
            .iter()
            .map(|(tier, g)| group(format!("Tier {tier}"), g))
            .collect(),
        by_workflow: report
            .by_workflow
            .iter()
            .map(|(w, g)| group(name(*w), g))
            .collect(),
        by_week: report
            .by_week
            .iter()
            .map(|(week, g)| group(format!("Week of {}", week.format("%a %-d %b %Y")), g))
            .collect(),
        waiting: report.waiting,
        oldest_waiting: report
            .oldest_waiting_since
            .map(|at| countersign_core::domain::human_duration(now - at)),
        pre_approved_publication: stage(report.pre_approved_publication),
        cut,
    })
}
