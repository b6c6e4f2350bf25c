//! Cedar evaluation in-process: the field checks of one access decision (10 fields against a
//! step's linked grant templates and the standing forbids), and one console authorization.
//! Run with `cargo bench -p countersign-core --bench policy`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use countersign_core::domain::{NhiId, NhiKind, NhiState, Role, StepId, WorkflowId, WorkflowState};
use countersign_core::policy::{Action, PolicyEngine, Resource};
use countersign_core::Actor;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const FIELDS: [&str; 10] = [
    "email",
    "first_name",
    "last_name",
    "region",
    "city",
    "language",
    "last_purchase",
    "loyalty_tier",
    "preferred_channel",
    "signup_date",
];

fn policy(c: &mut Criterion) {
    let engine = PolicyEngine::builtin().unwrap();
    let nhi = NhiId::new();
    let agent = Actor::Nhi {
        id: nhi,
        name: "bench-agent".into(),
        kind: NhiKind::Agent,
        state: NhiState::Active,
        expired: false,
        orphaned: false,
        via: Default::default(),
    };
    let step = Resource::Step {
        id: StepId::new(),
        workflow: WorkflowId::new(),
        workflow_state: WorkflowState::Active,
        performer: Some(nhi),
        workflow_tier: 2,
        grant_actions: vec!["read".into()],
        grant_fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        grant_purposes: vec!["spring_offer".into()],
    };
    let contexts: Vec<Vec<(&str, &str)>> = FIELDS
        .iter()
        .map(|f| {
            vec![
                ("purpose", "spring_offer"),
                ("field", *f),
                ("field_category", "contact"),
            ]
        })
        .collect();
    // The first call links the step's templates; the benchmark measures the steady state.
    assert!(engine
        .authorize_each(&agent, Action::ReadData, &step, &contexts)
        .iter()
        .all(Result::is_ok));
    c.bench_function("access decision: 10 fields", |b| {
        b.iter(|| {
            engine.authorize_each(
                black_box(&agent),
                Action::ReadData,
                black_box(&step),
                &contexts,
            )
        })
    });
    let person = Actor::Human {
        id: countersign_core::domain::HumanId::new(),
        name: "bench".into(),
        roles: [Role::SecurityAdmin].into_iter().collect(),
        active: true,
        authenticated_at_ms: None,
    };
    c.bench_function("console authorization", |b| {
        b.iter(|| {
            engine.authorize(
                black_box(&person),
                Action::ManageWorkflows,
                &Resource::Console,
            )
        })
    });
}

criterion_group!(benches, policy);
criterion_main!(benches);
