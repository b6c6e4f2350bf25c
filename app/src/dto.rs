//! What the server sends the UI. Kept apart from domain types and database rows.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub name: String,
    /// Role labels, e.g. "Legal reviewer".
    pub roles: Vec<String>,
    /// Areas policy lets this person see: `queue`, `workflows`, `identities`, `audit`.
    pub areas: Vec<String>,
    /// Whether this person may download evidence packs.
    pub may_export_evidence: bool,
    /// Notices not yet read (the bell's count).
    pub unread_notices: i64,
}

impl SessionView {
    pub fn can(&self, area: &str) -> bool {
        self.areas.iter().any(|a| a == area)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaView {
    pub key: String,
    pub name: String,
    pub roles: Vec<String>,
    pub blurb: String,
    /// One thing to try as this persona, and where.
    pub tip: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    pub sso_enabled: bool,
    /// Why single sign-on cannot be used right now, when it cannot.
    pub sso_unavailable: Option<String>,
    /// The IdP's end-session URL, offered after signing out, when the IdP publishes one.
    pub idp_sign_out_url: Option<String>,
    pub personas: Vec<PersonaView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor_label: String,
    pub actor_ref: String,
    pub action: String,
    pub subject: String,
    /// Pretty-printed JSON.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    /// What the subject is called now, and where it is shown.
    pub subject_name: Option<String>,
    pub subject_href: Option<String>,
    /// Whether the latest signed checkpoint holds the event (its proof is available).
    pub provable: bool,
}

/// The filters of the Audit page, as typed (also the export's query).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilterView {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub flagged: bool,
}

impl AuditFilterView {
    /// The filters as URL query pairs (empty ones left out).
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("subject", &self.subject),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
        if self.flagged {
            pairs.push(("flagged", "1".to_owned()));
        }
        pairs
    }

    pub fn is_empty(&self) -> bool {
        self.query_pairs().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageView {
    pub events: Vec<AuditEventView>,
    pub next_before: Option<i64>,
    pub total: i64,
    pub checkpoint_size: Option<u64>,
}

/// An event's inclusion proof in the latest signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventProofView {
    pub seq: i64,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Base64.
    pub leaf_hash: String,
    pub proof: Vec<String>,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: String,
}

/// The ledger as a verifiable log: what an auditor needs to check it without trusting us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogStatusView {
    /// `name+id+key`, as `countersign audit key` prints it.
    pub public_key: Option<String>,
    pub events: i64,
    pub checkpoint: Option<CheckpointView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointView {
    pub size: u64,
    /// RFC 3339.
    pub signed_at: String,
    /// The signed note, exactly as signed.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerCheckView {
    Intact {
        events: u64,
    },
    Broken {
        seq: i64,
        problem: String,
        verified: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    pub id: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NhiView {
    pub id: String,
    /// `service_account` or `agent`.
    pub kind: String,
    pub name: String,
    pub purpose: String,
    /// `active`, `suspended` or `revoked`.
    pub state: String,
    pub orphaned: bool,
    pub expired: bool,
    /// `YYYY-MM-DD`, UTC.
    pub expires_on: String,
    pub expires_in_days: i64,
    pub model: Option<String>,
    pub last_used: Option<String>,
    pub owners: Vec<OwnerView>,
    /// The connected systems its workflow steps reach (workflows that are not revoked).
    pub reaches: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub active: bool,
    /// Why the person is inactive, or whether they have signed in yet.
    pub status: String,
    /// A pre-registered person's own sign-in, kept apart because the IdP did not verify the
    /// email: (the separate record's id, its name), for a security admin to link.
    pub link_candidate: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitiesView {
    pub can_manage: bool,
    pub nhis: Vec<NhiView>,
    pub people: Vec<PersonView>,
    /// The latest expiry date a new identity may have (`YYYY-MM-DD`).
    pub latest_expiry: String,
    pub today: String,
    pub paging: crate::dto_registry::PageInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldView {
    pub name: String,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub fields: Vec<FieldView>,
    pub secret_version: i64,
    pub created_on: String,
    pub last_drill: Option<DrillView>,
    /// Hosts content published here may link to and load images from.
    pub content_hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillView {
    pub passed: bool,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub at: String,
    pub duration_ms: i64,
    /// The receipt id when it passed, the error when it failed.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemsView {
    pub can_manage: bool,
    pub systems: Vec<SystemView>,
}

/// A signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretShown {
    pub system: String,
    pub secret: String,
    pub version: i64,
}

/// An identity's client secret, shown once (at registration or rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSecretShown {
    pub identity: String,
    pub client_id: String,
    pub secret: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Who performs it: an identity's name, a person's name, or "Countersign publisher".
    pub performer: String,
    /// The performing identity's own page, for those who may see the registry.
    pub performer_href: Option<String>,
    pub owner: Option<String>,
    /// Where: the connected system's name.
    pub system: Option<String>,
    pub actions: Vec<String>,
    pub fields: Vec<String>,
    pub purposes: Vec<String>,
    pub human_review: bool,
    /// The grant in force, as the edit form needs it.
    pub grant: GrantInput,
    /// What a widening awaiting review would add, in words.
    pub awaiting_review: Option<String>,
    /// `step:<id>`, the scope its identity asks tokens for; only for steps an identity performs.
    pub token_scope: Option<String>,
}

/// A step's grant as the forms send it: ids and machine names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantInput {
    /// A connected system's id, or empty for none.
    pub system: String,
    /// `read`, `infer_traits`, `draft`, `publish`.
    pub actions: Vec<String>,
    pub fields: Vec<String>,
    /// Comma-separated purposes, e.g. `spring_offer`.
    pub purposes: String,
    pub human_review: bool,
}

/// One step of a workflow being defined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    pub name: String,
    /// `read_customer_data`, `draft_content`, `human_review`, `publish`, `other`.
    pub kind: String,
    /// `nhi:<id>`, `human:<id>` or `publisher`.
    pub performer: String,
    /// A person's id, or empty.
    pub owner: String,
    pub grant: GrantInput,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowInput {
    pub name: String,
    pub purpose: String,
    pub owner: String,
    pub steps: Vec<StepInput>,
}

/// What the workflow builder offers to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuilderOptions {
    pub can_manage: bool,
    /// Active people: owners and human performers.
    pub people: Vec<ChoiceView>,
    /// Identities that can be named as performers (not revoked).
    pub identities: Vec<ChoiceView>,
    pub systems: Vec<SystemChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceView {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemChoice {
    pub id: String,
    pub name: String,
    pub fields: Vec<FieldView>,
}

/// What one identity can do across all workflows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeView {
    pub id: String,
    pub identity: String,
    pub kind: String,
    pub state: String,
    /// "Campaign Manager: read email, region" — what is in force in active workflows.
    pub in_force: Vec<String>,
    /// "Spring offer email (active) · Read CRM contacts", one line per step.
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckView {
    pub passed: bool,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowView {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub owner: String,
    pub state: String,
    pub tier: i64,
    pub steps: Vec<StepView>,
    pub checklist: Vec<CheckView>,
    /// The sign-offs a change of this workflow needs, e.g. "1 approver + 1 legal reviewer".
    pub signoffs: String,
    /// Whether this person may pull the workflow's kill switch now.
    pub can_revoke: bool,
    /// The kill switch, once pulled, with each system's receipt.
    pub revocation: Option<crate::dto_effects::RevocationView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowsView {
    pub can_manage: bool,
    pub workflows: Vec<WorkflowView>,
    /// Connected systems, for the grant editor.
    pub systems: Vec<SystemChoice>,
    pub privileges: Vec<PrivilegeView>,
    /// The workflow's newest events in the ledger.
    pub history: Vec<crate::dto_registry::HistoryEntryView>,
    /// The ids of the connected systems its steps use.
    pub systems_used: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub id: String,
    pub purpose: String,
    pub decided_at: String,
    pub allowed_fields: Vec<String>,
    pub denied_fields: Vec<String>,
    /// "crm-1 (consent)".
    pub allowed_subjects: Vec<String>,
    /// The legal basis the current version states for this decision's data.
    pub stated_basis: Option<String>,
    pub denied_subjects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: i64,
    pub submitted_at: String,
    pub content: String,
    pub format: String,
    pub content_hash: String,
    pub model: String,
    pub model_version: String,
    pub prompt: String,
    pub system_prompt: String,
    pub data_sources: Vec<String>,
    pub fields_used: Vec<String>,
    /// "name: input → output", one per call.
    pub tool_calls: Vec<String>,
    pub raw_output: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeDetailView {
    pub id: String,
    pub title: String,
    pub status: String,
    pub tier: i64,
    pub workflow: String,
    pub step: String,
    pub channel: String,
    pub audience: String,
    pub purpose: String,
    pub target: String,
    pub drafted_by: String,
    pub model_of_agent: Option<String>,
    pub owners: Vec<String>,
    pub created_at: String,
    /// Newest first.
    pub versions: Vec<VersionView>,
    pub decisions: Vec<DecisionView>,
    /// Everything the approval gate shows and allows on this page.
    pub gate: crate::dto_gate::GateView,
    /// What was published, every delivery, and whether this person may roll it back.
    pub effects: crate::dto_effects::ChangeEffectsView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentBatchView {
    pub id: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub rows: i64,
}

/// The data-access page: the consent ledger and what the simulator can be asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAccessView {
    pub records: i64,
    pub subjects: i64,
    pub batches: Vec<ConsentBatchView>,
    pub identities: Vec<ChoiceView>,
    /// "Workflow · step (performed by …)", by step id.
    pub steps: Vec<ChoiceView>,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvRowError {
    pub row: usize,
    pub problem: String,
}

/// A CSV preview, or the outcome of its import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvPreview {
    pub valid_rows: usize,
    pub errors: Vec<CsvRowError>,
    /// The first rows as they will be recorded: "crm-1 · spring_offer · consent · granted 2026-03-01".
    pub sample: Vec<String>,
    /// Set once imported.
    pub imported: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedView {
    pub field: Option<String>,
    pub allowed: bool,
    pub policies: Vec<String>,
}

/// A machine token an auditor's tool uses to read the ledger's proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditorTokenView {
    pub id: String,
    pub name: String,
    pub issued_by: String,
    pub issued_at: String,
    pub expires_at: String,
    /// `active`, `expired`, `revoked` or `issuer inactive`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditorTokensView {
    pub tokens: Vec<AuditorTokenView>,
    /// Whether the signed-in person may issue and revoke them.
    pub can_manage: bool,
    pub max_days: i64,
}

/// A newly issued auditor token, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditorTokenShown {
    pub name: String,
    pub token: String,
    pub expires_at: String,
}

/// A fact the framework map measures now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceFactView {
    pub id: String,
    /// `met`, `attention` or `not_met`.
    pub status: String,
    pub summary: String,
    pub items: Vec<String>,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceControlView {
    pub id: String,
    pub title: String,
    /// `by_design`, `met`, `attention` or `not_met`, and its label.
    pub status: String,
    pub status_label: String,
    pub mechanisms: Vec<String>,
    pub facts: Vec<ComplianceFactView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceFrameworkView {
    pub id: String,
    pub title: String,
    pub controls: Vec<ComplianceControlView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceView {
    pub assessed_at: String,
    /// The workflow the map is filtered to: (id, name).
    pub scope: Option<(String, String)>,
    pub frameworks: Vec<ComplianceFrameworkView>,
    /// Every workflow, to filter by: (id, name).
    pub workflows: Vec<(String, String)>,
    /// Controls per status, over the whole map.
    pub counts: Vec<(String, usize)>,
}
