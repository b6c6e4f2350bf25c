//! What the queue and the approval gate send to the browser.

use serde::{Deserialize, Serialize};

/// One change in the queue, with its evidence badges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRowView {
    pub id: String,
    pub title: String,
    pub workflow: String,
    pub tier: i64,
    pub status: String,
    pub channel: String,
    pub audience: String,
    /// "3 h", "2 d".
    pub age: String,
    /// "due in 5 h" or "overdue by 2 h", while the change waits for sign-off.
    pub due: Option<String>,
    pub overdue: bool,
    pub drafted_by: String,
    pub owners: Vec<String>,
    pub version: i64,
    pub provenance: bool,
    pub legal_basis: bool,
    pub rollback_plan: bool,
    /// Unresolved claims, when claims are reviewed for this change.
    pub open_claims: Option<i64>,
    pub approvals: usize,
    pub approvals_needed: usize,
}

/// The filters of a queue page, as the URL carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilters {
    /// `mine` (needs my role, the default) or `all`.
    pub view: String,
    pub status: String,
    pub tier: String,
    pub workflow: String,
    pub channel: String,
    pub audience: String,
    /// Hours: only changes at least this old.
    pub age: String,
    /// `oldest` (default) or `newest`.
    pub sort: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub changes: Vec<ChangeRowView>,
    pub total: i64,
    pub by_tier: [i64; 3],
    /// Per tier: more than the count shown.
    pub capped: [bool; 3],
    pub next: Option<String>,
    /// Workflows to filter by: (id, name).
    pub workflows: Vec<(String, String)>,
    /// The roles "needs my role" looked for, as labels; empty when the person signs nothing.
    pub my_roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimView {
    pub id: String,
    /// The variant of a set it is in; empty for the content (a set's base).
    #[serde(default)]
    pub variant: String,
    pub start: usize,
    pub end: usize,
    pub quote: String,
    /// Rule labels, or empty when a reviewer marked it.
    pub rules: Vec<String>,
    pub marked_by: Option<String>,
    pub status: String,
    pub status_label: String,
    pub evidence: String,
    pub comment: String,
    /// "Person lee, 2026-11-27 09:00 UTC".
    pub reviewed: Option<String>,
    pub event_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignoffView {
    pub signer: String,
    pub role: String,
    pub decision: String,
    pub decision_label: String,
    pub comment: String,
    pub at: String,
    pub version: i64,
    pub content_hash: String,
    /// "stands", "voided by a new version", "expired".
    pub standing: String,
    pub opened_full_content: bool,
    pub viewed_diff: bool,
    /// "42 s", "3 min".
    pub dwell: String,
    pub hasty: bool,
    pub event_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleProgressView {
    pub role: String,
    pub need: u8,
    pub approvals: Vec<String>,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceView {
    pub key: String,
    pub label: String,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackView {
    pub steps: String,
    pub restores: String,
    pub written: String,
    pub revision: i64,
    pub event_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLineView {
    /// `same`, `added` or `removed`.
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateView {
    pub current_version: i64,
    pub current_hash: String,
    /// Sanitized HTML of the current version, for the preview.
    pub rendered_html: String,
    /// The reviewable text claims point into: whole, or its start when `text_complete` is
    /// false (the rest is served on request).
    pub text: String,
    pub text_complete: bool,
    pub words: usize,
    pub claims: Vec<ClaimView>,
    pub claims_reviewed: bool,
    pub rollback: Option<RollbackView>,
    pub signoffs: Vec<SignoffView>,
    /// "1 approver + 1 legal reviewer".
    pub rule: String,
    pub quorum: Vec<RoleProgressView>,
    pub quorum_met: bool,
    pub evidence: Vec<EvidenceView>,
    pub evidence_complete: bool,
    /// Roles the reader may sign in now: (value, label).
    pub sign_as: Vec<(String, String)>,
    /// Away colleagues the reader stands in for now: (person id, name, role value, role label).
    #[serde(default)]
    pub stand_in_for: Vec<(String, String, String, String)>,
    pub cannot_sign: Option<String>,
    pub may_review_claims: bool,
    pub may_edit_rollback: bool,
    /// Whether there is a previous version to compare with (the diff is served on request).
    pub has_diff: bool,
    /// The ledger event that wrote the current version.
    pub version_event_seq: Option<i64>,
    /// The exact bytes that will be published (the canonical form), and their format.
    pub source: String,
    pub format: String,
    /// Every link and media URL of the current version.
    pub outbound: Vec<OutboundView>,
    /// Who separation of duties keeps from signing, and why.
    pub excluded: Vec<ExcludedView>,
    /// A variant set's variants, the base first; empty for a single draft.
    #[serde(default)]
    pub variants: Vec<VariantView>,
    /// The template the draft declared, if it declared one.
    #[serde(default)]
    pub template_use: Option<crate::dto_templates::TemplateUseView>,
}

/// One variant of a set as the reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantView {
    pub name: String,
    pub audience: String,
    pub target: String,
    pub format: String,
    pub content_hash: String,
    pub words: usize,
    /// Its lines against the base's; empty for the base.
    pub diff: Vec<DiffLineView>,
    pub outbound: Vec<OutboundView>,
    /// Its claims: (open, all).
    pub open_claims: usize,
    pub claims: usize,
    /// "published as v7 (receipt r-12)", "waiting", "rolled back", when it was approved.
    pub delivery: Option<String>,
}

/// A URL the content links to or loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundView {
    /// "Link" or "Image".
    pub kind: String,
    pub url: String,
    /// The full host ("—" for mail and phone links and in-page anchors).
    pub host: String,
    /// The link text or the image's alt text.
    pub label: String,
    /// Not in the previous version.
    pub changed: bool,
}

/// A person kept from signing this change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedView {
    pub name: String,
    pub reason: String,
}

/// A sign-off as the page sends it. How the reviewer looked at the change is measured by the
/// server from what it served them; the page sends no figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignoffForm {
    pub change: String,
    pub role: String,
    pub decision: String,
    pub comment: String,
    pub content_hash: String,
    /// The away colleague the reader signs for, when they stand in for one.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerView {
    pub name: String,
    pub signoffs: usize,
    pub approvals: usize,
    /// "42 s".
    pub median_dwell: String,
    pub read_full_percent: u8,
    pub viewed_diff_percent: u8,
    pub hasty_approvals: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HastyView {
    pub change_id: String,
    pub reviewer: String,
    pub role: String,
    pub at: String,
    pub dwell: String,
    pub words: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQualityView {
    pub days: i64,
    pub signoffs: usize,
    pub reviewers: Vec<ReviewerView>,
    pub hasty: Vec<HastyView>,
}
