//! Consent and access decisions on SQLite and PostgreSQL: every consent case, every field denial
//! reason, bad requests refused with nothing written, and each decision in the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::chain::{chain, record_passing_drill, spring_offer, Chain};
use countersign_core::domain::{GrantAction, Workflow};
use countersign_core::services::{AccessRequest, ConsentInput, TokenPrincipal};
use countersign_core::{CoreError, Services};

const CSV: &str = "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
    crm-granted,spring_offer,consent,2026-01-10,,crm export\n\
    crm-withdrawn,spring_offer,consent,2026-01-10,,crm export\n\
    crm-withdrawn,spring_offer,consent,,2026-02-01,preference centre\n\
    crm-regranted,spring_offer,consent,,2026-01-05,preference centre\n\
    crm-regranted,spring_offer,consent,2026-03-01,,crm export\n\
    crm-other,newsletter,consent,2026-01-10,,crm export\n\
    crm-contract,spring_offer,contract,2026-01-10,,order system\n";

async fn reader_session(
    services: &Services,
    db: &common::TestDb,
    fields: &[&str],
) -> (Chain, Workflow, TokenPrincipal, String) {
    let chain = chain(services).await;
    let workflow = services
        .define_workflow(&chain.admin, spring_offer(&chain, fields))
        .await
        .unwrap();
    record_passing_drill(services, db, &chain).await;
    let workflow = services
        .activate_workflow(&chain.admin, workflow.id)
        .await
        .unwrap();
    let scope = format!("step:{}", workflow.steps[0].id);
    let token = services
        .issue_token(
            &chain.reader.to_string(),
            &chain.reader_secret,
            Some(&scope),
        )
        .await
        .unwrap();
    let principal = services
        .authenticate_token(&token.access_token.0)
        .await
        .unwrap();
    (chain, workflow, principal, token.access_token.0)
}

fn ask(purpose: &str, fields: &[&str], subjects: &[&str]) -> AccessRequest {
    AccessRequest {
        purpose: purpose.to_owned(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[tokio::test]
async fn decisions_follow_the_grant_and_the_newest_consent_event() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (chain, _, principal, _) = reader_session(&services, &db, &["email", "region"]).await;
        let imported = services
            .import_consent_csv(&chain.admin, CSV, true)
            .await
            .unwrap();
        assert!(imported.errors.is_empty(), "{:?}", imported.errors);
        assert!(imported.batch.is_some());

        let before = db.store.event_count().await.unwrap();
        let decision = services
            .decide_access(
                &principal,
                ask(
                    "spring_offer",
                    &["email", "income", "shoe_size", "region"],
                    &[
                        "crm-granted",
                        "crm-withdrawn",
                        "crm-regranted",
                        "crm-other",
                        "crm-unknown",
                        "crm-contract",
                    ],
                ),
            )
            .await
            .unwrap();
        assert_eq!(decision.allowed_fields, ["email", "region"], "{}", db.name);
        let denied: Vec<(&str, &str)> = decision
            .denied_fields
            .iter()
            .map(|d| (d.field.as_str(), d.reason.as_str()))
            .collect();
        assert_eq!(
            denied,
            [("income", "not_in_grant"), ("shoe_size", "unknown_field")]
        );
        let allowed: Vec<(&str, &str)> = decision
            .allowed_subjects
            .iter()
            .map(|s| (s.subject.as_str(), s.legal_basis.as_str()))
            .collect();
        assert_eq!(
            allowed,
            [
                ("crm-granted", "consent"),
                ("crm-regranted", "consent"),
                ("crm-contract", "contract")
            ]
        );
        let refused: Vec<(&str, &str)> = decision
            .denied_subjects
            .iter()
            .map(|s| (s.subject.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                ("crm-withdrawn", "withdrawn"),
                ("crm-other", "purpose_mismatch"),
                ("crm-unknown", "no_consent")
            ]
        );

        // Recorded, exactly as asked and answered, in the ledger and for drafts to cite.
        assert_eq!(db.store.event_count().await.unwrap(), before + 1);
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "access.decided");
        assert!(event.details.contains("shoe_size") && event.details.contains("decision_digest"));
        let request: serde_json::Value = serde_json::from_str(
            &db.store
                .access_decision(&decision.decision_id)
                .await
                .unwrap()
                .unwrap()
                .request_json,
        )
        .unwrap();
        assert_eq!(
            request["subjects"][4], "crm-unknown",
            "the exact subjects asked are kept"
        );
        // Decisions are append-only like the ledger.
        assert!(
            common::raw_sql(&db, "UPDATE access_decisions SET purpose = 'x'")
                .await
                .is_err()
        );
        let stored = db
            .store
            .access_decision(&decision.decision_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.step, principal.step.id);

        // A purpose the grant does not name denies every field.
        let other = services
            .decide_access(&principal, ask("retargeting", &["email"], &["crm-granted"]))
            .await
            .unwrap();
        assert_eq!(other.denied_fields[0].reason, "purpose_not_granted");
        assert!(other.allowed_fields.is_empty());
    }
}

#[tokio::test]
async fn special_category_fields_are_read_only_in_a_tier_3_workflow() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (_, workflow, principal, _) =
            reader_session(&services, &db, &["email", "health"]).await;
        assert_eq!(workflow.tier.number(), 3);
        let decision = services
            .decide_access(&principal, ask("spring_offer", &["health"], &["crm-x"]))
            .await
            .unwrap();
        assert_eq!(decision.allowed_fields, ["health"], "{}", db.name);
    }
}

#[tokio::test]
async fn bad_requests_are_refused_and_nothing_is_recorded() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (_, _, principal, _) = reader_session(&services, &db, &["email"]).await;
        let before = db.store.event_count().await.unwrap();
        let many: Vec<String> = (0..1001).map(|n| format!("crm-{n}")).collect();
        let cases = vec![
            (ask("Spring Offer", &["email"], &["c1"]), "purpose must be"),
            (ask("spring_offer", &[], &["c1"]), "ask for 1 to 100 fields"),
            (
                ask("spring_offer", &["email"], &[]),
                "ask about 1 to 1000 subjects",
            ),
            (
                ask("spring_offer", &["email", "email"], &["c1"]),
                "`email` appears twice",
            ),
            (
                ask("spring_offer", &["Email!"], &["c1"]),
                "is not a field name",
            ),
            (
                ask("spring_offer", &["email"], &["c1", "c1"]),
                "subjects[1]: `c1` appears twice",
            ),
            (
                ask("spring_offer", &["email"], &["jane doe"]),
                "subjects[0]: subject must be",
            ),
            (
                AccessRequest {
                    purpose: "spring_offer".into(),
                    fields: vec!["email".into()],
                    subjects: many,
                },
                "ask about 1 to 1000 subjects",
            ),
        ];
        for (request, expected) in cases {
            let error = services
                .decide_access(&principal, request)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{}: {error}", db.name);
        }
        assert_eq!(
            db.store.event_count().await.unwrap(),
            before,
            "nothing half-written"
        );
    }
}

#[tokio::test]
async fn consent_batches_load_only_through_a_grant_and_all_or_nothing() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (chain, workflow, principal, token) = reader_session(&services, &db, &["email"]).await;
        let record = |subject: &str| ConsentInput {
            subject: subject.to_owned(),
            purpose: "spring_offer".to_owned(),
            legal_basis: "consent".to_owned(),
            granted_at: Some(services.clock().now()),
            withdrawn_at: None,
            source: "crm sync".to_owned(),
        };
        // The reader's grant does not include record_consent.
        assert!(matches!(
            services
                .record_consents(&principal, vec![record("crm-1")])
                .await,
            Err(CoreError::Denied(_))
        ));
        let mut grant = workflow.steps[0].grant.clone();
        grant.actions.insert(GrantAction::RecordConsent);
        services
            .change_step_grant(&chain.admin, workflow.id, workflow.steps[0].id, grant)
            .await
            .unwrap();
        // Every request authenticates afresh and sees the grant in force.
        let principal = services.authenticate_token(&token).await.unwrap();
        let before = db.store.event_count().await.unwrap();
        let mut bad = record("crm-2");
        bad.legal_basis = "vibes".into();
        let error = services
            .record_consents(&principal, vec![record("crm-1"), bad])
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("records[1]: unknown legal basis"),
            "{}: {error}",
            db.name
        );
        assert_eq!(
            db.store.event_count().await.unwrap(),
            before,
            "all or nothing"
        );
        let (_, count) = services
            .record_consents(&principal, vec![record("crm-1"), record("crm-2")])
            .await
            .unwrap();
        assert_eq!(count, 2);
        let overview = services.consent_overview(&chain.admin).await.unwrap();
        assert_eq!((overview.records, overview.subjects), (2, 2));

        // A CSV with one bad row imports nothing.
        let text = "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
                    crm-9,spring_offer,consent,2026-01-10,,crm\n\
                    crm-10,spring_offer,consent,2099-01-10,,crm\n";
        let preview = services
            .import_consent_csv(&chain.admin, text, true)
            .await
            .unwrap();
        assert_eq!(preview.errors.len(), 1);
        assert!(preview.errors[0]
            .problem
            .contains("granted_at is in the future"));
        assert!(preview.batch.is_none());
        assert_eq!(
            services
                .consent_overview(&chain.admin)
                .await
                .unwrap()
                .records,
            2
        );
    }
}

#[tokio::test]
async fn concurrent_decisions_commit_in_groups_and_the_chain_holds() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let services = services.with_decision_batching();
        let (chain, _, principal, _) = reader_session(&services, &db, &["email"]).await;
        services
            .import_consent_csv(&chain.admin, CSV, true)
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..64 {
            let services = services.clone();
            let principal = principal.clone();
            tasks.spawn(async move {
                services
                    .decide_access(
                        &principal,
                        ask(
                            "spring_offer",
                            &["email", "no_such_field"],
                            &["crm-granted", &format!("crm-{n}")],
                        ),
                    )
                    .await
            });
        }
        let mut ids = std::collections::BTreeSet::new();
        while let Some(result) = tasks.join_next().await {
            let decision = result.unwrap().unwrap();
            let row = db
                .store
                .access_decision(&decision.decision_id)
                .await
                .unwrap()
                .expect("answered only once durable");
            // What was answered is what is stored, and the ledger's digest binds those bytes.
            let stored: countersign_core::services::AccessDecision =
                serde_json::from_str(&row.response_json).unwrap();
            assert_eq!(stored, decision, "{}", db.name);
            let subject = format!("decision:{}", decision.decision_id);
            let events = db.store.events_about(&[subject]).await.unwrap();
            let details: serde_json::Value = serde_json::from_str(&events[0].details).unwrap();
            let digest = format!(
                "sha256:{}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                    format!("{}\n{}", row.request_json, row.response_json).as_bytes()
                ))
            );
            assert_eq!(details["decision_digest"], digest.as_str(), "{}", db.name);
            ids.insert(decision.decision_id);
        }
        assert_eq!(ids.len(), 64, "{}", db.name);
        assert_eq!(db.store.event_count().await.unwrap(), before + 64);
        let verified = services.verify_ledger(&chain.admin).await.unwrap();
        assert!(
            matches!(
                verified,
                countersign_core::services::LedgerVerification::Intact { .. }
            ),
            "{}: {verified:?}",
            db.name
        );
    }
}
