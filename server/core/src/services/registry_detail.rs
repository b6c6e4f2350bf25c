//! One workflow's and one identity's own pages, beyond the chain and checklist: a workflow's
//! history in the ledger; an identity's owners, credentials, grants, newest decisions and
//! drafts; and the privileges of a page of identities. Each reads only what its page shows.

use super::access::AccessDecision;
use super::Services;
use crate::actor::Actor;
use crate::domain::{
    effective_privileges, ChangeRequest, EffectivePrivilege, HumanId, Nhi, NhiId, Performer,
    Workflow, WorkflowId,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::StoredEvent;
use crate::policy::{Action, Resource};
use crate::store::EventFilter;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// The most people `answerable_names` names at once (a page of workflows and their steps).
pub const MAX_NAMED_AT_ONCE: usize = 500;

/// How many of the newest decisions, drafts and history events a page shows.
pub const RECENT_ON_PAGE: i64 = 20;

/// An identity on its own page.
#[derive(Debug, Clone)]
pub struct IdentityDetail {
    pub nhi: Nhi,
    /// Every step it performs in a workflow that is not revoked, and what is in force.
    pub privilege: EffectivePrivilege,
    pub secret_issued: bool,
    /// Access tokens not yet expired.
    pub live_tokens: i64,
    pub decisions: Vec<IdentityDecision>,
    pub changes: Vec<ChangeRequest>,
}

/// One of an identity's access decisions, summarised.
#[derive(Debug, Clone)]
pub struct IdentityDecision {
    pub id: String,
    pub decided_at: DateTime<Utc>,
    pub workflow: WorkflowId,
    /// The workflow and step names, where the workflow still names the step.
    pub workflow_name: Option<String>,
    pub step_name: Option<String>,
    pub purpose: String,
    pub allowed_subjects: usize,
    pub denied_subjects: usize,
    pub allowed_fields: Vec<String>,
}

impl Services {
    /// An identity's own page (security admins and auditors, as the registry).
    pub async fn identity_detail(&self, actor: &Actor, id: NhiId) -> CoreResult<IdentityDetail> {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        let nhi = self
            .store
            .nhi(id)
            .await?
            .ok_or(CoreError::NotFound("identity"))?;
        let workflows = self.store.workflows_performed_by(&[id]).await?;
        let privilege = effective_privileges(&workflows)
            .remove(&id)
            .unwrap_or_default();
        let steps: HashMap<_, _> = workflows
            .iter()
            .flat_map(|w| w.steps.iter().map(move |s| (s.id, (w, s))))
            .collect();
        let decisions = self
            .store
            .nhi_decisions(id, RECENT_ON_PAGE)
            .await?
            .into_iter()
            .map(|row| {
                let answer: Option<AccessDecision> = serde_json::from_str(&row.response_json).ok();
                let named = steps.get(&row.step);
                IdentityDecision {
                    decided_at: crate::clock::from_millis(row.decided_at_ms),
                    workflow: row.workflow,
                    workflow_name: named.map(|(w, _)| w.name.clone()),
                    step_name: named.map(|(_, s)| s.name.clone()),
                    allowed_subjects: answer.as_ref().map_or(0, |a| a.allowed_subjects.len()),
                    denied_subjects: answer.as_ref().map_or(0, |a| a.denied_subjects.len()),
                    allowed_fields: answer.map(|a| a.allowed_fields).unwrap_or_default(),
                    purpose: row.purpose,
                    id: row.id,
                }
            })
            .collect();
        Ok(IdentityDetail {
            secret_issued: self.store.nhi_secret_hash(id).await?.is_some(),
            live_tokens: self.store.live_token_count(id, self.now_ms()).await?,
            changes: self.store.nhi_changes(id, RECENT_ON_PAGE).await?,
            decisions,
            privilege,
            nhi,
        })
    }

    /// The effective privilege of each of `nhis` (a page of the registry), reading only the
    /// workflows they perform steps in.
    pub async fn privileges_of(
        &self,
        actor: &Actor,
        nhis: &[NhiId],
    ) -> CoreResult<BTreeMap<NhiId, EffectivePrivilege>> {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        let workflows = self.store.workflows_performed_by(nhis).await?;
        let mut all = effective_privileges(&workflows);
        all.retain(|id, _| nhis.contains(id));
        Ok(all)
    }

    /// The connected systems a workflow's steps use, for its own page.
    pub async fn systems_used_by(
        &self,
        actor: &Actor,
        id: WorkflowId,
    ) -> CoreResult<Vec<crate::domain::ConnectedSystem>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let workflow = self
            .store
            .workflow(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        let mut systems = self.store.systems().await?;
        systems.retain(|s| {
            workflow
                .steps
                .iter()
                .any(|step| step.grant.system == Some(s.id))
        });
        Ok(systems)
    }

    /// These identities (a page's worth), by name.
    pub async fn identities_named(&self, actor: &Actor, ids: &[NhiId]) -> CoreResult<Vec<Nhi>> {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        let filter = crate::store::NhiFilter {
            ids: Some(ids.to_vec()),
            ..Default::default()
        };
        Ok(self.store.nhis(&filter).await?)
    }

    /// The names of the people who answer for these workflows — each one's owner, its steps'
    /// owners and the people who perform a step — for anyone who may see workflows: who answers
    /// for a workflow is part of reading it, also for an approver who may not browse the people
    /// registry. Names only, and only of those people.
    pub async fn answerable_names(
        &self,
        actor: &Actor,
        workflows: &[&Workflow],
    ) -> CoreResult<HashMap<HumanId, String>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let wanted: std::collections::HashSet<HumanId> = workflows
            .iter()
            .flat_map(|w| {
                std::iter::once(w.owner).chain(w.steps.iter().flat_map(|s| {
                    let performer = match s.performer {
                        Performer::Human(id) => Some(id),
                        _ => None,
                    };
                    s.owner.into_iter().chain(performer)
                }))
            })
            .collect();
        if wanted.len() > MAX_NAMED_AT_ONCE {
            return Err(CoreError::invalid(
                "workflows",
                format!(
                    "at most {MAX_NAMED_AT_ONCE} people are named at once, not {}",
                    wanted.len()
                ),
            ));
        }
        Ok(self
            .store
            .humans_named(&wanted.into_iter().collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|person| (person.id, person.name))
            .collect())
    }

    /// A workflow's newest events in the ledger (definition, grant changes and scope drift,
    /// reviews, activation, revocation), for those who may see the workflow.
    pub async fn workflow_history(
        &self,
        actor: &Actor,
        id: WorkflowId,
    ) -> CoreResult<Vec<StoredEvent>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let filter = EventFilter {
            subject: Some(id.reference()),
            ..Default::default()
        };
        Ok(self
            .store
            .events_matching(&filter, None, RECENT_ON_PAGE)
            .await?)
    }
}
