//! Drafts with provenance on SQLite and PostgreSQL: a drafting agent cites its own step's
//! decisions; every other citation, and every malformed draft, is refused with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::drafting::{decide, draft, provenance, session};
use countersign_core::domain::content_hash;
use countersign_core::services::VersionInput;
use countersign_core::CoreError;

#[tokio::test]
async fn a_draft_citing_its_own_decision_becomes_a_change_pending_review() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let session = session(&services, &db).await;
        let decision = decide(&services, &session.drafter).await;
        let input = draft(&session, provenance(&[&decision], &["email"]));
        let content = input.content.clone();
        let change = services
            .submit_draft(&session.drafter, input)
            .await
            .unwrap();
        assert_eq!(change.status.as_str(), "pending_review", "{}", db.name);
        assert_eq!(change.tier, session.workflow.tier.number());
        let versions = db.store.change_versions(&change.id).await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].content.hash, content_hash(&content));
        assert_eq!(
            versions[0].provenance.access_decisions,
            vec![decision.clone()]
        );
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "change.drafted");
        assert!(event.details.contains(&content_hash(&content)));

        let status = services
            .change_status(&session.drafter, &change.id)
            .await
            .unwrap();
        assert_eq!(
            (status.status.as_str(), status.version),
            ("pending_review", 1)
        );
        // Another identity cannot see it.
        assert!(matches!(
            services.change_status(&session.reader, &change.id).await,
            Err(CoreError::NotFound(_))
        ));

        let (revised, hash) = services
            .submit_version(
                &session.drafter,
                &change.id,
                VersionInput {
                    content: "Hello, spring is here: 15% off until 30 April.".into(),
                    format: "text".into(),
                    variants: None,
                    provenance: provenance(&[&decision], &["email"]),
                },
            )
            .await
            .unwrap();
        assert_eq!(revised.current_version, 2);
        assert_eq!(
            hash,
            content_hash("Hello, spring is here: 15% off until 30 April.")
        );
        assert_eq!(
            services
                .change_status(&session.drafter, &change.id)
                .await
                .unwrap()
                .content_hash,
            hash
        );
    }
}

#[tokio::test]
async fn bad_citations_and_bad_drafts_are_refused_with_nothing_written() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let session = session(&services, &db).await;
        let mine = decide(&services, &session.drafter).await;
        let theirs = decide(&services, &session.reader).await;
        let stale = decide(&services, &session.drafter).await;
        let before = db.store.event_count().await.unwrap();

        let mut wrong_target = draft(&session, provenance(&[&mine], &["email"]));
        wrong_target.target.system = countersign_core::domain::SystemId::new().to_string();
        let mut bad_format = draft(&session, provenance(&[], &[]));
        bad_format.format = "pdf".into();
        let mut bad_audience = draft(&session, provenance(&[], &[]));
        bad_audience.audience = "everyone".into();
        let mut no_model = provenance(&[], &[]);
        no_model.model = " ".into();
        let cases = vec![
            (
                draft(&session, provenance(&[&theirs], &["email"])),
                "made for another step",
            ),
            (
                draft(&session, provenance(&[&mine], &["income"])),
                "`income` was not allowed",
            ),
            (
                draft(&session, provenance(&[], &["email"])),
                "cite the access decision",
            ),
            (
                draft(&session, provenance(&["no-such-decision"], &[])),
                "no access decision",
            ),
            (
                draft(&session, provenance(&[&mine, &mine], &[])),
                "cited twice",
            ),
            (wrong_target, "publishes only to"),
            (bad_format, "format: expected text, markdown or html"),
            (bad_audience, "audience: expected internal or external"),
            (draft(&session, no_model), "provenance.model: required"),
        ];
        for (input, expected) in cases {
            let error = services
                .submit_draft(&session.drafter, input)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{}: {error}", db.name);
        }
        // The reader's step does not draft; a purpose outside the grant is refused too.
        assert!(matches!(
            services
                .submit_draft(&session.reader, draft(&session, provenance(&[], &[])))
                .await,
            Err(CoreError::Denied(_))
        ));
        let mut other_purpose = draft(&session, provenance(&[], &[]));
        other_purpose.purpose = "retargeting".into();
        assert!(matches!(
            services.submit_draft(&session.drafter, other_purpose).await,
            Err(CoreError::Denied(_))
        ));
        // An expired decision.
        clock.advance(Duration::minutes(61));
        let session_token = services
            .issue_token(
                &session.chain.drafter.to_string(),
                &session.chain.drafter_secret,
                Some(&format!("step:{}", session.workflow.steps[1].id)),
            )
            .await
            .unwrap();
        let drafter = services
            .authenticate_token(&session_token.access_token.0)
            .await
            .unwrap();
        let before_expired = db.store.event_count().await.unwrap();
        let error = services
            .submit_draft(&drafter, draft(&session, provenance(&[&stale], &["email"])))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("expired"), "{error}");
        assert_eq!(db.store.event_count().await.unwrap(), before_expired);
        assert_eq!(
            before_expired,
            before + 1,
            "only the token was issued meanwhile"
        );
    }
}
