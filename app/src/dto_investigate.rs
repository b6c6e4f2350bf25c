//! What the Investigate page sends to the browser: a subject's decisions and where they led, or
//! a change's chain back and forward.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationView {
    /// subject, target or change.
    pub kind: String,
    /// What was searched for, as understood (trimmed; a change id in lower case).
    pub query: String,
    pub subject: Option<SubjectTraceView>,
    pub chains: Vec<ChainView>,
    /// The ledger event recording this search.
    pub recorded_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectTraceView {
    pub total: i64,
    pub decisions: Vec<SubjectDecisionView>,
    /// The next (older) page's cursor.
    pub next: Option<String>,
    /// Distinct changes citing this page's decisions, and how many of them were published.
    pub changes: usize,
    pub published: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectDecisionView {
    pub id: String,
    pub decided: String,
    pub workflow: String,
    pub step: String,
    pub agent: String,
    pub purpose: String,
    pub allowed: bool,
    /// "allowed under consent" or "denied: no consent on record".
    pub standing: String,
    pub fields: Vec<String>,
    pub citing: Vec<CitingView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitingView {
    pub id: String,
    pub title: String,
    pub status: String,
    /// "v1, v2".
    pub versions: String,
    pub current_cites: bool,
    /// "Campaign Manager EU · campaigns/spring-2027".
    pub target: String,
    pub deliveries: Vec<DeliveryLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryLine {
    /// publish or rollback.
    pub kind: String,
    pub state: String,
    pub variant: Option<String>,
    pub target: String,
    pub at: String,
    pub receipt_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerLine {
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub state: String,
    pub owners: Vec<OwnerLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainDecisionView {
    pub id: String,
    pub purpose: String,
    pub decided: String,
    pub fields: Vec<String>,
    pub allowed: usize,
    pub denied: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerLine {
    /// "Grace Okafor" or "Grace Okafor for Lukas Brandt".
    pub name: String,
    pub role: String,
    pub verdict: String,
    pub at: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainView {
    pub id: String,
    pub title: String,
    pub status: String,
    pub tier: i64,
    pub drafted: String,
    pub workflow: String,
    pub workflow_id: String,
    pub step: String,
    pub target: String,
    pub agent: Option<AgentLine>,
    /// "claude-sonnet-4.5 (2026-09-01)".
    pub model: String,
    /// The prompt, at most a few thousand characters (`prompt_cut` when longer).
    pub prompt: String,
    pub prompt_cut: bool,
    pub fields_used: Vec<String>,
    pub data_sources: Vec<String>,
    pub content_hash: String,
    pub decisions: Vec<ChainDecisionView>,
    pub reviewers: Vec<ReviewerLine>,
    /// "Pre-approved under template T, approved by A and B on date".
    pub pre_approved: Option<String>,
    pub deliveries: Vec<DeliveryLine>,
    pub may_revoke: bool,
    pub workflow_revoked: bool,
}
