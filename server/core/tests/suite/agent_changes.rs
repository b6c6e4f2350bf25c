//! An agent's own changes on SQLite and PostgreSQL: a retried draft with its idempotency key finds
//! the first attempt's change, the list pages through what it drafted in its step, and a change
//! still in review can be withdrawn once, by its drafter only, with the withdrawal in the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::drafting::{decide, draft, provenance, session};
use countersign_core::actor::Via;
use countersign_core::domain::IdempotencyKey;
use countersign_core::services::VersionInput;
use countersign_core::CoreError;

fn field_of(error: CoreError) -> String {
    match error {
        CoreError::Invalid { field, .. } => field.to_string(),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[tokio::test]
async fn a_draft_sent_again_with_its_key_finds_the_first_change_and_a_different_one_is_refused() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let session = session(&services, &db).await;
        let decision = decide(&services, &session.drafter).await;
        let input = draft(&session, provenance(&[&decision], &["email"]));
        let key = IdempotencyKey::parse("retry-1f0c6a").unwrap();
        let events_before = db.store.event_count().await.unwrap();

        let (first, replayed) = services
            .submit_draft_once(&session.drafter, input.clone(), Some(&key))
            .await
            .unwrap();
        assert!(!replayed, "{}", db.name);
        let (again, replayed) = services
            .submit_draft_once(&session.drafter, input.clone(), Some(&key))
            .await
            .unwrap();
        assert!(replayed, "{}", db.name);
        assert_eq!(again.id, first.id);
        let listed = services
            .changes_drafted(&session.drafter, None, None, None)
            .await
            .unwrap();
        assert_eq!(listed.changes.len(), 1, "one change, not two: {}", db.name);
        let after_replay = db.store.event_count().await.unwrap();

        let mut different = input.clone();
        different.title = "Another title".into();
        let refused = services
            .submit_draft_once(&session.drafter, different.clone(), Some(&key))
            .await
            .unwrap_err();
        assert_eq!(field_of(refused), "idempotency_key");
        assert_eq!(db.store.event_count().await.unwrap(), after_replay);

        // Without a key, or with a new one, the same content makes a new change.
        let (other, _) = services
            .submit_draft_once(
                &session.drafter,
                different,
                Some(&IdempotencyKey::parse("retry-2").unwrap()),
            )
            .await
            .unwrap();
        assert_ne!(other.id, first.id);
        // The drafted event, the decision and checks are written once per change.
        assert!(after_replay > events_before);
    }
}

#[tokio::test]
async fn the_list_pages_newest_first_filters_by_status_and_shows_only_this_steps_changes() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let session = session(&services, &db).await;
        let decision = decide(&services, &session.drafter).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            clock.advance(chrono::Duration::seconds(1));
            let mut input = draft(&session, provenance(&[&decision], &["email"]));
            input.title = format!("Spring offer {n}");
            ids.push(
                services
                    .submit_draft(&session.drafter, input)
                    .await
                    .unwrap()
                    .id,
            );
        }
        services
            .withdraw_draft(&session.drafter, &ids[1], "superseded by a newer draft")
            .await
            .unwrap();

        let first = services
            .changes_drafted(&session.drafter, None, None, Some(2))
            .await
            .unwrap();
        let titles = |page: &countersign_core::services::DraftedChanges| {
            page.changes
                .iter()
                .map(|c| c.title.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            titles(&first),
            ["Spring offer 4", "Spring offer 3"],
            "{}",
            db.name
        );
        let second = services
            .changes_drafted(&session.drafter, None, first.next.as_deref(), Some(2))
            .await
            .unwrap();
        assert_eq!(titles(&second), ["Spring offer 2", "Spring offer 1"]);
        let last = services
            .changes_drafted(&session.drafter, None, second.next.as_deref(), Some(2))
            .await
            .unwrap();
        assert_eq!(titles(&last), ["Spring offer 0"]);
        assert_eq!(last.next, None);

        let cancelled = services
            .changes_drafted(&session.drafter, Some("cancelled"), None, None)
            .await
            .unwrap();
        assert_eq!(titles(&cancelled), ["Spring offer 1"]);

        // The reader's token is for another step: it drafted nothing there.
        let none = services
            .changes_drafted(&session.reader, None, None, None)
            .await
            .unwrap();
        assert!(none.changes.is_empty());

        for (status, before, limit, field) in [
            (Some("shipped"), None, None, "status"),
            (None, Some("not-a-cursor"), None, "before"),
            (None, None, Some(0), "limit"),
            (None, None, Some(101), "limit"),
        ] {
            let error = services
                .changes_drafted(&session.drafter, status, before, limit)
                .await
                .unwrap_err();
            assert_eq!(field_of(error), field);
        }
    }
}

#[tokio::test]
async fn a_change_in_review_is_withdrawn_once_by_its_drafter_and_the_ledger_says_so() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let session = session(&services, &db).await;
        let decision = decide(&services, &session.drafter).await;
        let change = services
            .submit_draft(
                &session.drafter,
                draft(&session, provenance(&[&decision], &["email"])),
            )
            .await
            .unwrap();

        // Bad input and other identities change nothing.
        assert_eq!(
            field_of(
                services
                    .withdraw_draft(&session.drafter, &change.id, " ")
                    .await
                    .unwrap_err()
            ),
            "reason"
        );
        assert!(matches!(
            services
                .withdraw_draft(&session.reader, &change.id, "not mine to take back")
                .await,
            Err(CoreError::NotFound(_))
        ));
        assert!(matches!(
            services
                .withdraw_draft(&session.drafter, "no-such-change", "a typo in the id")
                .await,
            Err(CoreError::NotFound(_))
        ));
        let events = db.store.event_count().await.unwrap();
        assert_eq!(
            db.store
                .change(&change.id)
                .await
                .unwrap()
                .unwrap()
                .status
                .as_str(),
            "pending_review"
        );

        // Through MCP: the event says so.
        let mut via_mcp = session.drafter.clone();
        via_mcp.actor = via_mcp.actor.through(Via::Mcp);
        services
            .withdraw_draft(&via_mcp, &change.id, "the offer was cancelled")
            .await
            .unwrap();
        assert_eq!(db.store.event_count().await.unwrap(), events + 1);
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "change.withdrawn", "{}", db.name);
        let details: serde_json::Value = serde_json::from_str(&event.details).unwrap();
        assert_eq!(details["reason"], "the offer was cancelled");
        assert_eq!(details["previous_status"], "pending_review");
        assert_eq!(details["via"], "mcp");
        assert_eq!(
            services
                .change_status(&session.drafter, &change.id)
                .await
                .unwrap()
                .status,
            "cancelled"
        );

        // Once only, and nothing can revise it afterwards.
        assert!(matches!(
            services
                .withdraw_draft(&session.drafter, &change.id, "again")
                .await,
            Err(CoreError::Conflict(_))
        ));
        assert!(matches!(
            services
                .submit_version(
                    &session.drafter,
                    &change.id,
                    VersionInput {
                        content: "A late revision.".into(),
                        format: "text".into(),
                        variants: None,
                        provenance: provenance(&[&decision], &["email"]),
                    },
                )
                .await,
            Err(CoreError::Conflict(_))
        ));
        // The API's own events carry no channel mark.
        let decided = db.store.events_page(None, 50).await.unwrap();
        let drafted = decided
            .iter()
            .find(|e| e.action == "change.drafted")
            .unwrap();
        assert!(!drafted.details.contains("\"via\""));
    }
}
