//! Server functions for the data-access page: the consent ledger (CSV preview and import) and
//! the policy simulator.

use crate::dto::{CsvPreview, DataAccessView, SimulatedView};
use crate::error::UiError;
use leptos::prelude::*;

#[server(prefix = "/ui", endpoint = "data_access")]
pub async fn load_data_access() -> Result<DataAccessView, UiError> {
    use crate::dto::{ChoiceView, ConsentBatchView};
    use countersign_core::domain::Performer;
    use countersign_core::services::SIMULATED_ACTIONS;
    let (services, actor) = super::adapter::request()?;
    let core = |e| UiError::from_core(e, &actor);
    let overview = services.consent_overview(&actor).await.map_err(core)?;
    let nhis = services
        .list_nhis(&actor, Default::default())
        .await
        .map_err(core)?;
    let names: std::collections::HashMap<_, _> =
        nhis.iter().map(|n| (n.id, n.name.clone())).collect();
    let workflows = services.list_workflows(&actor).await.map_err(core)?;
    Ok(DataAccessView {
        records: overview.records,
        subjects: overview.subjects,
        batches: overview
            .batches
            .into_iter()
            .map(|b| ConsentBatchView {
                id: b.id,
                recorded_by: b.recorded_by,
                recorded_at: countersign_core::clock::from_millis(b.recorded_at_ms)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string(),
                rows: b.rows,
            })
            .collect(),
        identities: nhis
            .iter()
            .map(|n| ChoiceView {
                id: n.id.to_string(),
                label: format!("{} ({})", n.name, n.state),
            })
            .collect(),
        steps: workflows
            .iter()
            .flat_map(|w| {
                let names = &names;
                w.steps.iter().map(move |s| ChoiceView {
                    id: s.id.to_string(),
                    label: format!(
                        "{} · {} ({}){}",
                        w.name,
                        s.name,
                        w.state.as_str().replace('_', " "),
                        match s.performer {
                            Performer::Nhi(id) => names
                                .get(&id)
                                .map(|n| format!(" — performed by {n}"))
                                .unwrap_or_default(),
                            Performer::Human(_) => " — performed by a person".to_owned(),
                            Performer::Publisher => " — Countersign's publisher".to_owned(),
                        }
                    ),
                })
            })
            .collect(),
        actions: SIMULATED_ACTIONS
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
    })
}

/// Parses a CSV upload and shows what it would load; with `import`, loads it if every row is
/// valid (all or nothing).
#[server(prefix = "/ui", endpoint = "consent_csv")]
pub async fn consent_csv(text: String, import: bool) -> Result<CsvPreview, UiError> {
    use crate::dto::CsvRowError;
    let (services, actor) = super::adapter::request()?;
    let parsed = services
        .import_consent_csv(&actor, &text, import)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(CsvPreview {
        valid_rows: parsed.records.len(),
        errors: parsed
            .errors
            .into_iter()
            .map(|e| CsvRowError {
                row: e.row,
                problem: e.problem,
            })
            .collect(),
        sample: parsed
            .records
            .iter()
            .take(10)
            .map(|r| {
                let day = |at: Option<chrono::DateTime<chrono::Utc>>| {
                    at.map(|t| t.format("%Y-%m-%d").to_string())
                };
                let mut line = format!(
                    "{} · {} · {}",
                    r.subject.as_str(),
                    r.purpose.as_str(),
                    r.basis.as_str().replace('_', " ")
                );
                if let Some(granted) = day(r.granted_at) {
                    line.push_str(&format!(" · granted {granted}"));
                }
                if let Some(withdrawn) = day(r.withdrawn_at) {
                    line.push_str(&format!(" · withdrawn {withdrawn}"));
                }
                line
            })
            .collect(),
        imported: parsed
            .batch
            .map(|_| format!("{} consent records imported.", parsed.records.len())),
    })
}

#[server(prefix = "/ui", endpoint = "simulate_policy")]
pub async fn simulate_policy(
    nhi: String,
    step: String,
    action: String,
    purpose: String,
    fields: String,
) -> Result<Vec<SimulatedView>, UiError> {
    use countersign_core::policy::Action;
    use countersign_core::services::Simulation;
    let (services, actor) = super::adapter::request()?;
    let action = Action::parse(&action)
        .ok_or_else(|| crate::error::refuse(UiError::Invalid("action: choose one".to_owned())))?;
    let decisions = services
        .simulate_policy(
            &actor,
            Simulation {
                nhi: super::adapter::parse_id("identity", &nhi)?,
                step: super::adapter::parse_id("step", &step)?,
                action,
                purpose,
                fields: fields
                    .split(',')
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect(),
            },
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(decisions
        .into_iter()
        .map(|d| SimulatedView {
            field: d.field,
            allowed: d.allowed,
            policies: d.policies,
        })
        .collect())
}
