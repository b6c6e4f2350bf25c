//! What the Templates pages, the queue's spot-check view and a change's template panel send to
//! the browser.

use serde::{Deserialize, Serialize};

/// One slot and its constraints, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub name: String,
    /// "Berlin, Hamburg", or empty for any value.
    pub allowed: String,
    pub pattern: String,
    pub max_chars: usize,
    pub no_claims: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRowView {
    pub id: String,
    pub name: String,
    pub workflow: String,
    pub tier: i64,
    /// proposed, approved, rejected, withdrawn or expired.
    pub state: String,
    pub expires: String,
    pub approved_by: Vec<String>,
    pub proposed_by: String,
}

/// A change drafted under a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatedChangeView {
    pub change_id: String,
    pub title: String,
    pub status: String,
    pub template_id: String,
    pub template: String,
    pub pre_approved: bool,
    /// "city = Berlin · day = Saturday".
    pub values: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatesView {
    pub templates: Vec<TemplateRowView>,
    /// Workflows a template may serve: (id, "name · tier N").
    pub workflows: Vec<(String, String)>,
    pub may_propose: bool,
    /// What the operator lets policy approve: "tier 1", "tiers 1 and 2".
    pub allowed_tiers: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSignoffView {
    pub signer: String,
    pub role: String,
    pub decision: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDetailView {
    pub row: TemplateRowView,
    pub text: String,
    pub format: String,
    pub audience: String,
    pub slots: Vec<SlotView>,
    pub rollback_steps: String,
    pub hash: String,
    /// "1 approver + 1 legal reviewer".
    pub rule: String,
    pub signoffs: Vec<TemplateSignoffView>,
    pub changes: Vec<TemplatedChangeView>,
    /// Roles the reader may sign it in now: (value, label); empty with the reason when none.
    pub sign_as: Vec<(String, String)>,
    pub cannot_sign: Option<String>,
    pub may_withdraw: bool,
    pub withdrawn: Option<String>,
}

/// The template a change declared, on the change's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUseView {
    pub template_id: String,
    pub template: String,
    pub pre_approved: bool,
    /// "approved by Olga Stein and Lukas Brandt on 2026-11-26".
    pub approval: String,
    pub values: Vec<(String, String)>,
    /// What kept policy from approving it.
    pub problems: Vec<String>,
}
