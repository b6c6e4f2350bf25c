//! Workflows as chains of owned steps: the least-privilege grant of each step, the risk tier
//! derived from the grants, scope drift between two grants, and the governability checklist a
//! workflow must pass before it is activated. Pure rules, tested as tables; the service layer
//! applies them.

use super::{FieldCategory, HumanId, Nhi, NhiId, StepId, SystemId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    ReadCustomerData,
    DraftContent,
    HumanReview,
    Publish,
    Other,
}

/// What a step may do at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantAction {
    /// Read customer data fields.
    Read,
    /// Infer traits of customers (segmentation, propensity) from their data.
    InferTraits,
    /// Submit drafts for review.
    Draft,
    /// Change a connected system (only Countersign's publisher).
    Publish,
    /// Load consent records into Countersign's consent ledger.
    RecordConsent,
}

impl GrantAction {
    pub const ALL: [GrantAction; 5] = [
        GrantAction::Read,
        GrantAction::InferTraits,
        GrantAction::Draft,
        GrantAction::Publish,
        GrantAction::RecordConsent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantAction::Read => "read",
            GrantAction::InferTraits => "infer_traits",
            GrantAction::Draft => "draft",
            GrantAction::Publish => "publish",
            GrantAction::RecordConsent => "record_consent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Who performs a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Performer {
    Nhi(NhiId),
    Human(HumanId),
    /// Countersign's own publisher identity: the only performer of a publish step.
    Publisher,
}

/// The least-privilege envelope of one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub system: Option<SystemId>,
    pub actions: BTreeSet<GrantAction>,
    pub fields: BTreeSet<String>,
    pub purposes: BTreeSet<String>,
    /// A human reviews this step's output before it goes further.
    pub human_review: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stable across edits: a credential is bound to one step.
    pub id: StepId,
    pub name: String,
    pub kind: StepKind,
    pub performer: Performer,
    /// The human owner of this step; `None` is a gap the checklist reports.
    pub owner: Option<HumanId>,
    pub grant: Grant,
    /// A widened grant that raised the tier, inactive until a security admin approves it.
    pub pending_grant: Option<Grant>,
}

impl Step {
    /// A new step with no widening awaiting review.
    pub fn new(
        name: impl Into<String>,
        kind: StepKind,
        performer: Performer,
        owner: Option<HumanId>,
        grant: Grant,
    ) -> Self {
        Self {
            id: StepId::new(),
            name: name.into(),
            kind,
            performer,
            owner,
            grant,
            pending_grant: None,
        }
    }
}

/// Lifecycle: `draft → active`, `needs_review → active` (after scope drift), `active →
/// suspended | revoked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowState {
    Draft,
    NeedsReview,
    Active,
    Suspended,
    Revoked,
}

impl WorkflowState {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowState::Draft => "draft",
            WorkflowState::NeedsReview => "needs_review",
            WorkflowState::Active => "active",
            WorkflowState::Suspended => "suspended",
            WorkflowState::Revoked => "revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            WorkflowState::Draft,
            WorkflowState::NeedsReview,
            WorkflowState::Active,
            WorkflowState::Suspended,
            WorkflowState::Revoked,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::ReadCustomerData => "read_customer_data",
            StepKind::DraftContent => "draft_content",
            StepKind::HumanReview => "human_review",
            StepKind::Publish => "publish",
            StepKind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            StepKind::ReadCustomerData,
            StepKind::DraftContent,
            StepKind::HumanReview,
            StepKind::Publish,
            StepKind::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

/// A workflow and its chain of steps, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub id: super::WorkflowId,
    pub name: String,
    pub purpose: String,
    pub owner: HumanId,
    pub state: WorkflowState,
    pub tier: Tier,
    pub steps: Vec<Step>,
    pub created_by: HumanId,
    pub created_at: DateTime<Utc>,
}

impl Tier {
    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(Tier::One),
            2 => Some(Tier::Two),
            3 => Some(Tier::Three),
            _ => None,
        }
    }
}

/// How risky a workflow is; it sets the sign-offs a change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    One = 1,
    Two = 2,
    Three = 3,
}

/// What the tier rules need to know about each connected system.
#[derive(Debug, Clone, Default)]
pub struct SystemFacts {
    pub fields: HashMap<String, FieldCategory>,
}

/// The tier and the reasons for it (one per rule that raised it).
///
/// - Tier 3: reads financial or special-category data, infers traits, or publishes with no human
///   review before the publication.
/// - Tier 2: reads contact or behavioural data, or publishes after human review.
/// - Tier 1: everything else (internal drafts only).
pub fn risk_tier(steps: &[Step], systems: &HashMap<SystemId, SystemFacts>) -> (Tier, Vec<String>) {
    let mut tier = Tier::One;
    let mut reasons = Vec::new();
    let mut raise = |to: Tier, reason: String, tier: &mut Tier| {
        if to > *tier {
            *tier = to;
        }
        reasons.push(reason);
    };
    let mut reviewed = false;
    for step in steps {
        let facts = step.grant.system.and_then(|id| systems.get(&id));
        if step.grant.actions.contains(&GrantAction::Read) {
            for field in &step.grant.fields {
                let category = facts
                    .and_then(|f| f.fields.get(field))
                    .copied()
                    .unwrap_or(FieldCategory::None);
                match category {
                    FieldCategory::Financial | FieldCategory::SpecialCategory => raise(
                        Tier::Three,
                        format!(
                            "{} reads {} data ({field})",
                            step.name,
                            category.as_str().replace('_', "-")
                        ),
                        &mut tier,
                    ),
                    FieldCategory::Contact | FieldCategory::Behavioural => raise(
                        Tier::Two,
                        format!("{} reads {} data ({field})", step.name, category.as_str()),
                        &mut tier,
                    ),
                    FieldCategory::None => {}
                }
            }
        }
        if step.grant.actions.contains(&GrantAction::InferTraits) {
            raise(
                Tier::Three,
                format!("{} infers customer traits", step.name),
                &mut tier,
            );
        }
        if step.kind == StepKind::Publish || step.grant.actions.contains(&GrantAction::Publish) {
            if reviewed {
                raise(
                    Tier::Two,
                    format!("{} publishes after human review", step.name),
                    &mut tier,
                );
            } else {
                raise(
                    Tier::Three,
                    format!("{} publishes without human review", step.name),
                    &mut tier,
                );
            }
        }
        if step.kind == StepKind::HumanReview || step.grant.human_review {
            reviewed = true;
        }
    }
    (tier, reasons)
}

/// What a new grant adds over an old one: widening is scope drift and needs review when it
/// raises the tier; narrowing takes effect at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Widening {
    pub system_changed: bool,
    pub actions: BTreeSet<GrantAction>,
    pub fields: BTreeSet<String>,
    pub purposes: BTreeSet<String>,
    pub review_removed: bool,
}

impl Widening {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Grant {
    /// What both grants allow: the part of a widened grant that may take effect before review.
    pub fn intersection(&self, other: &Grant) -> Grant {
        let same_system = self.system == other.system;
        Grant {
            system: if same_system { self.system } else { None },
            actions: self.actions.intersection(&other.actions).copied().collect(),
            fields: if same_system {
                self.fields.intersection(&other.fields).cloned().collect()
            } else {
                BTreeSet::new()
            },
            purposes: self
                .purposes
                .intersection(&other.purposes)
                .cloned()
                .collect(),
            // Review is the restrictive side: kept if either grant asks for it.
            human_review: self.human_review || other.human_review,
        }
    }
}

pub fn widening(before: &Grant, after: &Grant) -> Widening {
    Widening {
        system_changed: after.system.is_some() && after.system != before.system,
        actions: after.actions.difference(&before.actions).copied().collect(),
        fields: after.fields.difference(&before.fields).cloned().collect(),
        purposes: after
            .purposes
            .difference(&before.purposes)
            .cloned()
            .collect(),
        review_removed: before.human_review && !after.human_review,
    }
}

/// One line of the governability checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub passed: bool,
    pub text: String,
}

/// What the checklist needs besides the steps.
pub struct ChecklistFacts<'a> {
    pub nhis: &'a HashMap<NhiId, Nhi>,
    /// Active people (owners must be among them).
    pub active_people: &'a BTreeSet<HumanId>,
    /// When each system last passed a revocation drill.
    pub last_passed_drill: &'a HashMap<SystemId, DateTime<Utc>>,
    pub system_names: &'a HashMap<SystemId, String>,
    pub drill_max_age: Duration,
    pub now: DateTime<Utc>,
}

/// The governability checklist: a workflow is activated only when every check passes.
pub fn governability_checklist(steps: &[Step], facts: &ChecklistFacts<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut check = |passed: bool, text: String| checks.push(Check { passed, text });
    check(
        !steps.is_empty(),
        "the workflow has at least one step".to_owned(),
    );
    for step in steps {
        match step.owner {
            Some(owner) if facts.active_people.contains(&owner) => {
                check(true, format!("{} has an active human owner", step.name));
            }
            Some(_) => check(false, format!("{}: its owner is deactivated", step.name)),
            None => check(false, format!("{}: no step owner", step.name)),
        }
        match (step.kind, step.performer) {
            (StepKind::Publish, Performer::Publisher) => {
                check(
                    true,
                    format!("{} is published by Countersign's publisher", step.name),
                );
            }
            (StepKind::Publish, _) => check(
                false,
                format!(
                    "{}: only Countersign's publisher may perform a publish step",
                    step.name
                ),
            ),
            (_, Performer::Nhi(id)) => match facts.nhis.get(&id) {
                None => check(
                    false,
                    format!("{}: its identity no longer exists", step.name),
                ),
                Some(nhi) => {
                    let mut problems = Vec::new();
                    if nhi.state != super::NhiState::Active {
                        problems.push(format!("is {}", nhi.state));
                    }
                    if nhi.is_expired(facts.now) {
                        problems.push("has expired".to_owned());
                    }
                    if nhi.is_orphaned() {
                        problems.push("has no active owner".to_owned());
                    }
                    if problems.is_empty() {
                        check(
                            true,
                            format!("{}: {} is active, unexpired and owned", step.name, nhi.name),
                        );
                    } else {
                        check(
                            false,
                            format!("{}: {} {}", step.name, nhi.name, problems.join(", ")),
                        );
                    }
                }
            },
            _ => {}
        }
        if step.grant.actions.contains(&GrantAction::Publish)
            && step.performer != Performer::Publisher
        {
            check(
                false,
                format!(
                    "{}: grants publish to someone other than Countersign's publisher",
                    step.name
                ),
            );
        }
    }
    let systems: BTreeSet<SystemId> = steps.iter().filter_map(|s| s.grant.system).collect();
    for system in systems {
        let name = facts
            .system_names
            .get(&system)
            .cloned()
            .unwrap_or_else(|| system.to_string());
        match facts.last_passed_drill.get(&system) {
            Some(at) if facts.now - *at <= facts.drill_max_age => {
                check(
                    true,
                    format!(
                        "{name} passed a revocation drill on {}",
                        at.format("%Y-%m-%d")
                    ),
                );
            }
            Some(at) => check(
                false,
                format!(
                    "{name}: its last passing revocation drill ({}) is older than {} days",
                    at.format("%Y-%m-%d"),
                    facts.drill_max_age.num_days()
                ),
            ),
            None => check(false, format!("{name}: no passing revocation drill")),
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NhiKind, NhiState, Owner};

    fn grant(
        system: Option<SystemId>,
        actions: &[GrantAction],
        fields: &[&str],
        review: bool,
    ) -> Grant {
        Grant {
            system,
            actions: actions.iter().copied().collect(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            purposes: ["spring_offer".to_owned()].into_iter().collect(),
            human_review: review,
        }
    }

    fn step(name: &str, kind: StepKind, performer: Performer, grant: Grant) -> Step {
        Step::new(name, kind, performer, Some(HumanId::new()), grant)
    }

    #[test]
    fn tier_rules_as_a_table() {
        use GrantAction::*;
        let crm = SystemId::new();
        let systems = HashMap::from([(
            crm,
            SystemFacts {
                fields: HashMap::from([
                    ("email".to_owned(), FieldCategory::Contact),
                    ("last_purchase".to_owned(), FieldCategory::Behavioural),
                    ("income".to_owned(), FieldCategory::Financial),
                    ("health".to_owned(), FieldCategory::SpecialCategory),
                    ("region".to_owned(), FieldCategory::None),
                ]),
            },
        )]);
        let agent = Performer::Nhi(NhiId::new());
        let draft = || {
            step(
                "draft",
                StepKind::DraftContent,
                agent,
                grant(None, &[Draft], &[], false),
            )
        };
        let read = |fields: &[&str]| {
            step(
                "read",
                StepKind::ReadCustomerData,
                agent,
                grant(Some(crm), &[Read], fields, false),
            )
        };
        let review = || {
            step(
                "review",
                StepKind::HumanReview,
                Performer::Human(HumanId::new()),
                Grant::default(),
            )
        };
        let publish = || {
            step(
                "publish",
                StepKind::Publish,
                Performer::Publisher,
                grant(Some(crm), &[Publish], &[], false),
            )
        };
        let infer = || {
            step(
                "segment",
                StepKind::Other,
                agent,
                grant(Some(crm), &[InferTraits], &[], false),
            )
        };
        let table: Vec<(&str, Vec<Step>, Tier)> = vec![
            ("internal draft only", vec![draft()], Tier::One),
            (
                "reads a field with no category",
                vec![read(&["region"]), draft()],
                Tier::One,
            ),
            (
                "reads contact data",
                vec![read(&["email"]), draft()],
                Tier::Two,
            ),
            (
                "reads behavioural data",
                vec![read(&["last_purchase"]), draft()],
                Tier::Two,
            ),
            (
                "reads financial data",
                vec![read(&["income"]), draft()],
                Tier::Three,
            ),
            (
                "reads special-category data",
                vec![read(&["health"]), draft()],
                Tier::Three,
            ),
            ("infers traits", vec![infer(), draft()], Tier::Three),
            (
                "publishes after review",
                vec![draft(), review(), publish()],
                Tier::Two,
            ),
            (
                "publishes without review",
                vec![draft(), publish()],
                Tier::Three,
            ),
            (
                "review after publishing does not count",
                vec![draft(), publish(), review()],
                Tier::Three,
            ),
            (
                "the spring offer email",
                vec![read(&["email", "region"]), draft(), review(), publish()],
                Tier::Two,
            ),
        ];
        for (case, steps, expected) in table {
            let (tier, reasons) = risk_tier(&steps, &systems);
            assert_eq!(tier, expected, "{case}: {reasons:?}");
            assert_eq!(
                tier == Tier::One,
                reasons.is_empty(),
                "{case}: reasons explain any raise"
            );
        }
    }

    #[test]
    fn widening_finds_what_a_grant_adds() {
        use GrantAction::*;
        let crm = SystemId::new();
        let before = grant(Some(crm), &[Read], &["email"], true);
        assert!(widening(&before, &before).is_empty());
        let narrower = grant(Some(crm), &[Read], &[], true);
        assert!(
            widening(&before, &narrower).is_empty(),
            "narrowing is not drift"
        );
        let wider = grant(
            Some(SystemId::new()),
            &[Read, InferTraits],
            &["email", "income"],
            false,
        );
        let drift = widening(&before, &wider);
        assert!(drift.system_changed && drift.review_removed);
        assert_eq!(drift.actions, [InferTraits].into_iter().collect());
        assert_eq!(drift.fields, ["income".to_owned()].into_iter().collect());
    }

    #[test]
    fn governability_checklist_as_a_table() {
        let now = Utc::now();
        let owner = HumanId::new();
        let gone = HumanId::new();
        let nhi = |state: NhiState, expires_in_days: i64, owner_active: bool| Nhi {
            id: NhiId::new(),
            kind: NhiKind::Agent,
            name: "drafter".to_owned(),
            purpose: "Drafts the spring offer email.".to_owned(),
            state,
            expires_at: now + Duration::days(expires_in_days),
            model: Some("m".to_owned()),
            created_by: owner,
            created_at: now,
            last_used_at: None,
            owners: vec![Owner {
                id: owner,
                name: "O".to_owned(),
                email: None,
                active: owner_active,
            }],
        };
        let crm = SystemId::new();
        // (case, the drafting agent, the draft step's owner, the publish step's performer,
        //  days since the system's last passing drill, passes?, the failing check's text)
        type Case = (
            &'static str,
            Nhi,
            Option<HumanId>,
            Performer,
            Option<i64>,
            bool,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "all good",
                nhi(NhiState::Active, 30, true),
                Some(owner),
                Performer::Publisher,
                Some(1),
                true,
                "",
            ),
            (
                "step without owner",
                nhi(NhiState::Active, 30, true),
                None,
                Performer::Publisher,
                Some(1),
                false,
                "no step owner",
            ),
            (
                "deactivated step owner",
                nhi(NhiState::Active, 30, true),
                Some(gone),
                Performer::Publisher,
                Some(1),
                false,
                "owner is deactivated",
            ),
            (
                "suspended agent",
                nhi(NhiState::Suspended, 30, true),
                Some(owner),
                Performer::Publisher,
                Some(1),
                false,
                "is suspended",
            ),
            (
                "expired agent",
                nhi(NhiState::Active, -1, true),
                Some(owner),
                Performer::Publisher,
                Some(1),
                false,
                "has expired",
            ),
            (
                "orphaned agent",
                nhi(NhiState::Active, 30, false),
                Some(owner),
                Performer::Publisher,
                Some(1),
                false,
                "has no active owner",
            ),
            (
                "agent publishes",
                nhi(NhiState::Active, 30, true),
                Some(owner),
                Performer::Human(owner),
                Some(1),
                false,
                "only Countersign's publisher",
            ),
            (
                "no drill",
                nhi(NhiState::Active, 30, true),
                Some(owner),
                Performer::Publisher,
                None,
                false,
                "no passing revocation drill",
            ),
            (
                "stale drill",
                nhi(NhiState::Active, 30, true),
                Some(owner),
                Performer::Publisher,
                Some(45),
                false,
                "older than 30 days",
            ),
        ];
        for (case, agent, step_owner, publisher, drill_days_ago, passes, expected) in cases {
            let steps = vec![
                Step::new(
                    "draft",
                    StepKind::DraftContent,
                    Performer::Nhi(agent.id),
                    step_owner,
                    Grant::default(),
                ),
                Step::new(
                    "publish",
                    StepKind::Publish,
                    publisher,
                    Some(owner),
                    grant(Some(crm), &[GrantAction::Publish], &[], false),
                ),
            ];
            let nhis = HashMap::from([(agent.id, agent)]);
            let active_people: BTreeSet<HumanId> = [owner].into_iter().collect();
            let drills: HashMap<SystemId, DateTime<Utc>> = drill_days_ago
                .map(|d| (crm, now - Duration::days(d)))
                .into_iter()
                .collect();
            let names = HashMap::from([(crm, "Campaign Manager".to_owned())]);
            let facts = ChecklistFacts {
                nhis: &nhis,
                active_people: &active_people,
                last_passed_drill: &drills,
                system_names: &names,
                drill_max_age: Duration::days(30),
                now,
            };
            let checks = governability_checklist(&steps, &facts);
            let failed: Vec<&str> = checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.text.as_str())
                .collect();
            assert_eq!(failed.is_empty(), passes, "{case}: {failed:?}");
            if !passes {
                assert!(
                    failed.iter().any(|f| f.contains(expected)),
                    "{case}: {failed:?}"
                );
            }
        }
    }

    #[test]
    fn the_intersection_keeps_only_what_both_grants_allow() {
        use GrantAction::*;
        let crm = SystemId::new();
        let ads = SystemId::new();
        let before = grant(Some(crm), &[Read], &["email", "region"], true);
        let after = grant(Some(crm), &[Read, InferTraits], &["email", "income"], false);
        let both = before.intersection(&after);
        assert_eq!(both.system, Some(crm));
        assert_eq!(both.actions, [Read].into_iter().collect());
        assert_eq!(both.fields, ["email".to_owned()].into_iter().collect());
        assert!(both.human_review);
        let elsewhere = grant(Some(ads), &[Read], &["email"], true);
        let moved = before.intersection(&elsewhere);
        assert_eq!(moved.system, None);
        assert!(moved.fields.is_empty());
        assert!(widening(&both, &after).actions.contains(&InferTraits));
        assert!(widening(&after, &both).is_empty());
    }
}
