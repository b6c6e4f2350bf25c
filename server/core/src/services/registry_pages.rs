//! A real organisation's registry, a page at a time: workflows and identities searched by name
//! or purpose and paged in name order, and one workflow with its checklist — each reading only
//! what its page shows (a page's checklists read the identities its steps name, not all).

use super::identities::IdentityFilter;
use super::Services;
use crate::actor::Actor;
use crate::domain::{Check, Nhi, Workflow, WorkflowId, WorkflowState};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};

/// Workflows per page of the list.
pub const WORKFLOWS_PER_PAGE: i64 = 25;
/// Identities per page of the list.
pub const IDENTITIES_PER_PAGE: i64 = 50;
/// The longest search one may type.
pub const MAX_SEARCH_CHARS: usize = 200;

/// One page of a list: its items, how many match in all, and where it is.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
}

fn checked_search(search: &str) -> CoreResult<&str> {
    let search = search.trim();
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(CoreError::invalid(
            "q",
            format!("search for at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    if search.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "q",
            "a search has no control characters",
        ));
    }
    Ok(search)
}

fn checked_page(page: i64) -> CoreResult<i64> {
    if !(1..=1_000_000).contains(&page) {
        return Err(CoreError::invalid("page", "pages are numbered from 1"));
    }
    Ok(page)
}

fn pages(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}

impl Services {
    /// One page of workflows matching `search` (name or purpose, any case), in `state` when
    /// given (`draft`, `needs_review`, `active`, `revoked`), each with its checklist.
    pub async fn workflow_list(
        &self,
        actor: &Actor,
        search: &str,
        state: Option<&str>,
        page: i64,
    ) -> CoreResult<Paged<(Workflow, Vec<Check>)>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let search = checked_search(search)?;
        let page = checked_page(page)?;
        let state = match state.filter(|s| !s.is_empty()) {
            Some(raw) => Some(WorkflowState::parse(raw).ok_or_else(|| {
                CoreError::invalid("state", "one of draft, needs_review, active or revoked")
            })?),
            None => None,
        };
        let (workflows, total) = self
            .store
            .workflow_page(
                search,
                state,
                (page - 1) * WORKFLOWS_PER_PAGE,
                WORKFLOWS_PER_PAGE,
            )
            .await?;
        let facts = self.checklist_facts_for(Some(&workflows)).await?;
        Ok(Paged {
            items: workflows
                .into_iter()
                .map(|w| {
                    let checks = facts.check(&w);
                    (w, checks)
                })
                .collect(),
            total,
            page,
            pages: pages(total, WORKFLOWS_PER_PAGE),
        })
    }

    /// One workflow with its checklist, for its own page.
    pub async fn workflow_with_checklist(
        &self,
        actor: &Actor,
        id: WorkflowId,
    ) -> CoreResult<(Workflow, Vec<Check>)> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        let workflow = self
            .store
            .workflow(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        let facts = self
            .checklist_facts_for(Some(std::slice::from_ref(&workflow)))
            .await?;
        let checks = facts.check(&workflow);
        Ok((workflow, checks))
    }

    /// One page of identities matching the filter and `search` (name or purpose, any case).
    pub async fn nhi_list(
        &self,
        actor: &Actor,
        filter: IdentityFilter,
        search: &str,
        page: i64,
    ) -> CoreResult<Paged<Nhi>> {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        let search = checked_search(search)?;
        let page = checked_page(page)?;
        let mut filter = self.nhi_filter(&filter);
        filter.search = (!search.is_empty()).then(|| search.to_owned());
        let total = self.store.nhi_count(&filter).await?;
        filter.page = Some(((page - 1) * IDENTITIES_PER_PAGE, IDENTITIES_PER_PAGE));
        Ok(Paged {
            items: self.store.nhis(&filter).await?,
            total,
            page,
            pages: pages(total, IDENTITIES_PER_PAGE),
        })
    }
}
