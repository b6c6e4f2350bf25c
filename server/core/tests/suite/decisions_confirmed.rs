//! An access decision is made with a principal and consent records this process may hold in
//! memory, and confirmed at its commit: one made before a consent withdrawal or a suspension
//! committed (here by a second console process on the same database) is never recorded nor
//! answered as made. On SQLite and PostgreSQL, committed one by one and in groups.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::chain::{chain, record_passing_drill, spring_offer};
use countersign_core::domain::Lifecycle;
use countersign_core::services::AccessRequest;
use countersign_core::CoreError;

const CSV: &str = "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
    crm-kept,spring_offer,consent,2026-01-10,,crm export\n\
    crm-leaving,spring_offer,consent,2026-01-10,,crm export\n";
const WITHDRAWAL: &str = "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
    crm-leaving,spring_offer,consent,,2026-11-20,preference centre\n";

fn ask(subjects: &[&str]) -> AccessRequest {
    AccessRequest {
        purpose: "spring_offer".to_owned(),
        fields: vec!["email".to_owned()],
        subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn allowed(decision: &countersign_core::services::AccessDecision) -> Vec<&str> {
    decision
        .allowed_subjects
        .iter()
        .map(|s| s.subject.as_str())
        .collect()
}

#[tokio::test]
async fn a_decision_made_before_a_withdrawal_or_a_suspension_committed_is_made_again() {
    for batching in [false, true] {
        for db in common::both().await {
            let label = format!("{} (group commit: {batching})", db.name);
            let (services, _) = common::services(&db);
            let services = if batching {
                services.with_decision_batching()
            } else {
                services
            };
            // A second console process on the same database.
            let (other, _) = common::services(&db);
            let chain = chain(&services).await;
            let workflow = services
                .define_workflow(&chain.admin, spring_offer(&chain, &["email"]))
                .await
                .unwrap();
            record_passing_drill(&services, &db, &chain).await;
            let workflow = services
                .activate_workflow(&chain.admin, workflow.id)
                .await
                .unwrap();
            let token = services
                .issue_token(
                    &chain.reader.to_string(),
                    &chain.reader_secret,
                    Some(&format!("step:{}", workflow.steps[0].id)),
                )
                .await
                .unwrap()
                .access_token
                .0;
            services
                .import_consent_csv(&chain.admin, CSV, true)
                .await
                .unwrap();

            // Both subjects' records and the principal are now held in memory.
            let principal = services
                .authenticate_token_for_decision(&token)
                .await
                .unwrap();
            let first = services
                .decide_access(&principal, ask(&["crm-kept", "crm-leaving"]))
                .await
                .unwrap();
            assert_eq!(allowed(&first), ["crm-kept", "crm-leaving"], "{label}");

            // Decided from memory, then the other process records a withdrawal.
            let principal = services
                .authenticate_token_for_decision(&token)
                .await
                .unwrap();
            let prepared = services
                .prepare_access_decision(&principal, ask(&["crm-kept", "crm-leaving"]))
                .await
                .unwrap();
            assert_eq!(allowed(&prepared.decision), ["crm-kept", "crm-leaving"]);
            let made_first = prepared.decision.decision_id.clone();
            other
                .import_consent_csv(&chain.admin, WITHDRAWAL, true)
                .await
                .unwrap();
            let answered = services
                .record_access_decision(&principal, prepared)
                .await
                .unwrap();
            assert_eq!(allowed(&answered), ["crm-kept"], "{label}");
            assert_eq!(answered.denied_subjects[0].reason, "withdrawn", "{label}");
            assert!(
                db.store
                    .access_decision(&made_first)
                    .await
                    .unwrap()
                    .is_none(),
                "{label}: the decision made with the withdrawn consent is not recorded"
            );
            let stored = db
                .store
                .access_decision(&answered.decision_id)
                .await
                .unwrap()
                .expect("the decision answered is the one recorded");
            assert!(!stored
                .response_json
                .contains("\"crm-leaving\",\"legal_basis\""));

            // Decided with the principal in memory, then the other process suspends the reader.
            let principal = services
                .authenticate_token_for_decision(&token)
                .await
                .unwrap();
            let prepared = services
                .prepare_access_decision(&principal, ask(&["crm-kept"]))
                .await
                .unwrap();
            let made_second = prepared.decision.decision_id.clone();
            other
                .change_nhi_state(
                    &chain.admin,
                    chain.reader,
                    Lifecycle::Suspend,
                    "Investigating",
                )
                .await
                .unwrap();
            let events = db.store.event_count().await.unwrap();
            let refused = services
                .record_access_decision(&principal, prepared)
                .await
                .unwrap_err();
            assert!(
                matches!(&refused, CoreError::TokenEnded(why) if why.contains("suspended")),
                "{label}: {refused:?}"
            );
            assert!(db
                .store
                .access_decision(&made_second)
                .await
                .unwrap()
                .is_none());
            assert_eq!(
                db.store.event_count().await.unwrap(),
                events,
                "{label}: nothing is recorded for a refused decision"
            );
            // The next request is refused at its token check, not after deciding.
            let next = services.authenticate_token_for_decision(&token).await;
            assert!(next.is_err(), "{label}");
        }
    }
}
