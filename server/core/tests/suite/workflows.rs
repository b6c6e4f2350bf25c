//! Workflows on SQLite and PostgreSQL: definition with tier, refusals, and activation only when
//! the governability checklist passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::chain::{chain, record_passing_drill, spring_offer};
use countersign_core::domain::{Performer, Role, Tier, WorkflowState};
use countersign_core::CoreError;

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
