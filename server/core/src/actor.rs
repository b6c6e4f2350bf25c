use crate::domain::{
    AuditorTokenId, DirectoryTokenId, HumanId, NhiId, NhiKind, NhiState, Role, RoleSet,
};

/// How an identity reached the console: the HTTP API or the Model Context Protocol server.
/// Both run the same commands; the ledger says which one was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    #[default]
    Api,
    Mcp,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Mcp => "mcp",
        }
    }
}

/// Who is asking. Resolved by the adapters (session, bearer token) and passed to every command;
/// the service layer, not the adapter, decides what the actor may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person with the roles their IdP groups map to.
    Human {
        id: HumanId,
        name: String,
        roles: RoleSet,
        active: bool,
        /// When the person last proved who they are to the IdP (milliseconds); `None` when the
        /// adapter did not say (the actor then counts as not recently authenticated).
        authenticated_at_ms: Option<i64>,
    },
    /// A service account or agent presenting an access token, as the registry knows it now.
    Nhi {
        id: NhiId,
        name: String,
        kind: NhiKind,
        state: NhiState,
        expired: bool,
        orphaned: bool,
        /// Which door the request came through; recorded with every event it causes.
        via: Via,
    },
    /// An auditor's tool presenting a read-only machine token a security admin issued.
    AuditorToken { id: AuditorTokenId, name: String },
    /// The corporate directory provisioning people (SCIM) with a token a security admin
    /// created on the Directory sync page.
    Directory { id: DirectoryTokenId, name: String },
    /// The console itself (start-up seeding, the publisher in later work).
    System,
    /// Nobody is signed in.
    Anonymous,
}

impl Actor {
    /// An identity as the registry knows it at `now`: what the policies judge it by.
    pub fn for_nhi(nhi: &crate::domain::Nhi, now: chrono::DateTime<chrono::Utc>) -> Self {
        Actor::Nhi {
            id: nhi.id,
            name: nhi.name.clone(),
            kind: nhi.kind,
            state: nhi.state,
            expired: nhi.is_expired(now),
            orphaned: nhi.is_orphaned(),
            via: Via::Api,
        }
    }

    /// The same identity, calling through `via`.
    pub fn through(mut self, channel: Via) -> Self {
        if let Actor::Nhi { via, .. } = &mut self {
            *via = channel;
        }
        self
    }

    /// The door an identity's request came through (`None` for people and the console).
    pub fn via(&self) -> Option<Via> {
        match self {
            Actor::Nhi { via, .. } => Some(*via),
            _ => None,
        }
    }

    /// The same person, last authenticated at `at_ms`.
    pub fn authenticated_at(mut self, at_ms: i64) -> Self {
        if let Actor::Human {
            authenticated_at_ms,
            ..
        } = &mut self
        {
            *authenticated_at_ms = Some(at_ms);
        }
        self
    }

    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, Actor::Human { roles, .. } if roles.contains(role))
    }

    /// The stable reference recorded in the ledger.
    pub fn reference(&self) -> String {
        match self {
            Actor::Human { id, .. } => id.reference(),
            Actor::Nhi { id, .. } => id.reference(),
            Actor::AuditorToken { id, .. } => id.reference(),
            Actor::Directory { id, .. } => id.reference(),
            Actor::System => "system:countersign".to_owned(),
            Actor::Anonymous => "anonymous".to_owned(),
        }
    }

    /// A human-readable label recorded next to the reference.
    pub fn label(&self) -> String {
        match self {
            Actor::Human { name, .. }
            | Actor::Nhi { name, .. }
            | Actor::AuditorToken { name, .. }
            | Actor::Directory { name, .. } => name.clone(),
            Actor::System => "Countersign".to_owned(),
            Actor::Anonymous => "anonymous".to_owned(),
        }
    }
}
