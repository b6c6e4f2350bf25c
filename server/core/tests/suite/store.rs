//! The store and ledger suite, run against SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use countersign_core::domain::{ExternalIdentity, Role, RoleSet};
use countersign_core::ledger::NewEvent;
use countersign_core::services::{LedgerVerification, SignIn, SignInOutcome};
use countersign_core::store::{SessionRow, StoreError};
use countersign_core::{Actor, CoreError};
use serde_json::json;

fn sign_in(subject: &str, roles: &[Role]) -> SignIn {
    SignIn {
        identity: ExternalIdentity::new("https://idp.example.test", subject).unwrap(),
        name: Some(format!("Person {subject}")),
        email: Some(format!("{subject}@example.test")),
        roles: roles.iter().copied().collect::<RoleSet>(),
        groups_seen: roles.len(),
        reauthentication: false,
        email_verified: true,
    }
}

#[tokio::test]
async fn migrations_are_current_after_migrate_and_rerunning_is_harmless() {
    for db in common::both().await {
        let readiness = db.store.readiness().await.unwrap();
        assert!(readiness.migrations_current(), "{}: {readiness:?}", db.name);
        db.store.migrate().await.unwrap();
        assert!(db.store.readiness().await.unwrap().migrations_current());
    }
}

/// The story of one person on both databases: first sign-in, a refused sign-in, sign-out,
/// and a ledger that verifies.
#[tokio::test]
async fn sign_in_story_is_recorded_and_the_chain_verifies() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let outcome = services
            .sign_in(sign_in("ada", &[Role::Auditor]))
            .await
            .unwrap();
        let SignInOutcome::Granted { actor } = outcome else {
            panic!("{}: an auditor may enter", db.name);
        };
        assert!(actor.has_role(Role::Auditor));

        clock.advance(chrono::Duration::minutes(5));
        services
            .sign_in_failed(
                "127.0.0.1",
                "state_mismatch",
                "the state parameter does not match",
            )
            .await
            .unwrap();
        services.sign_out(&actor, "signed_out").await.unwrap();

        let page = services.audit_page(&actor, None, 10).await.unwrap();
        let actions: Vec<&str> = page.events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["auth.sign_out", "auth.sign_in_failed", "auth.sign_in"],
            "{}",
            db.name
        );
        assert_eq!(page.total, 3);
        assert!(page.events[1].details.contains("state_mismatch"));

        let verified = services.verify_ledger(&actor).await.unwrap();
        assert_eq!(
            verified,
            LedgerVerification::Intact { events: 3 },
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn a_person_without_a_role_gets_no_access_until_a_group_maps() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let outcome = services.sign_in(sign_in("bo", &[])).await.unwrap();
        let SignInOutcome::NoAccess { human_id, .. } = outcome else {
            panic!("{}: no role means no access", db.name);
        };
        let actor = services.session_actor(human_id).await.unwrap().unwrap();
        assert!(!services.may_enter(&actor));
        assert!(services.areas(&actor).is_empty());
        assert!(matches!(
            services.audit_page(&actor, None, 10).await,
            Err(CoreError::Denied(_))
        ));

        let again = services
            .sign_in(sign_in("bo", &[Role::Approver]))
            .await
            .unwrap();
        let SignInOutcome::Granted { actor } = again else {
            panic!("{}: a mapped group grants access", db.name);
        };
        let Actor::Human { id, .. } = &actor else {
            panic!("a person");
        };
        assert_eq!(*id, human_id, "the same person, not a new one");
        let events = db.store.events_page(None, 10).await.unwrap();
        assert_eq!(events[1].action, "auth.sign_in_no_access");
        assert_eq!(events[0].action, "auth.sign_in");
    }
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_ledger_events() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        services
            .sign_in(sign_in("cy", &[Role::Legal]))
            .await
            .unwrap();
        let update = common::raw_sql(&db, "UPDATE audit_events SET action = 'forged'").await;
        assert!(
            update.unwrap_err().to_string().contains("append-only"),
            "{}",
            db.name
        );
        let delete = common::raw_sql(&db, "DELETE FROM audit_events").await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        assert_eq!(db.store.event_count().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn verification_finds_the_first_tampered_event() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        for subject in ["a", "b", "c", "d"] {
            services
                .sign_in(sign_in(subject, &[Role::Auditor]))
                .await
                .unwrap();
        }
        // An attacker with database rights disables the guard and edits event 2.
        let disable = if db.name == "sqlite" {
            "DROP TRIGGER audit_events_no_update"
        } else {
            "ALTER TABLE audit_events DISABLE TRIGGER USER"
        };
        common::raw_sql(&db, disable).await.unwrap();
        common::raw_sql(
            &db,
            "UPDATE audit_events SET actor_label = 'Mallory' WHERE seq = 2",
        )
        .await
        .unwrap();
        let outcome = services.verify_ledger(&Actor::System).await.unwrap();
        let LedgerVerification::Broken { verified, link } = outcome else {
            panic!("{}: tampering must be found", db.name);
        };
        assert_eq!((verified, link.seq), (1, 2), "{}", db.name);
        assert!(link.problem.contains("altered"));
    }
}

#[tokio::test]
async fn a_change_without_its_audit_event_does_not_commit() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        services
            .sign_in(sign_in("dee", &[Role::Auditor]))
            .await
            .unwrap();
        let tx = db.store.begin_write(0).await.unwrap();
        assert!(matches!(
            tx.commit().await,
            Err(StoreError::MissingAuditEvent)
        ));

        // A change and its event, abandoned before commit: neither is kept.
        let mut tx = db.store.begin_write(0).await.unwrap();
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "test.abandoned",
            "x",
            json!({}),
        ))
        .await
        .unwrap();
        drop(tx);
        assert_eq!(db.store.event_count().await.unwrap(), 1, "{}", db.name);
        // The chain continues from the last committed event.
        services
            .sign_in(sign_in("eve", &[Role::Auditor]))
            .await
            .unwrap();
        assert_eq!(
            services.verify_ledger(&Actor::System).await.unwrap(),
            LedgerVerification::Intact { events: 2 }
        );
    }
}

#[tokio::test]
async fn concurrent_changes_append_one_unbroken_chain() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let mut tasks = Vec::new();
        for n in 0..24 {
            let services = services.clone();
            tasks.push(tokio::spawn(async move {
                services
                    .sign_in(sign_in(&format!("p{n}"), &[Role::Approver]))
                    .await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            services.verify_ledger(&Actor::System).await.unwrap(),
            LedgerVerification::Intact { events: 24 },
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn the_audit_page_is_keyset_paginated_and_bounded() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        for n in 0..7 {
            services
                .sign_in(sign_in(&format!("q{n}"), &[Role::Auditor]))
                .await
                .unwrap();
        }
        let SignInOutcome::Granted { actor } = services
            .sign_in(sign_in("reader", &[Role::Auditor]))
            .await
            .unwrap()
        else {
            panic!("auditor");
        };
        let first = services.audit_page(&actor, None, 3).await.unwrap();
        assert_eq!(
            first.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [8, 7, 6]
        );
        assert_eq!(first.next_before, Some(6));
        let last = services.audit_page(&actor, Some(3), 3).await.unwrap();
        assert_eq!(
            last.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(last.next_before, None);
        assert!(matches!(
            services.audit_page(&actor, None, 0).await,
            Err(CoreError::Invalid { field, .. }) if field == "limit"
        ));
        assert!(matches!(
            services.audit_page(&actor, None, 10_000).await,
            Err(CoreError::Invalid { field, .. }) if field == "limit"
        ));
    }
}

#[tokio::test]
async fn sessions_are_stored_loaded_expired_and_deleted() {
    for db in common::both().await {
        let row = SessionRow {
            data: r#"{"human_id":"x"}"#.to_owned(),
            expires_at_ms: 2_000,
            human_id: None,
        };
        assert!(db.store.session_insert("k1", &row).await.unwrap());
        assert!(
            !db.store.session_insert("k1", &row).await.unwrap(),
            "ids never collide silently"
        );
        assert_eq!(
            db.store.session_load("k1", 1_000).await.unwrap(),
            Some(row.clone())
        );
        assert_eq!(
            db.store.session_load("k1", 2_000).await.unwrap(),
            None,
            "expired"
        );
        let later = SessionRow {
            expires_at_ms: 9_000,
            ..row
        };
        db.store.session_upsert("k1", &later).await.unwrap();
        assert_eq!(
            db.store.session_load("k1", 5_000).await.unwrap(),
            Some(later)
        );
        db.store
            .session_insert(
                "k2",
                &SessionRow {
                    data: "{}".into(),
                    expires_at_ms: 10,
                    human_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(db.store.sessions_delete_expired(100).await.unwrap(), 1);
        db.store.session_delete("k1").await.unwrap();
        assert_eq!(
            db.store.session_load("k1", 0).await.unwrap(),
            None,
            "{}",
            db.name
        );
    }
}

/// The database file's size in pages, from its header.
fn sqlite_file_pages(path: &str) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .get(28..32)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

async fn until_more_pages_than(path: &str, pages: u32) -> u32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = sqlite_file_pages(path);
        if now > pages {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the log was not copied into {path}: still {now} pages"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// SQLite's write-ahead log is copied into the database file beside the writer (whose own
/// checkpoints wait for 40 MB of log), and still is after the console sat idle: the
/// checkpointer waits longer while nothing is written, it never stops.
#[tokio::test]
async fn sqlite_log_reaches_the_database_file_beside_the_writer_even_after_a_quiet_spell() {
    let db = common::sqlite().await;
    let (services, _) = common::services(&db);
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let migrated = until_more_pages_than(&path, 1).await;
    // Quiet: the checkpointer finds nothing new and waits longer each time.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    for n in 0..100 {
        services
            .sign_in(sign_in(&format!("quiet-{n}"), &[Role::Approver]))
            .await
            .unwrap();
    }
    until_more_pages_than(&path, migrated).await;
}
