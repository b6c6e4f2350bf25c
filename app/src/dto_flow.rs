//! What the Flow page sends to the browser: review latency by group and stage.

use serde::{Deserialize, Serialize};

/// One group's stages: (p50, p95, how many) for first sign-off, approval and publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowGroupView {
    pub label: String,
    pub drafted: usize,
    pub pre_approved: usize,
    /// "5.2 h" or "—", per stage.
    pub stages: Vec<FlowStageView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStageView {
    pub p50: String,
    pub p95: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowView {
    pub days: i64,
    pub overall: FlowGroupView,
    pub by_tier: Vec<FlowGroupView>,
    pub by_workflow: Vec<FlowGroupView>,
    pub by_week: Vec<FlowGroupView>,
    pub waiting: usize,
    /// "2.1 d", when something waits.
    pub oldest_waiting: Option<String>,
    /// Time to publication of changes approved by policy under a template.
    pub pre_approved_publication: FlowStageView,
    /// The window held more changes than one report reads.
    pub cut: bool,
}
