//! The service layer. Each command follows one shape: load → authorize → transition → store and
//! audit in one transaction. Adapters (pages, server functions, HTTP handlers) call these and
//! never decide authorization themselves.

mod abuse;
mod access;
mod admin_notices;
mod agent_changes;
mod audit;
mod audit_search;
mod auditor_tokens;
mod auth;
mod change_notices;
mod claims;
mod compliance;
mod consent;
mod consent_cache;
mod credentials;
mod delegations;
mod demo;
mod departures;
mod directory_overview;
mod directory_tokens;
mod drafts;
mod drift;
mod drills;
mod evidence;
mod flow;
mod freshness;
mod gate;
mod gate_view;
mod identities;
mod investigate;
mod ledger_proofs;
mod log_key_rotation;
mod log_verify;
mod notice_sweep;
mod notifications;
mod outbox;
mod person_link;
mod principal_cache;
mod publishing;
mod queue;
mod recorder;
mod registry_detail;
mod registry_pages;
mod review_quality;
mod revocation;
mod rollback;
mod scim_groups;
mod scim_users;
mod simulate;
mod standing;
mod systems;
mod template_drafts;
mod templates;
mod throttle;
mod variant_delivery;
mod variant_drafts;
mod verifiable_log;
mod workflows;
mod workflows_as_code;

pub use crate::domain::{excluded_signers, Excluded};
pub use abuse::PRIVILEGE_ABUSE_SIGNAL;
pub use access::{
    AccessDecision, AccessRequest, AllowedSubject, DeniedField, DeniedSubject, PreparedDecision,
    DECISION_LIFETIME_MINUTES, MAX_DECISION_FIELDS, MAX_DECISION_SUBJECTS,
};
pub use agent_changes::{DraftedChange, DraftedChanges, MAX_CHANGES_LISTED};
pub use audit::{AuditPage, LedgerVerification};
pub use audit_search::{AuditQuery, AuditResults};
pub use auditor_tokens::MAX_AUDITOR_TOKEN_DAYS;
pub use auth::{Area, SignIn, SignInOutcome};
pub use compliance::{AssessedControl, ComplianceMap};
pub use consent::{
    parse_consent_csv, ConsentInput, CsvImport, RowError, MAX_CONSENT_BATCH, MAX_CONSENT_CSV_ROWS,
};
pub use credentials::{CredentialError, IssuedToken, TokenPrincipal};
pub use delegations::{AwayOverview, SetAway};
pub use demo::{DemoIdentity, DemoPerson, DEMO_ISSUER, DEMO_SYSTEM, DEMO_WORKFLOW, DEPARTED_KEY};
pub use directory_overview::{DirectoryChange, DirectoryOverview, DIRECTORY_CHANGES_SHOWN};
pub use directory_tokens::MAX_LIVE_DIRECTORY_TOKENS;
pub use drafts::{
    ChangeStatusView, DeliveryNote, DraftInput, DraftTarget, PublicationNote, ReviewNote,
    RollbackPlanBody, VariantInput, VariantNote, VersionInput,
};
pub use drift::GrantOutcome;
pub use evidence::EvidencePack;
pub use flow::FLOW_ROWS;
pub use gate::{SignoffInput, SignoffOutcome};
pub use gate_view::{ExcludedPerson, GateView, OutboundLink, VariantReview};
pub use identities::{IdentityFilter, RegisterNhi, MAX_BULK, MAX_OWNERS};
pub use investigate::{
    cursor_text, ChainDecision, ChangeChain, CitingChange, Delivery, Investigation,
    SubjectDecision, SubjectTrace, DECISIONS_PER_PAGE, TARGET_CHANGES,
};
pub use ledger_proofs::{CosignedCheckpoint, EventInclusion};
pub use log_key_rotation::{rotation, KEY_ROTATED};
pub use log_verify::{CheckpointSource, Contradiction, LogVerification};
pub use notice_sweep::SweepReport;
pub use notifications::{InboxItem, InboxPage, NotificationSettings, INBOX_PAGE};
pub use outbox::{DELIVERIES_LISTED, DELIVERY_BATCH, GATE_BYPASS_SIGNAL};
pub use queue::{
    Badges, ChangeDetail, ChangeSummary, CitedDecision, QueuePage, QueueQuery, QUEUE_PAGE,
};
pub use registry_detail::{IdentityDecision, IdentityDetail, MAX_NAMED_AT_ONCE, RECENT_ON_PAGE};
pub use registry_pages::{Paged, IDENTITIES_PER_PAGE, MAX_SEARCH_CHARS, WORKFLOWS_PER_PAGE};
pub use review_quality::{HastyApproval, ReviewQualityReport, ReviewerSummary};
pub use revocation::{RevocationView, RevokeInput};
pub use scim_groups::{ProvisionedGroup, GROUP_FILTERS};
pub use scim_users::{ProvisionedUser, ScimPage, USER_FILTERS};
pub use simulate::{SimulatedDecision, Simulation, SIMULATED_ACTIONS};
pub use systems::{RegisterSystem, RevealedSecret};
pub use template_drafts::TemplateFill;
pub use templates::{ProposeTemplate, SlotInput, TemplateDetail};
pub use throttle::{Limit, RetryAfter, ThrottleSettings};
pub use verifiable_log::LogStatus;
pub use workflows::{DefineWorkflow, MAX_STEPS};
pub use workflows_as_code::{PlannedChange, WorkflowPlan};

use crate::actor::Actor;
use crate::clock::{to_millis, Clock};
use crate::error::CoreResult;
use crate::policy::{Action, Decision, PolicyEngine, Resource};
use crate::store::Store;
use std::sync::Arc;

/// Limits set by configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The longest an identity may be registered for.
    pub nhi_max_lifetime: chrono::Duration,
    /// How long an access token lives (at most 15 minutes).
    pub token_lifetime: chrono::Duration,
    /// How long a passing revocation drill counts for activation.
    pub drill_validity: chrono::Duration,
    /// The sign-offs a change needs, by tier.
    pub signoffs: crate::domain::SignoffPolicy,
    /// How long a sign-off counts before it expires.
    pub signoff_lifetime: chrono::Duration,
    /// How long a worker holds an effect it is delivering; longer than a call's timeout, so
    /// only a worker that died loses its lease to another.
    pub delivery_lease: chrono::Duration,
    /// Rate limits and sign-in throttling.
    pub throttles: throttle::ThrottleSettings,
    /// How recent a sign-in dangerous actions need.
    pub reauth_window: chrono::Duration,
    /// Where people open the console: links in email and chat start here.
    pub public_url: String,
    /// How long changes may wait for sign-off, by tier.
    pub review_deadlines: crate::domain::ReviewDeadlines,
    /// The tiers whose drafts policy may approve under a template.
    pub template_tiers: crate::domain::TemplateTiers,
    /// IdP and directory groups → roles: sign-in reads it from the groups claim, SCIM from
    /// the groups the directory provisions.
    pub role_map: crate::domain::RoleMap,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            nhi_max_lifetime: chrono::Duration::days(90),
            token_lifetime: chrono::Duration::seconds(crate::credentials::MAX_TOKEN_LIFETIME_SECS),
            drill_validity: chrono::Duration::days(30),
            signoffs: crate::domain::SignoffPolicy::default(),
            signoff_lifetime: chrono::Duration::days(7),
            delivery_lease: chrono::Duration::seconds(30),
            throttles: throttle::ThrottleSettings::default(),
            reauth_window: chrono::Duration::minutes(15),
            public_url: "http://127.0.0.1:3000".to_owned(),
            review_deadlines: crate::domain::ReviewDeadlines::default(),
            template_tiers: crate::domain::TemplateTiers::default(),
            role_map: crate::domain::RoleMap::default(),
        }
    }
}

/// Everything a command needs; cheap to clone.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    policy: Arc<PolicyEngine>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    /// Encrypts the secrets the console must use again (connected systems' signing secrets).
    secret_key: Option<Arc<crate::secrets::SecretKey>>,
    /// Carries signed calls to connected systems.
    connector: Option<Arc<dyn crate::connector::Connector>>,
    /// Carries email and chat messages to people.
    notifier: Option<Arc<dyn crate::notifier::Notifier>>,
    /// Commits access decisions in groups (set by the server; tests commit one by one).
    decisions: Option<Arc<recorder::DecisionRecorder>>,
    /// What recently presented access tokens stand for, checked against the registry generation.
    principals: Arc<principal_cache::PrincipalCache>,
    /// The consent records access decisions read, checked against the consent generation.
    consents: Arc<consent_cache::ConsentCache>,
    /// This process's delivery worker: its lease name and its wake-up.
    outbox: Arc<outbox::OutboxRuntime>,
    /// Signs the ledger's checkpoints (kept outside the database).
    log_key: Option<Arc<countersign_transparency::SignerKey>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl Services {
    pub fn new(store: Arc<dyn Store>, policy: Arc<PolicyEngine>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            policy,
            clock,
            settings: Arc::new(Settings::default()),
            secret_key: None,
            connector: None,
            notifier: None,
            decisions: None,
            principals: Arc::default(),
            consents: Arc::default(),
            outbox: Arc::default(),
            log_key: None,
        }
    }

    /// Commits access decisions in groups: same durability, one disk flush for all the decisions
    /// waiting at that moment. Needs a tokio runtime.
    pub fn with_decision_batching(mut self) -> Self {
        self.decisions = Some(Arc::new(recorder::DecisionRecorder::start(
            self.store.clone(),
            self.clock.clone(),
        )));
        self
    }

    pub fn with_connector(mut self, connector: Arc<dyn crate::connector::Connector>) -> Self {
        self.connector = Some(connector);
        self
    }

    pub fn with_notifier(mut self, notifier: Arc<dyn crate::notifier::Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The channels besides the inbox this console can send on.
    pub fn channels(&self) -> crate::notifier::ChannelsConfigured {
        self.notifier
            .as_ref()
            .map(|n| n.channels())
            .unwrap_or_default()
    }

    pub fn with_secret_key(mut self, key: crate::secrets::SecretKey) -> Self {
        self.secret_key = Some(Arc::new(key));
        self
    }

    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = Arc::new(settings);
        self
    }

    pub fn with_throttles(mut self, throttles: ThrottleSettings) -> Self {
        let mut settings = (*self.settings).clone();
        settings.throttles = throttles;
        self.settings = Arc::new(settings);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn policy(&self) -> &Arc<PolicyEngine> {
        &self.policy
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn nhi_max_lifetime(&self) -> chrono::Duration {
        self.settings.nhi_max_lifetime
    }

    /// The chokepoint: the first call of every command.
    pub fn authorize(
        &self,
        actor: &Actor,
        action: Action,
        resource: &Resource,
    ) -> CoreResult<Decision> {
        let decision = self.policy.authorize(actor, action, resource);
        if let Err(denied) = &decision {
            tracing::info!(
                actor = %actor.reference(),
                action = denied.action,
                policies = ?denied.policies,
                "authorization denied"
            );
        }
        Ok(decision?)
    }

    /// The console's clock now, in milliseconds (the injected clock in tests).
    pub fn now_ms(&self) -> i64 {
        to_millis(self.clock.now())
    }
}
