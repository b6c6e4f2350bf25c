//! What reviewers see of change requests: the pending queue and one change with its versions and
//! the evidence behind them (the agent, its owners, the access decisions it cited).

use super::{AccessDecision, Services};
use crate::actor::Actor;
use crate::domain::{ChangeRequest, ChangeStatus, ChangeVersion, Nhi};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub const QUEUE_PAGE: i64 = 50;

#[derive(Debug, Clone)]
pub struct ChangeSummary {
    pub change: ChangeRequest,
    pub workflow: String,
    pub drafted_by: String,
    /// The drafting identity's owners.
    pub owners: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CitedDecision {
    pub id: String,
    pub purpose: String,
    pub decided_at: DateTime<Utc>,
    /// `None` when the cited id is unknown (it was checked at submission; kept for honesty).
    pub answer: Option<AccessDecision>,
}

#[derive(Debug, Clone)]
pub struct ChangeDetail {
    pub change: ChangeRequest,
    pub versions: Vec<ChangeVersion>,
    pub workflow: String,
    pub step: String,
    pub drafted_by: Option<Nhi>,
    pub target_system: String,
    /// The decisions the current version cites.
    pub decisions: Vec<CitedDecision>,
}

impl Services {
    /// Pending changes, oldest first, after the keyset `(created_at_ms, id)`.
    pub async fn pending_changes(
        &self,
        actor: &Actor,
        after: Option<(i64, String)>,
    ) -> CoreResult<Vec<ChangeSummary>> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        let changes = self
            .store
            .changes_in_status(ChangeStatus::PendingReview, after, QUEUE_PAGE)
            .await?;
        let workflows: HashMap<_, _> = self
            .store
            .workflows()
            .await?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
        let nhis: HashMap<_, _> = self
            .store
            .nhis(&Default::default())
            .await?
            .into_iter()
            .map(|n| (n.id, n))
            .collect();
        Ok(changes
            .into_iter()
            .map(|change| {
                let nhi = nhis.get(&change.nhi);
                ChangeSummary {
                    workflow: workflows.get(&change.workflow).cloned().unwrap_or_default(),
                    drafted_by: nhi.map(|n| n.name.clone()).unwrap_or_default(),
                    owners: nhi
                        .map(|n| n.owners.iter().map(|o| o.name.clone()).collect())
                        .unwrap_or_default(),
                    change,
                }
            })
            .collect())
    }

    pub async fn change_detail(&self, actor: &Actor, id: &str) -> CoreResult<ChangeDetail> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        let change = self
            .store
            .change(id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        let versions = self.store.change_versions(id).await?;
        let workflow = self.store.workflow(change.workflow).await?;
        let step = workflow
            .as_ref()
            .and_then(|w| w.steps.iter().find(|s| s.id == change.step))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let target_system = self
            .store
            .system(change.target_system)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        let mut decisions = Vec::new();
        if let Some(current) = versions
            .iter()
            .find(|v| v.version == change.current_version)
        {
            for cited in &current.provenance.access_decisions {
                let row = self.store.access_decision(cited).await?;
                decisions.push(match row {
                    Some(row) => CitedDecision {
                        id: row.id,
                        purpose: row.purpose,
                        decided_at: crate::clock::from_millis(row.decided_at_ms),
                        answer: serde_json::from_str(&row.response_json).ok(),
                    },
                    None => CitedDecision {
                        id: cited.clone(),
                        purpose: String::new(),
                        decided_at: change.created_at,
                        answer: None,
                    },
                });
            }
        }
        Ok(ChangeDetail {
            drafted_by: self.store.nhi(change.nhi).await?,
            workflow: workflow.map(|w| w.name).unwrap_or_default(),
            step,
            target_system,
            versions,
            decisions,
            change,
        })
    }
}
