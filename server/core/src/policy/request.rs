use crate::domain::{NhiId, StepId, WorkflowId, WorkflowState};
use serde::{Deserialize, Serialize};

/// Everything the console can be asked to do. Each maps to one Cedar action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    EnterConsole,
    SignOut,
    ViewQueue,
    ViewWorkflows,
    ViewIdentities,
    ManageIdentities,
    ManageSystems,
    ManageWorkflows,
    /// Import consent records (CSV) and see the consent ledger.
    ManageConsent,
    /// Ask the policy simulator what Cedar would decide.
    SimulatePolicy,
    /// Approve or reject a widened grant that raised a workflow's tier.
    ApproveScopeDrift,
    ViewAudit,
    VerifyAudit,
    SeedDemo,
    /// An identity asks for an access token bound to a step.
    ObtainCredential,
    /// An identity presents its access token.
    UseCredential,
    /// Read one field of customer data for a purpose, within a step.
    ReadData,
    /// Submit a draft within a step.
    SubmitDraft,
    /// Load consent records within a step.
    RecordConsent,
    /// Sign off a change at the gate (never an identity).
    ApproveChange,
    /// Change a connected system (only Countersign's publisher).
    PublishChange,
    /// Sign off a change at the gate in one role: approve, reject or request changes.
    SignOff,
    /// Mark, substantiate or reject claims in a change's content (legal reviewers).
    ReviewClaims,
    /// Add or edit a change's rollback plan (its drafting identity, or an approver).
    EditRollbackPlan,
    /// See how reviewers reviewed: dwell times, hasty approvals (security admins).
    ViewReviewQuality,
    /// Roll back a published change (approvers, security admins).
    RollBackChange,
    /// Pull the kill switch on a workflow (security admins, the workflow's owner).
    RevokeWorkflow,
    /// See deliveries to connected systems and retry dead-lettered ones (security admins).
    ManageDeliveries,
    /// Name where a change's outcome is reported (its drafting identity, while it is open).
    RegisterCallback,
    /// Read the log's checkpoints and proofs (auditors, security admins, auditors' machine
    /// tokens).
    ReadLedgerProofs,
    /// Issue and revoke read-only machine tokens for auditors' tools (security admins).
    ManageAuditorTokens,
    /// Download a change's or workflow's evidence pack (auditors, security admins).
    ExportEvidence,
    /// See the framework map and export it (security admins, auditors).
    ViewCompliance,
    /// Hand the ledger's log over to a new key (the operator, through the command line).
    RotateLogKey,
    /// Name a delegate for one's own reviewer role while away (approvers, legal reviewers).
    DelegateRole,
    /// See every delegation in force and end any (security admins).
    ManageDelegations,
    /// Propose a pre-approved template (approvers, legal reviewers).
    ProposeTemplate,
    /// Approve or reject a proposed template in a role its tier needs; never one's own.
    SignTemplate,
    /// Withdraw a template: further use stops at once (approvers, legal reviewers).
    WithdrawTemplate,
    /// See review latency (the Flow page): approvers, legal reviewers, security admins.
    ViewFlow,
    /// Trace a customer's data or a change's chain (Investigate): security admins, auditors.
    Investigate,
    /// Create, rotate and revoke the directory's SCIM tokens and see what it provisioned
    /// (the Directory sync page): security admins.
    ManageDirectory,
    /// Provision people and groups over SCIM: the directory's token, nothing else.
    ProvisionDirectory,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 43] = {
        use Action::*;
        [
            EnterConsole,
            SignOut,
            ViewQueue,
            ViewWorkflows,
            ViewIdentities,
            ManageIdentities,
            ManageSystems,
            ManageWorkflows,
            ManageConsent,
            SimulatePolicy,
            ApproveScopeDrift,
            ViewAudit,
            VerifyAudit,
            SeedDemo,
            ObtainCredential,
            UseCredential,
            ReadData,
            SubmitDraft,
            RecordConsent,
            ApproveChange,
            PublishChange,
            SignOff,
            ReviewClaims,
            EditRollbackPlan,
            ViewReviewQuality,
            RollBackChange,
            RevokeWorkflow,
            ManageDeliveries,
            RegisterCallback,
            ReadLedgerProofs,
            ManageAuditorTokens,
            ExportEvidence,
            ViewCompliance,
            RotateLogKey,
            DelegateRole,
            ManageDelegations,
            ProposeTemplate,
            SignTemplate,
            WithdrawTemplate,
            ViewFlow,
            Investigate,
            ManageDirectory,
            ProvisionDirectory,
        ]
    };

    /// The action with this Cedar name, if there is one.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::EnterConsole => "enter_console",
            Action::SignOut => "sign_out",
            Action::ViewQueue => "view_queue",
            Action::ViewWorkflows => "view_workflows",
            Action::ViewIdentities => "view_identities",
            Action::ManageIdentities => "manage_identities",
            Action::ManageSystems => "manage_systems",
            Action::ManageWorkflows => "manage_workflows",
            Action::ApproveScopeDrift => "approve_scope_drift",
            Action::ManageConsent => "manage_consent",
            Action::SimulatePolicy => "simulate_policy",
            Action::ViewAudit => "view_audit",
            Action::VerifyAudit => "verify_audit",
            Action::SeedDemo => "seed_demo",
            Action::ObtainCredential => "obtain_credential",
            Action::UseCredential => "use_credential",
            Action::ReadData => "read_data",
            Action::SubmitDraft => "submit_draft",
            Action::RecordConsent => "record_consent",
            Action::ApproveChange => "approve_change",
            Action::SignOff => "sign_off",
            Action::ReviewClaims => "review_claims",
            Action::EditRollbackPlan => "edit_rollback_plan",
            Action::ViewReviewQuality => "view_review_quality",
            Action::PublishChange => "publish_change",
            Action::RollBackChange => "roll_back_change",
            Action::RevokeWorkflow => "revoke_workflow",
            Action::ManageDeliveries => "manage_deliveries",
            Action::RegisterCallback => "register_callback",
            Action::ReadLedgerProofs => "read_ledger_proofs",
            Action::ManageAuditorTokens => "manage_auditor_tokens",
            Action::ExportEvidence => "export_evidence",
            Action::ViewCompliance => "view_compliance",
            Action::RotateLogKey => "rotate_log_key",
            Action::DelegateRole => "delegate_role",
            Action::ManageDelegations => "manage_delegations",
            Action::ProposeTemplate => "propose_template",
            Action::SignTemplate => "sign_template",
            Action::WithdrawTemplate => "withdraw_template",
            Action::ViewFlow => "view_flow",
            Action::Investigate => "investigate",
            Action::ManageDirectory => "manage_directory",
            Action::ProvisionDirectory => "provision_directory",
        }
    }
}

/// What an action is done to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Console,
    Ledger,
    /// One step of a workflow, with what the policies need to know about it now.
    Step {
        id: StepId,
        workflow: WorkflowId,
        workflow_state: WorkflowState,
        /// The identity that performs the step, when an identity does.
        performer: Option<NhiId>,
        #[serde(default = "tier_one")]
        workflow_tier: i64,
        /// The grant in force: action names, fields, purposes.
        #[serde(default)]
        grant_actions: Vec<String>,
        #[serde(default)]
        grant_fields: Vec<String>,
        #[serde(default)]
        grant_purposes: Vec<String>,
    },
    /// A workflow as a whole, with its owner and state.
    Workflow {
        id: WorkflowId,
        owner: crate::domain::HumanId,
        state: WorkflowState,
        /// The people whose widened grants await review in it.
        #[serde(default)]
        widened_by: Vec<crate::domain::HumanId>,
    },
    /// A change request at the gate.
    Change {
        id: String,
        status: crate::domain::ChangeStatus,
        tier: i64,
        audience: crate::domain::Audience,
        /// The identity that drafted it.
        drafted_by: NhiId,
        /// The roles its tier's sign-off rule needs.
        signer_roles: Vec<crate::domain::Role>,
        /// The people separation of duties keeps from signing it.
        #[serde(default)]
        excluded_signers: Vec<crate::domain::HumanId>,
    },
}

fn tier_one() -> i64 {
    1
}

impl Resource {
    /// A workflow step as the policies see it now.
    pub fn step(workflow: &crate::domain::Workflow, step: &crate::domain::Step) -> Self {
        Resource::Step {
            id: step.id,
            workflow: workflow.id,
            workflow_state: workflow.state,
            performer: match step.performer {
                crate::domain::Performer::Nhi(id) => Some(id),
                _ => None,
            },
            workflow_tier: workflow.tier.number(),
            grant_actions: step
                .grant
                .actions
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            grant_fields: step.grant.fields.iter().cloned().collect(),
            grant_purposes: step.grant.purposes.iter().cloned().collect(),
        }
    }
}
