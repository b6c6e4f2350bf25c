//! What the registry's list and detail pages send: a page of workflows or identities, a
//! workflow's history, and one identity with its grants, decisions and drafts.

use crate::dto::NhiView;
use serde::{Deserialize, Serialize};

/// Where a paged list stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowListView {
    pub can_manage: bool,
    pub rows: Vec<WorkflowRowView>,
    pub paging: PageInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRowView {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub owner: String,
    pub state: String,
    pub tier: i64,
    pub steps: usize,
    pub checks_passed: usize,
    pub checks: usize,
    /// The first check that fails, if any.
    pub first_missing: Option<String>,
    pub awaiting_review: bool,
}

/// One event of a workflow's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntryView {
    pub seq: i64,
    /// RFC 3339, seconds.
    pub at: String,
    pub actor: String,
    /// "Scope drift: Read CRM contacts".
    pub what: String,
    /// The reason given, where there is one.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDetailView {
    pub can_manage: bool,
    pub nhi: NhiView,
    pub secret_issued: bool,
    pub live_tokens: i64,
    /// "Campaign Manager: read (email, region)" — in force in active workflows.
    pub in_force: Vec<String>,
    pub steps: Vec<IdentityStepView>,
    pub decisions: Vec<IdentityDecisionView>,
    pub changes: Vec<IdentityChangeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityStepView {
    pub workflow_id: String,
    pub workflow: String,
    pub workflow_state: String,
    pub step: String,
    /// "Campaign Manager · read · fields email, region · for marketing".
    pub grant: String,
    pub awaiting_review: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDecisionView {
    pub id: String,
    pub decided: String,
    pub workflow_id: String,
    pub workflow: String,
    pub purpose: String,
    pub allowed_subjects: usize,
    pub denied_subjects: usize,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityChangeView {
    pub id: String,
    pub title: String,
    pub status: String,
    pub tier: i64,
    pub created: String,
}

/// A workflow just defined: where its page is, and what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinedView {
    pub id: String,
    pub message: String,
}
