//! What reviewers see of change requests: the pending queue and one change with its versions and
//! the evidence behind them (the agent, its owners, the access decisions it cited).

use super::{AccessDecision, Services};
use crate::actor::Actor;
use crate::domain::{ChangeRequest, ChangeStatus, ChangeVersion, Nhi, Quorum, Role, Tier};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};
use crate::store::QueueFilter;
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

/// What the queue page asks for.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    /// Only changes pending review that one of my roles signs, that I have not signed yet and
    /// whose drafting identity I do not own.
    pub needs_my_role: bool,
    pub status: Option<ChangeStatus>,
    pub tier: Option<i64>,
    pub workflow: Option<crate::domain::WorkflowId>,
    pub channel: Option<String>,
    pub audience: Option<crate::domain::Audience>,
    /// Only changes at least this many hours old.
    pub older_than_hours: Option<i64>,
    pub newest_first: bool,
    /// The cursor of the page to show (from the previous page's `next`).
    pub after: Option<String>,
}

/// One queue row's evidence badges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badges {
    pub provenance: bool,
    pub legal_basis: bool,
    pub rollback_plan: bool,
    /// Unresolved claims, when claims are reviewed for this change.
    pub open_claims: Option<i64>,
    pub approvals: (usize, usize),
}

#[derive(Debug, Clone)]
pub struct QueuePage {
    pub rows: Vec<(ChangeSummary, Badges)>,
    pub counts: crate::store::QueueCounts,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// The roles "needs my role" looked for (empty: the person signs nothing).
    pub my_signing_roles: Vec<crate::domain::Role>,
}

/// `created_ms:id`, the keyset of a queue page.
fn parse_cursor(raw: &str) -> CoreResult<(i64, String)> {
    raw.split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
        .filter(|(_, id)| !id.is_empty() && id.len() <= 64)
        .ok_or_else(|| CoreError::invalid("after", "not a queue cursor"))
}

impl Services {
    /// A page of the review queue, with counts for the same filter.
    pub async fn review_queue(&self, actor: &Actor, query: &QueueQuery) -> CoreResult<QueuePage> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        let after = query.after.as_deref().map(parse_cursor).transpose()?;
        let mut filter = QueueFilter {
            statuses: query.status.into_iter().collect(),
            tiers: query.tier.into_iter().collect(),
            workflow: query.workflow,
            channel: query.channel.clone(),
            audience: query.audience,
            created_before_ms: query
                .older_than_hours
                .map(|h| crate::clock::to_millis(self.clock.now() - chrono::Duration::hours(h))),
            for_reviewer: None,
            newest_first: query.newest_first,
        };
        let mut my_signing_roles = Vec::new();
        if let (true, Actor::Human { id, roles, .. }) = (query.needs_my_role, actor) {
            my_signing_roles = roles
                .iter()
                .filter(|r| matches!(r, Role::Approver | Role::Legal | Role::SecurityAdmin))
                .collect();
            let tiers: Vec<i64> = [Tier::One, Tier::Two, Tier::Three]
                .into_iter()
                .filter(|tier| {
                    let rule = self.settings.signoffs.for_tier(*tier);
                    my_signing_roles.iter().any(|r| rule.count(*r) > 0)
                })
                .map(Tier::number)
                .filter(|t| query.tier.is_none_or(|only| only == *t))
                .collect();
            // Someone who signs nothing (an auditor) sees every change instead.
            if !my_signing_roles.is_empty() {
                if tiers.is_empty() {
                    return Ok(QueuePage {
                        rows: Vec::new(),
                        counts: Default::default(),
                        next: None,
                        my_signing_roles,
                    });
                }
                filter.statuses = vec![ChangeStatus::PendingReview];
                filter.tiers = tiers;
                filter.for_reviewer = Some(*id);
            }
        }
        let changes = self
            .store
            .queue_page(&filter, after, QUEUE_PAGE + 1)
            .await?;
        let counts = self.store.queue_counts(&filter).await?;
        let has_more = changes.len() as i64 > QUEUE_PAGE;
        let changes: Vec<ChangeRequest> = changes.into_iter().take(QUEUE_PAGE as usize).collect();
        let next = has_more
            .then(|| changes.last())
            .flatten()
            .map(|c| format!("{}:{}", crate::clock::to_millis(c.created_at), c.id));
        let ids: Vec<String> = changes.iter().map(|c| c.id.clone()).collect();
        let signoffs = self.store.signoffs_of(&ids).await?;
        let summaries = self.summaries(changes).await?;
        let now = self.clock.now();
        let rows = summaries
            .into_iter()
            .map(|summary| {
                let change = &summary.change;
                let mine: Vec<_> = signoffs
                    .iter()
                    .filter(|s| s.change_id == change.id)
                    .cloned()
                    .collect();
                let quorum = Quorum::count(
                    &self.signoff_rule(change),
                    &mine,
                    &change.current_hash,
                    now,
                    self.settings.signoff_lifetime,
                );
                let badges = Badges {
                    provenance: change.provenance_ok,
                    legal_basis: change.legal_basis_ok,
                    rollback_plan: change.has_rollback_plan,
                    open_claims: self.claims_reviewed(change).then_some(change.open_claims),
                    approvals: quorum.have_need(),
                };
                (summary, badges)
            })
            .collect();
        Ok(QueuePage {
            rows,
            counts,
            next,
            my_signing_roles,
        })
    }

    /// The workflows the queue can be filtered by: (id, name), by name.
    pub async fn queue_workflows(
        &self,
        actor: &Actor,
    ) -> CoreResult<Vec<(crate::domain::WorkflowId, String)>> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        let mut workflows: Vec<_> = self
            .store
            .workflows()
            .await?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
        workflows.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(workflows)
    }

    /// Names for a page of changes: each workflow and drafting identity read once.
    async fn summaries(&self, changes: Vec<ChangeRequest>) -> CoreResult<Vec<ChangeSummary>> {
        let mut workflows: HashMap<crate::domain::WorkflowId, String> = HashMap::new();
        let mut nhis: HashMap<crate::domain::NhiId, Option<Nhi>> = HashMap::new();
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                workflows.entry(change.workflow)
            {
                let name = self.store.workflow(change.workflow).await?;
                slot.insert(name.map(|w| w.name).unwrap_or_default());
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = nhis.entry(change.nhi) {
                slot.insert(self.store.nhi(change.nhi).await?);
            }
            let nhi = nhis.get(&change.nhi).and_then(Option::as_ref);
            out.push(ChangeSummary {
                workflow: workflows.get(&change.workflow).cloned().unwrap_or_default(),
                drafted_by: nhi.map(|n| n.name.clone()).unwrap_or_default(),
                owners: nhi
                    .map(|n| n.owners.iter().map(|o| o.name.clone()).collect())
                    .unwrap_or_default(),
                change,
            });
        }
        Ok(out)
    }

    pub async fn change_detail(&self, actor: &Actor, id: &str) -> CoreResult<ChangeDetail> {
        self.authorize(actor, Action::ViewQueue, &Resource::Console)?;
        let change = self
            .store
            .change(id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        Ok(self.detail_of(change).await?.0)
    }

    /// Everything about a change already read (and authorized): its versions, workflow, target
    /// and the decisions its current version cites; with its workflow as read, for callers that
    /// judge more from it (the gate page).
    pub(super) async fn detail_of(
        &self,
        change: ChangeRequest,
    ) -> CoreResult<(ChangeDetail, Option<crate::domain::Workflow>)> {
        let id = change.id.as_str();
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
        let detail = ChangeDetail {
            drafted_by: self.store.nhi(change.nhi).await?,
            workflow: workflow
                .as_ref()
                .map(|w| w.name.clone())
                .unwrap_or_default(),
            step,
            target_system,
            versions,
            decisions,
            change,
        };
        Ok((detail, workflow))
    }
}
