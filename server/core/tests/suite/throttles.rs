//! Rate limits and failed sign-ins, counted in the database so every console process shares
//! them; run against SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use countersign_core::domain::Role;
use countersign_core::services::{Limit, RetryAfter, ThrottleSettings};

#[tokio::test]
async fn a_limit_is_shared_by_every_process_and_opens_again_in_the_next_window() {
    for db in common::both().await {
        let (first, clock) = common::services(&db);
        // A second console process: its own services, the same database.
        let second = first.clone().with_throttles(ThrottleSettings {
            token_requests_per_minute: 3,
            ..ThrottleSettings::default()
        });
        let first = first.with_throttles(ThrottleSettings {
            token_requests_per_minute: 3,
            ..ThrottleSettings::default()
        });
        let client = "0190f0a0-0000-7000-8000-000000000001";
        assert_eq!(
            first.throttle(Limit::TokenRequests, client).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            second.throttle(Limit::TokenRequests, client).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            first.throttle(Limit::TokenRequests, client).await.unwrap(),
            Ok(())
        );
        let Err(RetryAfter(seconds)) = second.throttle(Limit::TokenRequests, client).await.unwrap()
        else {
            panic!(
                "{}: the fourth request in a minute is refused, whichever process takes it",
                db.name
            );
        };
        assert!((1..=60).contains(&seconds), "{seconds}");
        assert_eq!(
            first
                .throttle(Limit::TokenRequests, "another-client")
                .await
                .unwrap(),
            Ok(()),
            "{}: another client is not held back",
            db.name
        );
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(
            first.throttle(Limit::TokenRequests, client).await.unwrap(),
            Ok(()),
            "{}",
            db.name
        );
    }
}

async fn ledger_size(
    services: &countersign_core::Services,
    auditor: &countersign_core::Actor,
) -> i64 {
    services.audit_page(auditor, None, 1).await.unwrap().total
}

/// A flood of failed sign-ins from one source: the first is recorded in detail, the rest become
/// one summary when the window ends, and the source is refused further sign-ins meanwhile.
#[tokio::test]
async fn failed_sign_ins_are_throttled_and_summed_up_in_one_event() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let services = services.with_throttles(ThrottleSettings {
            failed_sign_ins: 5,
            ..ThrottleSettings::default()
        });
        let auditor = common::signed_in(&services, "ada", &[Role::Auditor]).await;
        for attempt in 0..50 {
            services
                .sign_in_failed(
                    "203.0.113.9",
                    "state_mismatch",
                    &format!("attempt {attempt}"),
                )
                .await
                .unwrap();
        }
        services
            .sign_in_failed("198.51.100.1", "idp_error", "access_denied")
            .await
            .unwrap();
        assert!(services
            .throttled(Limit::FailedSignIns, "203.0.113.9")
            .await
            .unwrap()
            .is_some());
        assert!(services
            .throttled(Limit::FailedSignIns, "198.51.100.1")
            .await
            .unwrap()
            .is_none());

        let before = services.audit_page(&auditor, None, 100).await.unwrap();
        let failed: Vec<_> = before
            .events
            .iter()
            .filter(|e| e.action == "auth.sign_in_failed")
            .collect();
        assert_eq!(
            failed.len(),
            2,
            "{}: one event per source, not per attempt",
            db.name
        );

        // Nothing is summed up before the window ends.
        services.sweep_throttles().await.unwrap();
        assert_eq!(ledger_size(&services, &auditor).await, before.total);

        clock.advance(chrono::Duration::minutes(16));
        let removed = services.sweep_throttles().await.unwrap();
        assert!(removed >= 2, "{}: {removed}", db.name);
        let after = services.audit_page(&auditor, None, 100).await.unwrap();
        let summaries: Vec<_> = after
            .events
            .iter()
            .filter(|e| e.action == "auth.sign_in_failures")
            .collect();
        assert_eq!(summaries.len(), 1, "{}", db.name);
        assert!(summaries[0].details.contains("203.0.113.9"));
        assert!(
            summaries[0].details.contains(r#""further_failures":49"#),
            "{}",
            summaries[0].details
        );
        assert!(services
            .throttled(Limit::FailedSignIns, "203.0.113.9")
            .await
            .unwrap()
            .is_none());
        // A second sweep finds nothing more to record.
        services.sweep_throttles().await.unwrap();
        assert_eq!(ledger_size(&services, &auditor).await, after.total);
        assert!(matches!(
            services.verify_ledger(&auditor).await.unwrap(),
            countersign_core::services::LedgerVerification::Intact { .. }
        ));
    }
}
