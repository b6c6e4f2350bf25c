//! Short-lived credentials on SQLite and PostgreSQL: a token is issued only to an authenticated,
//! usable identity for a step it performs in an active workflow, and stops working at once in
//! each way the registry can change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::chain::{chain, record_passing_drill, spring_offer, Chain};
use countersign_core::domain::{Lifecycle, Role, Workflow};
use countersign_core::services::{CredentialError, IssuedToken};
use countersign_core::{Actor, Services};

/// The spring-offer workflow, activated, with the drafting step's scope.
async fn active_workflow(services: &Services, db: &common::TestDb) -> (Chain, Workflow, String) {
    let chain = chain(services).await;
    let workflow = services
        .define_workflow(&chain.admin, spring_offer(&chain, &["email", "region"]))
        .await
        .unwrap();
    record_passing_drill(services, db, &chain).await;
    let workflow = services
        .activate_workflow(&chain.admin, workflow.id)
        .await
        .unwrap();
    let scope = format!("step:{}", workflow.steps[1].id);
    (chain, workflow, scope)
}

async fn token(services: &Services, chain: &Chain, scope: &str) -> IssuedToken {
    services
        .issue_token(
            &chain.drafter.to_string(),
            &chain.drafter_secret,
            Some(scope),
        )
        .await
        .unwrap()
}

async fn last_action(db: &common::TestDb) -> String {
    db.store
        .events_page(None, 1)
        .await
        .unwrap()
        .remove(0)
        .action
}

#[tokio::test]
async fn an_identity_gets_a_short_token_for_its_own_step_and_sees_itself() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let (chain, workflow, scope) = active_workflow(&services, &db).await;
        let issued = token(&services, &chain, &scope).await;
        assert_eq!(issued.expires_in, 900, "{}", db.name);
        assert_eq!(issued.scope, scope);
        assert_eq!(last_action(&db).await, "credential.issued");

        let me = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap();
        assert_eq!(me.nhi.id, chain.drafter);
        assert_eq!(me.step.id, workflow.steps[1].id);
        assert_eq!(me.workflow.id, workflow.id);
        assert!(matches!(me.actor, Actor::Nhi { id, .. } if id == chain.drafter));
        let nhi = db.store.nhi(chain.drafter).await.unwrap().unwrap();
        assert_eq!(
            nhi.last_used_at,
            Some(services.clock().now()),
            "issuing counts as use"
        );

        // Expiry: the token works until its last second and not after.
        clock.advance(Duration::seconds(899));
        assert!(services
            .authenticate_token(&issued.access_token.0)
            .await
            .is_ok());
        clock.advance(Duration::seconds(1));
        let expired = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");
    }
}

#[tokio::test]
async fn bad_token_requests_are_refused_with_the_oauth_error_that_fits() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (chain, workflow, scope) = active_workflow(&services, &db).await;
        let id = chain.drafter.to_string();
        let reader_scope = format!("step:{}", workflow.steps[0].id);
        let publish_scope = format!("step:{}", workflow.steps[3].id);
        let cases: Vec<(&str, &str, Option<&str>, &str)> = vec![
            (&id, "cssec_wrong", Some(&scope), "invalid_client"),
            (
                "not-a-client-id",
                &chain.drafter_secret,
                Some(&scope),
                "invalid_client",
            ),
            (
                "01900000-0000-7000-8000-000000000000",
                &chain.drafter_secret,
                Some(&scope),
                "invalid_client",
            ),
            (&id, &chain.drafter_secret, None, "scope is required"),
            (
                &id,
                &chain.drafter_secret,
                Some("workflow:everything"),
                "scope must be step:",
            ),
            (
                &id,
                &chain.drafter_secret,
                Some("step:01900000-0000-7000-8000-000000000000"),
                "no step",
            ),
            (
                &id,
                &chain.drafter_secret,
                Some(&reader_scope),
                "does not perform step \"Read CRM contacts\"",
            ),
            (
                &id,
                &chain.drafter_secret,
                Some(&publish_scope),
                "does not perform step \"Publish\"",
            ),
        ];
        let two = format!("{scope} {reader_scope}");
        let mut cases = cases;
        cases.push((&id, &chain.drafter_secret, Some(&two), "exactly one step"));
        for (client, secret, scope, expected) in cases {
            let error = services
                .issue_token(client, secret, scope)
                .await
                .unwrap_err();
            let text = match &error {
                CredentialError::InvalidClient => "invalid_client".to_owned(),
                other => other.to_string(),
            };
            assert!(text.contains(expected), "{}: {scope:?}: {text}", db.name);
        }
        // A wrong secret for a real identity is in the ledger; nothing was issued.
        let refused = db.store.events_page(None, 50).await.unwrap();
        assert!(
            refused
                .iter()
                .any(|e| e.action == "credential.refused"
                    && e.details.contains("wrong client secret"))
        );
        assert!(!refused.iter().any(|e| e.action == "credential.issued"));
    }
}

#[tokio::test]
async fn a_token_stops_working_when_its_identity_may_no_longer_act() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let (chain, _, scope) = active_workflow(&services, &db).await;
        let admin = chain.admin.clone();

        // Suspended, then reactivated: the old token works again only because it never
        // depended on anything but the live registry; a revoked identity never comes back.
        let issued = token(&services, &chain, &scope).await;
        services
            .change_nhi_state(
                &admin,
                chain.drafter,
                Lifecycle::Suspend,
                "Investigating output",
            )
            .await
            .unwrap();
        let error = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("is suspended"),
            "{}: {error}",
            db.name
        );
        let refused = services
            .issue_token(
                &chain.drafter.to_string(),
                &chain.drafter_secret,
                Some(&scope),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, CredentialError::UnauthorizedClient(_)),
            "{refused:?}"
        );
        services
            .change_nhi_state(&admin, chain.drafter, Lifecycle::Reactivate, "Cleared")
            .await
            .unwrap();

        // Orphaned: its only owner is deactivated.
        let issued = token(&services, &chain, &scope).await;
        services
            .set_person_active(&admin, chain.owner, false, "Left the company")
            .await
            .unwrap();
        let error = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("no active human owner"),
            "{error}"
        );
        let refused = services
            .issue_token(
                &chain.drafter.to_string(),
                &chain.drafter_secret,
                Some(&scope),
            )
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("no active human owner"),
            "{refused}"
        );
        services
            .set_person_active(&admin, chain.owner, true, "Came back")
            .await
            .unwrap();

        // Expired identity: a token issued a minute before the identity expires ends with it.
        let nhi = db.store.nhi(chain.drafter).await.unwrap().unwrap();
        clock.set(nhi.expires_at - Duration::seconds(60));
        let issued = token(&services, &chain, &scope).await;
        clock.set(nhi.expires_at - Duration::seconds(1));
        assert!(services
            .authenticate_token(&issued.access_token.0)
            .await
            .is_ok());
        clock.set(nhi.expires_at);
        let error = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("expired"), "{error}");
    }
}

#[tokio::test]
async fn revocation_and_secret_rotation_end_tokens() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (chain, _, scope) = active_workflow(&services, &db).await;
        let admin = chain.admin.clone();

        let issued = token(&services, &chain, &scope).await;
        let (_, new_secret) = services
            .rotate_client_secret(&admin, chain.drafter)
            .await
            .unwrap();
        assert!(services
            .authenticate_token(&issued.access_token.0)
            .await
            .is_err());
        let old = services
            .issue_token(
                &chain.drafter.to_string(),
                &chain.drafter_secret,
                Some(&scope),
            )
            .await;
        assert!(
            matches!(old, Err(CredentialError::InvalidClient)),
            "{}",
            db.name
        );
        let issued = services
            .issue_token(&chain.drafter.to_string(), &new_secret.0, Some(&scope))
            .await
            .unwrap();

        let approver = common::signed_in(&services, "amy", &[Role::Approver]).await;
        assert!(services
            .rotate_client_secret(&approver, chain.drafter)
            .await
            .is_err());

        services
            .change_nhi_state(&admin, chain.drafter, Lifecycle::Revoke, "Agent retired")
            .await
            .unwrap();
        let error = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("is revoked"), "{error}");
        let rotate = services
            .rotate_client_secret(&admin, chain.drafter)
            .await
            .unwrap_err();
        assert!(rotate.to_string().contains("revoked"), "{rotate}");
    }
}

#[tokio::test]
async fn a_token_stops_working_when_its_workflow_leaves_active() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (chain, workflow, scope) = active_workflow(&services, &db).await;
        let issued = token(&services, &chain, &scope).await;

        // Widening the reader's grant to financial data raises the tier: needs_review.
        let mut wider = workflow.steps[0].grant.clone();
        wider.fields.insert("income".to_owned());
        services
            .change_step_grant(&chain.admin, workflow.id, workflow.steps[0].id, wider)
            .await
            .unwrap();
        let error = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("needs review, not active"),
            "{}: {error}",
            db.name
        );
        let refused = services
            .issue_token(
                &chain.drafter.to_string(),
                &chain.drafter_secret,
                Some(&scope),
            )
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("needs review"), "{refused}");
        assert!(services.authenticate_token("cstok_garbage").await.is_err());
    }
}

/// Two console processes share one database, each with its own cache of what tokens stand for.
/// A principal cached by one must end the moment the other changes the registry.
#[tokio::test]
async fn a_cached_principal_ends_when_another_process_changes_the_registry() {
    for db in common::both().await {
        let (first, _) = common::services(&db);
        let (second, _) = common::services(&db);
        let (chain, workflow, _) = active_workflow(&first, &db).await;
        let reader_scope = format!("step:{}", workflow.steps[0].id);
        let issued = first
            .issue_token(
                &chain.reader.to_string(),
                &chain.reader_secret,
                Some(&reader_scope),
            )
            .await
            .unwrap();
        let present = || first.authenticate_token(&issued.access_token.0);
        let step = present().await.unwrap().step;
        assert!(step.grant.fields.contains("email"), "{}", db.name);

        // Decisions do not change what a token stands for: the cache stays valid across them.
        let before = db.store.generations().await.unwrap().registry;
        let principal = present().await.unwrap();
        first
            .decide_access(
                &principal,
                countersign_core::services::AccessRequest {
                    purpose: "spring_offer".to_owned(),
                    fields: vec!["email".to_owned()],
                    subjects: vec!["crm-1".to_owned()],
                },
            )
            .await
            .unwrap();
        assert_eq!(db.store.generations().await.unwrap().registry, before);

        second
            .change_nhi_state(&chain.admin, chain.reader, Lifecycle::Suspend, "Paused")
            .await
            .unwrap();
        let error = present().await.unwrap_err();
        assert!(
            error.to_string().contains("is suspended"),
            "{}: {error}",
            db.name
        );
        second
            .change_nhi_state(&chain.admin, chain.reader, Lifecycle::Reactivate, "Fine")
            .await
            .unwrap();
        present().await.unwrap();

        // A narrowed grant is the grant the cached principal carries next time.
        let mut narrower = step.grant.clone();
        narrower.fields.remove("email");
        second
            .change_step_grant(&chain.admin, workflow.id, step.id, narrower)
            .await
            .unwrap();
        let principal = present().await.unwrap();
        assert!(
            !principal.step.grant.fields.contains("email"),
            "{}",
            db.name
        );

        second
            .set_person_active(&chain.admin, chain.owner, false, "Left")
            .await
            .unwrap();
        let error = present().await.unwrap_err();
        assert!(
            error.to_string().contains("no active human owner"),
            "{error}"
        );
        second
            .set_person_active(&chain.admin, chain.owner, true, "Back")
            .await
            .unwrap();
        present().await.unwrap();

        second
            .rotate_client_secret(&chain.admin, chain.reader)
            .await
            .unwrap();
        let error = present().await.unwrap_err();
        assert!(
            error.to_string().contains("unknown or was ended"),
            "{error}"
        );
    }
}
