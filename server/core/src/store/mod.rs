//! Storage: one trait, two backends (SQLite embedded, PostgreSQL for production), the same SQL
//! text for both where the dialects agree. State changes go through a [`WriteTx`], which locks the
//! ledger head first and refuses to commit without an audit event, so a change and its event
//! commit together or not at all.

mod agent_drafts;
mod audit_search;
mod auditor_tokens;
mod changes;
mod compliance;
mod consent;
mod credentials;
mod delegations;
mod directory;
mod effects;
mod flow;
mod gate;
mod identities;
mod integrity;
mod investigate;
mod notifications;
mod person_link;
mod postgres;
mod redact;
mod registry_reads;
mod session_writes;
mod sql;
mod sqlite;
mod sqlite_rows;
mod subject_index;
mod systems;
mod templates;
mod throttle;
mod variants;
mod verifiable_log;
mod workflows;

use crate::domain::{
    ChangeRequest, ChangeStatus, ChangeVersion, ConnectedSystem, ConsentRecord, Deactivation,
    Drill, Grant, Human, HumanId, Nhi, NhiId, NhiState, StepId, SystemId, Tier, Workflow,
    WorkflowId, WorkflowState,
};
use crate::ledger::{NewEvent, StoredEvent};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

pub use identities::{contains_pattern, NhiFilter};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unreachable: {0}")]
    Unavailable(String),
    #[error("database URL is invalid: {0}")]
    BadUrl(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("a state change must record an audit event before it commits")]
    MissingAuditEvent,
    #[error("refusing to use the database: {0}")]
    UnsafePermissions(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Two counters in the ledger head, each moved in the commit of the writes it watches: the
/// registry's by every write that may change what a token stands for (see
/// [`WriteTx::leaves_registry_unchanged`]), the consent ledger's by every write of consent
/// records. A value read with some data means the data is at least that new; the same value at a
/// later commit means nothing it watches changed in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generations {
    pub registry: i64,
    pub consent: i64,
}

/// What `/readyz` reports about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub applied_migrations: i64,
    pub known_migrations: i64,
}

impl Readiness {
    pub fn migrations_current(&self) -> bool {
        self.applied_migrations == self.known_migrations
    }
}

/// A person as first recorded: at sign-in (with the IdP's issuer and subject) or pre-registered
/// by a security admin (neither yet).
#[derive(Debug, Clone)]
pub struct NewHuman {
    pub human: Human,
    pub issuer: Option<String>,
    pub subject: Option<String>,
}

/// A session record as stored: the key is already hashed by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub data: String,
    pub expires_at_ms: i64,
    /// The signed-in person, when there is one (not read back: it is in `data`).
    pub human_id: Option<String>,
}

pub use agent_drafts::{AgentDraftReads, AgentDraftWrites};
pub use audit_search::{AuditSearch, EventFilter};
pub use auditor_tokens::{AuditorTokenRow, AuditorTokenStore, AuditorTokenWrites, NewAuditorToken};
pub use compliance::{ComplianceReads, DECISIONS_JUDGED};
pub use delegations::{DelegationReads, DelegationWrites};
pub use directory::{
    DirectoryGroupRow, DirectoryReads, DirectoryTokenRow, DirectoryUserRow, DirectoryWrites,
    GroupLookup, NewDirectoryToken, UserLookup,
};
pub use effects::{EffectReads, EffectWrites, OutboxBacklog};
pub use flow::FlowReads;
pub use gate::{GateReads, GateWrites, QueueCounts, QueueFilter};
pub use integrity::{IntegrityStore, IntegrityWrites};
pub use investigate::{Citation, DecisionCursor, InvestigateReads, RecordedDecision};
pub use notifications::{NewNotification, NotificationRow, NotificationStore, NotificationWrites};
pub use person_link::PersonLinkWrites;
pub use registry_reads::RegistryReads;
pub use session_writes::SessionWrites;
pub use subject_index::{IndexedBatch, SubjectIndexing};
pub use templates::{TemplateReads, TemplateWrites, TemplatedChange};
pub use throttle::{EndedWindow, ThrottleStore, ThrottleWrites};
pub use variants::{VariantDelivery, VariantReads, VariantWrites};
pub use verifiable_log::{LogStore, LogTx, LogWrites, NodeKey, StoredCheckpoint};

#[async_trait]
pub trait Store:
    GateReads
    + EffectReads
    + IntegrityStore
    + ThrottleStore
    + LogStore
    + AuditorTokenStore
    + DirectoryReads
    + AgentDraftReads
    + NotificationStore
    + DelegationReads
    + ComplianceReads
    + AuditSearch
    + VariantReads
    + TemplateReads
    + FlowReads
    + InvestigateReads
    + SubjectIndexing
    + RegistryReads
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Reachability and migration state.
    async fn readiness(&self) -> Result<Readiness, StoreError>;

    /// Starts a state change. The ledger head is locked first, so concurrent changes append to
    /// the chain one at a time.
    async fn begin_write(&self, now_ms: i64) -> Result<Box<dyn WriteTx>, StoreError>;

    /// A transaction for the ledger's Merkle tree and checkpoints: it holds the ledger's write
    /// lock (so no event is appended meanwhile) and commits without an event of its own.
    async fn begin_log_write(&self) -> Result<Box<dyn LogTx>, StoreError>;

    async fn human(&self, id: HumanId) -> Result<Option<Human>, StoreError>;

    /// Everyone known to the console, by name.
    async fn humans(&self) -> Result<Vec<Human>, StoreError>;

    /// These people (those known of them), in one read.
    async fn humans_named(&self, ids: &[HumanId]) -> Result<Vec<Human>, StoreError>;

    /// Identities matching `filter`, by name, with their owners.
    async fn nhis(&self, filter: &NhiFilter) -> Result<Vec<Nhi>, StoreError>;

    async fn nhi(&self, id: NhiId) -> Result<Option<Nhi>, StoreError>;

    /// How many identities the filter matches, its page aside.
    async fn nhi_count(&self, filter: &NhiFilter) -> Result<i64, StoreError>;

    /// Every connected system, by name, with its fields.
    async fn systems(&self) -> Result<Vec<ConnectedSystem>, StoreError>;

    async fn system(&self, id: SystemId) -> Result<Option<ConnectedSystem>, StoreError>;

    /// The newest drill of each system that has one.
    async fn latest_drills(&self) -> Result<Vec<Drill>, StoreError>;

    /// When each system last passed a revocation drill.
    async fn last_passed_drills(
        &self,
    ) -> Result<Vec<(SystemId, chrono::DateTime<chrono::Utc>)>, StoreError>;

    /// Every workflow with its steps, by name.
    async fn workflows(&self) -> Result<Vec<Workflow>, StoreError>;

    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>, StoreError>;

    /// One page of the workflows whose name or purpose contains `search` (any case), in `state`
    /// when given, in name order; and how many match in all.
    async fn workflow_page(
        &self,
        search: &str,
        state: Option<crate::domain::WorkflowState>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Workflow>, i64), StoreError>;

    /// The workflow one of whose steps has this id.
    async fn workflow_by_step(&self, step: StepId) -> Result<Option<Workflow>, StoreError>;

    /// The Argon2id hash of an identity's client secret, if one was issued.
    async fn nhi_secret_hash(&self, id: NhiId) -> Result<Option<String>, StoreError>;

    /// The registry's and the consent ledger's generations as last committed.
    async fn generations(&self) -> Result<Generations, StoreError>;

    /// The access token with this SHA-256 hash, expired or not.
    async fn access_token(&self, token_hash: &str) -> Result<Option<AccessTokenRow>, StoreError>;

    /// Every consent record of these subjects (at most [`MAX_SUBJECTS_PER_QUERY`]), as the
    /// standing for `purpose` reads it, with its subject: read through a covering index.
    async fn consent_events_for(
        &self,
        subjects: &[String],
        purpose: &str,
    ) -> Result<Vec<(String, crate::domain::ConsentEvent)>, StoreError>;

    /// Counts and the newest import batches, for the consent page.
    async fn consent_overview(&self, batches: i64) -> Result<ConsentOverview, StoreError>;

    async fn access_decision(&self, id: &str) -> Result<Option<AccessDecisionRow>, StoreError>;

    async fn change(&self, id: &str) -> Result<Option<ChangeRequest>, StoreError>;
    /// Every version of a change, oldest first.
    async fn change_versions(&self, id: &str) -> Result<Vec<ChangeVersion>, StoreError>;
    /// Changes in `status`, oldest first, after the keyset `(created_at_ms, id)`.
    async fn changes_in_status(
        &self,
        status: ChangeStatus,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<ChangeRequest>, StoreError>;

    /// The sealed signing secret of a system, for the connector that signs calls to it.
    async fn system_secret(&self, id: SystemId) -> Result<Option<String>, StoreError>;

    /// Newest first; `before` is the sequence to continue below (keyset pagination).
    async fn events_page(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Oldest first, from `after` (exclusive); for verification in chunks.
    async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError>;

    async fn event_count(&self) -> Result<i64, StoreError>;

    async fn session_insert(&self, id_hash: &str, row: &SessionRow) -> Result<bool, StoreError>;
    async fn session_upsert(&self, id_hash: &str, row: &SessionRow) -> Result<(), StoreError>;
    async fn session_load(
        &self,
        id_hash: &str,
        now_ms: i64,
    ) -> Result<Option<SessionRow>, StoreError>;
    async fn session_delete(&self, id_hash: &str) -> Result<(), StoreError>;
    async fn sessions_delete_expired(&self, now_ms: i64) -> Result<u64, StoreError>;
}

/// One state change in progress. Dropping it without `commit` rolls everything back.
#[async_trait]
pub trait WriteTx:
    GateWrites
    + EffectWrites
    + IntegrityWrites
    + ThrottleWrites
    + SessionWrites
    + PersonLinkWrites
    + AuditorTokenWrites
    + DirectoryWrites
    + AgentDraftWrites
    + NotificationWrites
    + DelegationWrites
    + VariantWrites
    + TemplateWrites
    + Send
{
    async fn human_by_external(
        &mut self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<Human>, StoreError>;
    async fn insert_human(&mut self, new: &NewHuman) -> Result<(), StoreError>;
    /// Records a sign-in: name, email, roles and activation as the IdP reported them.
    async fn update_human_at_sign_in(&mut self, human: &Human) -> Result<(), StoreError>;

    async fn human_by_id(&mut self, id: HumanId) -> Result<Option<Human>, StoreError>;
    /// Whether any person, signed in or pre-registered, has this email.
    async fn email_taken(&mut self, email: &str) -> Result<bool, StoreError>;
    /// A pre-registered person (no IdP identity yet) with this email.
    async fn unlinked_human_by_email(&mut self, email: &str) -> Result<Option<Human>, StoreError>;
    /// Binds a pre-registered person to the IdP identity they first signed in with.
    async fn link_human(
        &mut self,
        id: HumanId,
        issuer: &str,
        subject: &str,
    ) -> Result<(), StoreError>;
    async fn set_human_deactivation(
        &mut self,
        id: HumanId,
        deactivation: Option<Deactivation>,
    ) -> Result<(), StoreError>;

    async fn nhi_name_taken(&mut self, name: &str) -> Result<bool, StoreError>;
    async fn insert_nhi(&mut self, nhi: &Nhi) -> Result<(), StoreError>;
    async fn nhi_by_id(&mut self, id: NhiId) -> Result<Option<Nhi>, StoreError>;
    /// Replaces the owners; each owner removed is kept in the stewardship record (separation of
    /// duties remembers who owned an identity while a change was under review).
    async fn replace_nhi_owners(
        &mut self,
        id: NhiId,
        owners: &[HumanId],
        at_ms: i64,
    ) -> Result<(), StoreError>;
    async fn set_nhi_state(
        &mut self,
        id: NhiId,
        state: NhiState,
        reason: &str,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// Identities owned by `human` that have no other active owner.
    async fn nhis_only_owned_by(&mut self, human: HumanId) -> Result<Vec<NhiId>, StoreError>;

    async fn system_name_taken(&mut self, name: &str) -> Result<bool, StoreError>;
    async fn insert_system(
        &mut self,
        system: &ConnectedSystem,
        sealed_secret: &str,
    ) -> Result<(), StoreError>;
    async fn system_by_id(&mut self, id: SystemId) -> Result<Option<ConnectedSystem>, StoreError>;
    async fn set_system_secret(
        &mut self,
        id: SystemId,
        sealed_secret: &str,
        version: i64,
    ) -> Result<(), StoreError>;

    async fn insert_drill(&mut self, drill: &Drill) -> Result<(), StoreError>;

    async fn workflow_name_taken(&mut self, name: &str) -> Result<bool, StoreError>;
    async fn insert_workflow(&mut self, workflow: &Workflow) -> Result<(), StoreError>;
    async fn workflow_by_id(&mut self, id: WorkflowId) -> Result<Option<Workflow>, StoreError>;
    async fn set_workflow_state(
        &mut self,
        id: WorkflowId,
        state: WorkflowState,
        at_ms: i64,
    ) -> Result<(), StoreError>;

    /// Replaces a step's active grant and the widening awaiting review.
    async fn set_step_grants(
        &mut self,
        step: StepId,
        grant: &Grant,
        pending: Option<&Grant>,
    ) -> Result<(), StoreError>;
    async fn set_workflow_tier(&mut self, id: WorkflowId, tier: Tier) -> Result<(), StoreError>;

    async fn set_nhi_secret_hash(
        &mut self,
        id: NhiId,
        hash: &str,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// Records that an identity used its credentials.
    async fn touch_nhi(&mut self, id: NhiId, at_ms: i64) -> Result<(), StoreError>;
    async fn insert_access_token(&mut self, row: &AccessTokenRow) -> Result<(), StoreError>;
    /// Forgets every token of an identity (its client secret was rotated).
    async fn delete_access_tokens_of(&mut self, nhi: NhiId) -> Result<u64, StoreError>;
    /// Forgets tokens that expired before `now_ms`; they can never work again.
    async fn delete_expired_access_tokens(&mut self, now_ms: i64) -> Result<u64, StoreError>;

    /// Adds one batch of consent records (all or nothing with the transaction).
    async fn insert_consent_records(
        &mut self,
        batch: &str,
        records: &[ConsentRecord],
        recorded_by: &str,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    async fn insert_access_decision(&mut self, row: &AccessDecisionRow) -> Result<(), StoreError>;
    /// Decisions with their events, appended to the ledger in this order: two statements for
    /// the whole batch (the decision recorder's group commit).
    async fn record_decisions(
        &mut self,
        batch: &[(&AccessDecisionRow, &NewEvent)],
    ) -> Result<(), StoreError>;

    async fn insert_change(
        &mut self,
        change: &ChangeRequest,
        first: &ChangeVersion,
    ) -> Result<(), StoreError>;
    /// The change, read inside this transaction (the ledger lock orders concurrent writers).
    async fn change_by_id(&mut self, id: &str) -> Result<Option<ChangeRequest>, StoreError>;
    /// Adds a version and makes it current, with the change's new status.
    async fn add_change_version(
        &mut self,
        id: &str,
        version: &ChangeVersion,
        status: ChangeStatus,
        at_ms: i64,
    ) -> Result<(), StoreError>;

    /// Declares that this transaction writes only records (decisions, their events) that no
    /// cached principal holds, so it does not bump the registry generation. Every other write
    /// transaction bumps it: forgetting this call costs a cache refresh, never a stale grant.
    fn leaves_registry_unchanged(&mut self);

    /// The generations committed before this transaction took the ledger head's lock: no other
    /// write can move them until it commits or rolls back.
    fn generations(&self) -> Generations;

    /// Appends an event to the ledger inside this transaction and returns its sequence number.
    async fn append_event(&mut self, event: &NewEvent) -> Result<i64, StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// An issued access token. Only the hash of the token is ever stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRow {
    pub token_hash: String,
    pub nhi: NhiId,
    pub workflow: WorkflowId,
    pub step: StepId,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

/// The most subjects one consent query may name.
pub const MAX_SUBJECTS_PER_QUERY: usize = 1000;

/// What the consent ledger holds, at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentOverview {
    pub records: i64,
    pub subjects: i64,
    pub batches: Vec<ConsentBatch>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentBatch {
    pub id: String,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
    pub rows: i64,
}

/// A recorded access decision, as drafts cite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecisionRow {
    pub id: String,
    pub nhi: NhiId,
    pub workflow: WorkflowId,
    pub step: StepId,
    pub purpose: String,
    pub request_json: String,
    pub response_json: String,
    pub decided_at_ms: i64,
    pub expires_at_ms: i64,
}

/// Pool and timing settings shared by both backends.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the store a URL names: `sqlite://…` or `postgres://…` (`postgresql://` too).
pub async fn connect(url: &str, options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    // A driver's message may quote what it was given; none leaves here with a password in it.
    let scrubbed = |error: StoreError| match error {
        StoreError::Unavailable(message) => StoreError::Unavailable(scrub(&message, url)),
        StoreError::BadUrl(message) => StoreError::BadUrl(scrub(&message, url)),
        StoreError::Migration(message) => StoreError::Migration(scrub(&message, url)),
        other => other,
    };
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqliteStore::connect(url, options).await.map_err(scrubbed)?,
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStore::connect(url, options)
                .await
                .map_err(scrubbed)?,
        ))
    } else {
        Err(StoreError::BadUrl(
            "expected a URL starting with sqlite:// or postgres://".to_owned(),
        ))
    }
}

pub use redact::{redact_url, scrub};
