//! What the Directory sync page sends to the browser: the directory's tokens, the last sync,
//! recent SCIM changes and their effects, identities needing a new owner and people the
//! directory does not know.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryView {
    pub scim_url: String,
    pub tokens: Vec<DirectoryTokenView>,
    pub users: i64,
    pub active_users: i64,
    pub groups: i64,
    pub last_sync: Option<String>,
    pub changes: Vec<DirectoryChangeView>,
    pub orphaned: Vec<OrphanView>,
    pub outside: Vec<OutsidePersonView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryTokenView {
    pub id: String,
    pub name: String,
    pub created_by: String,
    pub created_at: String,
    /// "never" until the directory first uses it.
    pub last_used: String,
    /// active, revoked, rotated, or creator inactive.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryChangeView {
    pub at: String,
    /// "Deactivated", "Provisioned", "Group changed"…
    pub what: String,
    pub about: String,
    pub effects: Vec<String>,
    /// A leaver: the row is highlighted.
    pub departure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrphanView {
    pub id: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsidePersonView {
    pub name: String,
    pub email: Option<String>,
    pub status: String,
}

/// A directory token just created or rotated, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryTokenShown {
    pub name: String,
    pub token: String,
    pub scim_url: String,
    /// Rotated: the old token stopped at once.
    pub rotated: bool,
}
