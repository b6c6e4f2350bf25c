//! The Audit page's search on SQLite and PostgreSQL: each filter alone and together, keyset
//! pages that neither skip nor repeat, names beside references, and filters that cannot match
//! refused by name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use countersign_core::domain::Role;
use countersign_core::services::AuditQuery;
use countersign_core::{Actor, CoreError};

#[tokio::test]
async fn filters_pages_and_names_on_both_databases() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let auditor = common::signed_in(&services, "aud", &[Role::Auditor]).await;
        for i in 0..7 {
            common::signed_in(&services, &format!("p{i}"), &[Role::Approver]).await;
        }
        clock.advance(chrono::Duration::days(2));
        let admin = common::signed_in(&services, "adm", &[Role::SecurityAdmin]).await;
        let Actor::Human { id: admin_id, .. } = &admin else {
            unreachable!()
        };
        let admin_ref = admin_id.reference();
        let all = services
            .audit_search(&auditor, &AuditQuery::default(), None, 200)
            .await
            .unwrap();
        assert_eq!(all.events.len() as i64, all.total, "{}", db.name);

        let search = |query: AuditQuery| {
            let (services, auditor) = (&services, &auditor);
            async move { services.audit_search(auditor, &query, None, 200).await }
        };
        // By name, or by reference: the same events.
        let by_name = search(AuditQuery {
            actor: "Person adm".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let by_ref = search(AuditQuery {
            actor: admin_ref.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(!by_name.events.is_empty(), "{}", db.name);
        assert_eq!(
            by_name.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            by_ref.events.iter().map(|e| e.seq).collect::<Vec<_>>()
        );
        assert!(by_name.events.iter().all(|e| e.actor_ref == admin_ref));
        assert_eq!(
            by_name.names.get(&admin_ref).map(String::as_str),
            Some("Person adm")
        );

        // An action, and a kind of action.
        let kind = search(AuditQuery {
            action: "auth.".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(
            kind.events.iter().all(|e| e.action.starts_with("auth.")),
            "{}",
            db.name
        );
        let first = kind.events[0].action.clone();
        let exact = search(AuditQuery {
            action: first.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(exact.events.iter().all(|e| e.action == first));
        assert!(exact.events.len() <= kind.events.len());

        // Subject, and dates: the last two days hold only the admin's sign-in.
        let subject = search(AuditQuery {
            subject: admin_ref.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(subject.events.iter().all(|e| e.subject == admin_ref));
        let today = services.clock().now().format("%Y-%m-%d").to_string();
        let recent = search(AuditQuery {
            from: today.clone(),
            to: today.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(!recent.events.is_empty());
        assert!(
            recent.events.iter().all(|e| e.actor_ref == admin_ref),
            "{}",
            db.name
        );
        let flagged = search(AuditQuery {
            flagged: true,
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(
            flagged.events.is_empty(),
            "{}: nothing was refused",
            db.name
        );

        // Keyset pages of 3: every event once, newest first.
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = services
                .audit_search(&auditor, &AuditQuery::default(), before, 3)
                .await
                .unwrap();
            seen.extend(page.events.iter().map(|e| e.seq));
            match page.next_before {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        let expected: Vec<i64> = (1..=all.total).rev().collect();
        assert_eq!(seen, expected, "{}", db.name);

        for (query, field) in [
            (
                AuditQuery {
                    actor: "Nobody Atall".into(),
                    ..Default::default()
                },
                "actor",
            ),
            (
                AuditQuery {
                    action: "DROP TABLE".into(),
                    ..Default::default()
                },
                "action",
            ),
            (
                AuditQuery {
                    subject: "not a reference".into(),
                    ..Default::default()
                },
                "subject",
            ),
            (
                AuditQuery {
                    from: "last tuesday".into(),
                    ..Default::default()
                },
                "from",
            ),
            (
                AuditQuery {
                    from: "2026-12-02".into(),
                    to: "2026-12-01".into(),
                    ..Default::default()
                },
                "to",
            ),
        ] {
            let error = search(query).await.unwrap_err();
            assert!(
                matches!(&error, CoreError::Invalid { field: f, .. } if *f == field),
                "{error:?}"
            );
        }
        let approver = common::signed_in(&services, "p0", &[Role::Approver]).await;
        let refused = services
            .audit_search(&approver, &AuditQuery::default(), None, 10)
            .await;
        assert!(matches!(refused, Err(CoreError::Denied(_))));
    }
}
