//! Workflows on SQLite and PostgreSQL: definition with tier, refusals, and activation only when
//! the governability checklist passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use countersign_core::domain::{
    Drill, DrillId, Grant, GrantAction, HumanId, NhiKind, Performer, Role, Step, StepKind, Tier,
    WorkflowState,
};
use countersign_core::ledger::NewEvent;
use countersign_core::services::{DefineWorkflow, RegisterNhi, RegisterSystem};
use countersign_core::{Actor, CoreError, Services};
use serde_json::json;

struct Chain {
    admin: Actor,
    owner: HumanId,
    reader: countersign_core::domain::NhiId,
    drafter: countersign_core::domain::NhiId,
    crm: countersign_core::domain::SystemId,
}

async fn chain(services: &Services) -> Chain {
    let admin = common::signed_in(services, "sam", &[Role::SecurityAdmin]).await;
    let Actor::Human { id: owner, .. } =
        common::signed_in(services, "olga", &[Role::Approver]).await
    else {
        panic!()
    };
    let nhi = |name: &str, kind| RegisterNhi {
        kind,
        name: name.to_owned(),
        purpose: "Part of the spring offer email workflow.".to_owned(),
        owners: vec![owner],
        expires_at: Some(services.clock().now() + Duration::days(30)),
        model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
    };
    let reader = services
        .register_nhi(&admin, nhi("crm-reader", NhiKind::ServiceAccount))
        .await
        .unwrap()
        .id;
    let drafter = services
        .register_nhi(&admin, nhi("offer-drafter", NhiKind::Agent))
        .await
        .unwrap()
        .id;
    let (system, _) = services
        .register_system(
            &admin,
            RegisterSystem {
                name: "Campaign Manager".to_owned(),
                kind: "campaign".to_owned(),
                base_url: "https://campaigns.example.com".to_owned(),
                fields: "email:contact\nregion:none\nincome:financial".to_owned(),
            },
        )
        .await
        .unwrap();
    Chain {
        admin,
        owner,
        reader,
        drafter,
        crm: system.id,
    }
}

fn grant(
    system: Option<countersign_core::domain::SystemId>,
    actions: &[GrantAction],
    fields: &[&str],
) -> Grant {
    Grant {
        system,
        actions: actions.iter().copied().collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        purposes: ["spring_offer".to_owned()].into_iter().collect(),
        human_review: false,
    }
}

fn spring_offer(chain: &Chain, read_fields: &[&str]) -> DefineWorkflow {
    let owner = Some(chain.owner);
    DefineWorkflow {
        name: "Spring offer email".to_owned(),
        purpose: "Email the spring offer to customers who opted in.".to_owned(),
        owner: chain.owner,
        steps: vec![
            Step {
                name: "Read CRM contacts".into(),
                kind: StepKind::ReadCustomerData,
                performer: Performer::Nhi(chain.reader),
                owner,
                grant: grant(Some(chain.crm), &[GrantAction::Read], read_fields),
            },
            Step {
                name: "Draft the email".into(),
                kind: StepKind::DraftContent,
                performer: Performer::Nhi(chain.drafter),
                owner,
                grant: grant(None, &[GrantAction::Draft], &[]),
            },
            Step {
                name: "Approver review".into(),
                kind: StepKind::HumanReview,
                performer: Performer::Human(chain.owner),
                owner,
                grant: Grant {
                    human_review: true,
                    ..Grant::default()
                },
            },
            Step {
                name: "Publish".into(),
                kind: StepKind::Publish,
                performer: Performer::Publisher,
                owner,
                grant: grant(Some(chain.crm), &[GrantAction::Publish], &[]),
            },
        ],
    }
}

async fn record_passing_drill(services: &Services, db: &common::TestDb, chain: &Chain) {
    let mut tx = db.store.begin_write(0).await.unwrap();
    tx.insert_drill(&Drill {
        id: DrillId::new(),
        system_id: chain.crm,
        run_by: chain.owner,
        started_at: services.clock().now(),
        duration_ms: 12,
        passed: true,
        receipt: Some("{}".to_owned()),
        error: None,
    })
    .await
    .unwrap();
    tx.append_event(&NewEvent::new(
        &chain.admin,
        "system.drill_passed",
        chain.crm.reference(),
        json!({}),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_workflow_is_defined_with_its_tier_and_activated_only_when_governable() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let chain = chain(&services).await;
        let workflow = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["email", "region"]))
            .await
            .unwrap();
        assert_eq!(workflow.tier, Tier::Two, "{}", db.name);
        assert_eq!(workflow.state, WorkflowState::Draft);
        assert_eq!(
            services.list_workflows(&chain.admin).await.unwrap(),
            vec![workflow.clone()]
        );

        let overview = services
            .workflows_with_checklists(&chain.admin)
            .await
            .unwrap();
        assert_eq!(overview.len(), 1);
        assert!(overview[0]
            .1
            .iter()
            .any(|c| !c.passed && c.text.contains("no passing revocation drill")));
        let refused = services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("Campaign Manager: no passing revocation drill"),
            "{refused}"
        );

        record_passing_drill(&services, &db, &chain).await;
        let active = services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap();
        assert_eq!(active.state, WorkflowState::Active);
        let again = services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap_err()
            .to_string();
        assert!(again.contains("cannot be activated"));

        // Later the drill goes stale: the checklist says so.
        clock.advance(Duration::days(31));
        let checks = services
            .workflow_checklist(&chain.admin, workflow.id)
            .await
            .unwrap();
        assert!(
            checks
                .iter()
                .any(|c| !c.passed && c.text.contains("older than 30 days")),
            "{checks:?}"
        );
    }
}

#[tokio::test]
async fn bad_workflows_are_refused_and_nothing_is_written() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let chain = chain(&services).await;
        let approver = common::signed_in(&services, "amy", &[Role::Approver]).await;
        let before = db.store.event_count().await.unwrap();

        let mut agent_publishes = spring_offer(&chain, &["email"]);
        agent_publishes.steps[3].performer = Performer::Nhi(chain.drafter);
        let mut unknown_field = spring_offer(&chain, &["email", "shoe_size"]);
        unknown_field.name = "Other".into();
        let mut ghost = spring_offer(&chain, &["email"]);
        ghost.steps[1].performer = Performer::Nhi(countersign_core::domain::NhiId::new());
        let mut empty = spring_offer(&chain, &["email"]);
        empty.steps.clear();
        let cases = [
            (
                agent_publishes,
                "a publish step is always performed by Countersign's publisher",
            ),
            (unknown_field, "Campaign Manager does not expose shoe_size"),
            (ghost, "no such identity"),
            (empty, "a workflow has 1 to 20 steps"),
        ];
        for (request, expected) in cases {
            let error = services
                .define_workflow(&chain.admin, request)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{}: {error}", db.name);
        }
        assert!(matches!(
            services
                .define_workflow(&approver, spring_offer(&chain, &["email"]))
                .await,
            Err(CoreError::Denied(_))
        ));
        assert_eq!(
            db.store.event_count().await.unwrap(),
            before,
            "nothing half-written"
        );

        let financial = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["income"]))
            .await
            .unwrap();
        assert_eq!(financial.tier, Tier::Three);
        let duplicate = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["email"]))
            .await;
        assert!(duplicate
            .unwrap_err()
            .to_string()
            .contains("already exists"));
    }
}
