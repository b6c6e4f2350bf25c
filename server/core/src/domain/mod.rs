//! Domain types. Constructors parse and check their input, so a value of one of these types is
//! valid by construction (parse, don't validate).

pub mod canonical;
pub mod change;
pub mod claims;
pub mod compliance;
pub mod consent;
pub mod content_rules;
pub mod delegation;
pub mod diff;
pub mod duties;
pub mod evidence;
pub mod flow;
pub mod gate;
pub mod human;
pub mod id;
pub mod investigation;
pub mod nhi;
pub mod notification;
pub mod outbox;
pub mod privilege;
pub mod render;
pub mod role;
pub mod role_map;
pub mod scim;
pub mod signoff;
pub mod system;
pub mod template;
pub mod variants;
pub mod workflow;
pub mod workflow_spec;

pub use canonical::{canonicalize, outbound_urls, Canonical, OutboundUrl};
pub use change::{
    check_channel, check_target_ref, check_title, content_hash, Audience, ChangeError,
    ChangeRequest, ChangeStatus, ChangeVersion, Content, ContentFormat, ContentProblem,
    IdempotencyKey, Provenance, Publication, ToolCall,
};
pub use claims::{
    detect_claims, reviewable_text, Claim, ClaimError, ClaimReview, ClaimRule, ClaimStatus,
    DetectedClaim, Span, RULES as CLAIM_RULES,
};
pub use consent::{
    standing, standing_of, ConsentError, ConsentEvent, ConsentRecord, LegalBasis, PurposeName,
    Standing, Subject,
};
pub use content_rules::{HostAllowList, UrlUse, Violation};
pub use delegation::{check_period, Delegation, DelegationError, MAX_AWAY_DAYS};
pub use diff::{line_diff, DiffKind, DiffLine};
pub use duties::{excluded_signers, DutyFacts, Excluded, Stewardship, StewardshipKind};
pub use evidence::{
    check_evidence, CitedBases, Evidence, EvidenceCheck, EvidenceFacts, PreviousVersion,
    RollbackPlan, RollbackPlanError, RollbackPlanInput,
};
pub use flow::{flow_report, human_duration, FlowReport, FlowRow, GroupFlow, Latency, Stage};
pub use gate::{
    has_standing_signoff, Comment, GateError, Quorum, ReviewQuality, ReviewView, RoleProgress,
    Served, Signoff, SignoffStanding, Verdict,
};
pub use human::{Deactivation, DisplayName, Email, ExternalIdentity, Human};
pub use id::{
    AuditorTokenId, DirectoryGroupId, DirectoryTokenId, DrillId, HumanId, NhiId, StepId, SystemId,
    WorkflowId,
};
pub use investigation::{InvestigationError, InvestigationQuery, SubjectStanding, MAX_QUERY_CHARS};
pub use nhi::{Lifecycle, Nhi, NhiError, NhiKind, NhiName, NhiState, Owner, Purpose, Reason};
pub use notification::{
    format_time_of_day, parse_time_of_day, AudienceKind, Channel, Notice, NoticeKind, NotifyPrefs,
    PrefsError, ReviewDeadlines, EXPIRY_WARNING_DAYS,
};
pub use outbox::{
    after_attempt, rollback_under_way, AttemptRecord, Effect, EffectKind, NextStep, OutboxState,
    Revocation,
};
pub use privilege::{effective_privileges, EffectivePrivilege, StepPrivilege};
pub use render::render_safe_html;
pub use role::{Role, RoleSet};
pub use role_map::{RoleMap, RoleMapError};
pub use signoff::{SignoffError, SignoffPolicy, SignoffRule};
pub use system::{
    BaseUrl, ConnectedSystem, DataField, Drill, FieldCategory, SystemError, SystemKind,
};
pub use template::{
    placeholders, FieldProblem, Filled, Slot, SlotName, Template, TemplateBody, TemplateSignoff,
    TemplateState, TemplateTiers, TemplateUse, MAX_TEMPLATE_DAYS,
};
pub use variants::{
    check_set_shape, set_hash, set_manifest, widest_audience, Variant, VariantHeader, VariantName,
    VariantProblem, MAX_SET_CONTENT_BYTES, MAX_VARIANTS,
};
pub use workflow::{
    governability_checklist, risk_tier, widening, Check, ChecklistFacts, Grant, GrantAction,
    Performer, Step, StepKind, SystemFacts, Tier, Widening, Workflow, WorkflowState,
};
pub use workflow_spec::{GrantSpec, StepSpec, WorkflowSpec, WorkflowsFile};
