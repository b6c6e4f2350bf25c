//! Scope drift on SQLite and PostgreSQL: narrowing applies at once, widening that raises the tier
//! waits for a security admin, and the ledger records the grant before and after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::chain::{chain, record_passing_drill, spring_offer};
use countersign_core::domain::{GrantAction, Role, Tier, WorkflowState};
use countersign_core::services::GrantOutcome;
use countersign_core::CoreError;

#[tokio::test]
async fn widening_that_raises_the_tier_waits_for_review_and_narrowing_applies_at_once() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let chain = chain(&services).await;
        let workflow = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["email", "region"]))
            .await
            .unwrap();
        record_passing_drill(&services, &db, &chain).await;
        services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap();
        let reader = workflow.steps[0].clone();

        // Widening to financial data: tier 2 → 3, so only the old part stays in force.
        let mut wider = reader.grant.clone();
        wider.fields.insert("income".to_owned());
        let (drifted, outcome) = services
            .change_step_grant(&chain.admin, workflow.id, reader.id, wider.clone())
            .await
            .unwrap();
        assert_eq!(outcome, GrantOutcome::AwaitingReview, "{}", db.name);
        assert_eq!(drifted.state, WorkflowState::NeedsReview);
        assert_eq!(drifted.tier, Tier::Two, "the tier in force is the old one");
        let stored = db.store.workflow(workflow.id).await.unwrap().unwrap();
        assert_eq!(stored.steps[0].grant, reader.grant);
        assert_eq!(stored.steps[0].pending_grant.as_ref(), Some(&wider));
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "workflow.scope_drift");
        assert!(event.details.contains("grant_before") && event.details.contains("income"));

        // Activation waits for the review; an approver cannot review.
        let refused = services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap_err();
        assert!(refused
            .to_string()
            .contains("awaits a security admin's review"));
        let approver = common::signed_in(&services, "amy", &[Role::Approver]).await;
        assert!(matches!(
            services
                .review_widening(&approver, workflow.id, true, "Looks fine")
                .await,
            Err(CoreError::Denied(_))
        ));
        // The admin who widened it does not approve it; a second security admin does.
        assert!(matches!(
            services
                .review_widening(&chain.admin, workflow.id, true, "Mine, approved")
                .await,
            Err(CoreError::Refused(_))
        ));
        let second = common::signed_in(&services, "sid", &[Role::SecurityAdmin]).await;
        let approved = services
            .review_widening(&second, workflow.id, true, "Finance campaign agreed")
            .await
            .unwrap();
        assert_eq!(approved.tier, Tier::Three);
        assert_eq!(approved.steps[0].grant, wider);
        assert!(approved.steps[0].pending_grant.is_none());
        let active = services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap();
        assert_eq!(active.state, WorkflowState::Active);

        // Narrowing (drop income and region) applies at once and lowers the tier.
        let mut narrower = wider.clone();
        narrower.fields.remove("income");
        narrower.fields.remove("region");
        let (narrowed, outcome) = services
            .change_step_grant(&chain.admin, workflow.id, reader.id, narrower.clone())
            .await
            .unwrap();
        assert_eq!(outcome, GrantOutcome::Applied);
        assert_eq!(narrowed.state, WorkflowState::Active);
        assert_eq!(narrowed.tier, Tier::Two);
        assert_eq!(narrowed.steps[0].grant, narrower);

        // Widening that keeps the tier (a plain field) also applies at once.
        let mut plain = narrower.clone();
        plain.fields.insert("region".to_owned());
        let (_, outcome) = services
            .change_step_grant(&chain.admin, workflow.id, reader.id, plain)
            .await
            .unwrap();
        assert_eq!(outcome, GrantOutcome::Applied);
    }
}

#[tokio::test]
async fn a_rejected_widening_is_discarded_and_bad_grants_are_refused() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let chain = chain(&services).await;
        let workflow = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["email"]))
            .await
            .unwrap();
        record_passing_drill(&services, &db, &chain).await;
        services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap();
        let drafter = workflow.steps[1].clone();

        // The drafter starts inferring traits: tier 3, so it waits; then it is rejected.
        let mut infers = drafter.grant.clone();
        infers.actions.insert(GrantAction::InferTraits);
        let (_, outcome) = services
            .change_step_grant(&chain.admin, workflow.id, drafter.id, infers)
            .await
            .unwrap();
        assert_eq!(outcome, GrantOutcome::AwaitingReview);
        let rejected = services
            .review_widening(
                &chain.admin,
                workflow.id,
                false,
                "No profiling in this campaign",
            )
            .await
            .unwrap();
        assert_eq!(rejected.steps[1].grant, drafter.grant, "{}", db.name);
        assert!(rejected.steps[1].pending_grant.is_none());
        assert_eq!(rejected.tier, Tier::Two);
        let again = services
            .review_widening(&chain.admin, workflow.id, true, "Second thoughts")
            .await
            .unwrap_err();
        assert!(again
            .to_string()
            .contains("no widened grant awaiting review"));
        services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap();

        let approver = common::signed_in(&services, "amy", &[Role::Approver]).await;
        let before = db.store.event_count().await.unwrap();
        let reader = workflow.steps[0].clone();
        let mut unknown = reader.grant.clone();
        unknown.fields.insert("shoe_size".to_owned());
        let mut publishes = drafter.grant.clone();
        publishes.actions.insert(GrantAction::Publish);
        let mut prose = reader.grant.clone();
        prose.purposes.insert("Spring Offer!".to_owned());
        let cases = [
            (
                reader.id,
                prose,
                "purpose `Spring Offer!` must be a machine name",
            ),
            (reader.id, unknown, "does not expose shoe_size"),
            (
                drafter.id,
                publishes,
                "always performed by Countersign's publisher",
            ),
            (reader.id, reader.grant.clone(), "the grant is unchanged"),
        ];
        for (step, grant, expected) in cases {
            let error = services
                .change_step_grant(&chain.admin, workflow.id, step, grant)
                .await
                .unwrap_err();
            assert!(error.to_string().contains(expected), "{}: {error}", db.name);
        }
        assert!(matches!(
            services
                .change_step_grant(&approver, workflow.id, reader.id, reader.grant.clone())
                .await,
            Err(CoreError::Denied(_))
        ));
        // A review with no reason is refused too.
        assert!(services
            .review_widening(&chain.admin, workflow.id, true, "")
            .await
            .unwrap_err()
            .to_string()
            .contains("reason"));
        assert_eq!(
            db.store.event_count().await.unwrap(),
            before,
            "nothing half-written"
        );
    }
}
