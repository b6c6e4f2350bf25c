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
    ViewAudit,
    VerifyAudit,
    SeedDemo,
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
            Action::ViewAudit => "view_audit",
            Action::VerifyAudit => "verify_audit",
            Action::SeedDemo => "seed_demo",
        }
    }
}

/// What an action is done to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Console,
    Ledger,
}

impl Resource {
    pub(crate) fn entity(&self) -> (&'static str, String) {
        match self {
            Resource::Console => ("Console", "console".to_owned()),
            Resource::Ledger => ("Ledger", "ledger".to_owned()),
        }
    }
}
