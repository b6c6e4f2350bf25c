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
    /// Approve or reject a widened grant that raised a workflow's tier.
    ApproveScopeDrift,
    ViewAudit,
    VerifyAudit,
    SeedDemo,
    /// An identity asks for an access token bound to a step.
    ObtainCredential,
    /// An identity presents its access token.
    UseCredential,
}

impl Action {
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
            Action::ViewAudit => "view_audit",
            Action::VerifyAudit => "verify_audit",
            Action::SeedDemo => "seed_demo",
            Action::ObtainCredential => "obtain_credential",
            Action::UseCredential => "use_credential",
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
    },
}
