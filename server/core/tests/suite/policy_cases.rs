//! Policy cases as data: every file in `policies/cases/allow` must be allowed and every file in
//! `policies/cases/deny` refused, by the policies shipped in this build.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use countersign_core::domain::{HumanId, NhiId, NhiKind, NhiState, Role, RoleSet};
use countersign_core::policy::{Action, PolicyEngine, PolicyLoadError, PolicySource, Resource};
use countersign_core::Actor;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    why: String,
    principal: Principal,
    action: Action,
    resource: Resource,
    #[serde(default)]
    context: std::collections::BTreeMap<String, String>,
    /// For a deny case: the forbid policy that must be the one deciding it (so a case cannot
    /// pass by being refused for another reason, say a request that does not fit the schema).
    #[serde(default)]
    denied_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Principal {
    Human {
        /// Fixed when the case needs it (separation of duties); random otherwise.
        #[serde(default)]
        id: Option<HumanId>,
        roles: Vec<Role>,
        active: bool,
    },
    Nhi {
        id: NhiId,
        nhi_kind: NhiKind,
        state: NhiState,
        expired: bool,
        orphaned: bool,
    },
    AuditorToken,
    DirectoryToken,
    System,
    Anonymous,
}

impl Principal {
    fn actor(&self) -> Actor {
        match self {
            Principal::Human { id, roles, active } => Actor::Human {
                id: id.unwrap_or_default(),
                name: "Case".to_owned(),
                roles: roles.iter().copied().collect::<RoleSet>(),
                active: *active,
                authenticated_at_ms: None,
            },
            Principal::Nhi {
                id,
                nhi_kind,
                state,
                expired,
                orphaned,
            } => Actor::Nhi {
                id: *id,
                name: "case-agent".to_owned(),
                kind: *nhi_kind,
                state: *state,
                expired: *expired,
                orphaned: *orphaned,
                via: Default::default(),
            },
            Principal::AuditorToken => Actor::AuditorToken {
                id: Default::default(),
                name: "case-tool".to_owned(),
            },
            Principal::DirectoryToken => Actor::Directory {
                id: Default::default(),
                name: "case-directory".to_owned(),
            },
            Principal::System => Actor::System,
            Principal::Anonymous => Actor::Anonymous,
        }
    }
}

fn cases(dir: &str) -> Vec<(String, Case)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/cases")
        .join(dir);
    let mut cases: Vec<(String, Case)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let case =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                case,
            )
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(cases.len() >= 5, "too few cases in {}", root.display());
    cases
}

#[test]
fn every_allow_case_is_allowed_and_every_deny_case_refused() {
    let engine = PolicyEngine::builtin().unwrap();
    let mut failures = Vec::new();
    for (expect_allowed, dir) in [(true, "allow"), (false, "deny")] {
        for (name, case) in cases(dir) {
            let context: Vec<(&str, &str)> = case
                .context
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let decision = engine.authorize_with(
                &case.principal.actor(),
                case.action,
                &case.resource,
                &context,
            );
            if decision.is_ok() != expect_allowed {
                failures.push(format!("{dir}/{name} ({}): got {decision:?}", case.why));
            }
            if let (Some(policy), Err(denied)) = (&case.denied_by, &decision) {
                if !denied.policies.contains(policy) {
                    failures.push(format!(
                        "{dir}/{name}: refused by {:?}, expected {policy}",
                        denied.policies
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "policy cases failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn denials_name_the_forbid_policy_that_decided_them() {
    let engine = PolicyEngine::builtin().unwrap();
    let deactivated = Principal::Human {
        id: None,
        roles: vec![Role::Auditor],
        active: false,
    }
    .actor();
    let denied = engine
        .authorize(&deactivated, Action::ViewAudit, &Resource::Ledger)
        .unwrap_err();
    assert_eq!(denied.policies, ["inactive-people-can-do-nothing"]);
}

fn load(policy: &str) -> Result<PolicyEngine, PolicyLoadError> {
    let schema = include_str!("../../policies/countersign.cedarschema");
    PolicyEngine::from_sources(
        schema,
        vec![PolicySource {
            name: "custom.cedar".to_owned(),
            text: policy.to_owned(),
        }],
    )
}

#[test]
fn an_invalid_policy_is_refused_with_its_name() {
    let unknown_action = r#"@id("lets-everyone-publish")
        permit (principal, action == Countersign::Action::"publish", resource);"#;
    let error = load(unknown_action).err().unwrap().to_string();
    assert!(
        error.contains("lets-everyone-publish") && error.contains("custom.cedar"),
        "{error}"
    );

    let bad_attribute = r#"@id("typo")
        permit (principal is Countersign::Human, action, resource) when { principal.actve };"#;
    assert!(load(bad_attribute)
        .err()
        .unwrap()
        .to_string()
        .contains("typo"));

    let unnamed = r#"permit (principal, action, resource);"#;
    assert!(matches!(
        load(unnamed),
        Err(PolicyLoadError::MissingId { .. })
    ));

    let garbage = "permit (principal, action";
    assert!(matches!(load(garbage), Err(PolicyLoadError::Parse { .. })));
}

#[test]
fn policies_load_from_a_directory_and_an_empty_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        PolicyEngine::from_dir(dir.path()),
        Err(PolicyLoadError::Empty(_))
    ));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let engine = PolicyEngine::from_dir(&shipped).unwrap();
    assert_eq!(
        engine.policy_count(),
        PolicyEngine::builtin().unwrap().policy_count()
    );
}

/// The engine keeps an identity's and its step's entities between decisions: a decision must
/// still follow every change to either (the cache is keyed by what the entities are built from).
#[test]
fn kept_entities_follow_the_identity_and_the_step() {
    let engine = PolicyEngine::builtin().unwrap();
    let (_, case) = cases("allow")
        .into_iter()
        .find(|(name, _)| name == "agent-reads-a-granted-field.json")
        .unwrap();
    let context: Vec<(&str, &str)> = case
        .context
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let decide = |actor: &Actor, resource: &Resource| {
        engine
            .authorize_each(actor, case.action, resource, std::slice::from_ref(&context))
            .remove(0)
            .is_ok()
    };
    let active = case.principal.actor();
    let mut suspended = active.clone();
    if let Actor::Nhi { state, .. } = &mut suspended {
        *state = NhiState::Suspended;
    }
    let mut orphaned = active.clone();
    if let Actor::Nhi { orphaned: o, .. } = &mut orphaned {
        *o = true;
    }
    let mut narrowed = case.resource.clone();
    if let Resource::Step { grant_fields, .. } = &mut narrowed {
        grant_fields.retain(|f| f != "email");
    }
    for _ in 0..2 {
        assert!(decide(&active, &case.resource));
        assert!(!decide(&suspended, &case.resource));
        assert!(!decide(&orphaned, &case.resource));
        assert!(!decide(&active, &narrowed));
    }
}
