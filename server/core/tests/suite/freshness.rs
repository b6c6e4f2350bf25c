//! Dangerous actions need a recent sign-in: a session left open can read but not revoke,
//! rotate, reassign or widen. Run against SQLite and PostgreSQL alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::common::chain::chain;
use countersign_core::domain::Role;
use countersign_core::CoreError;

#[tokio::test]
async fn a_stale_sign_in_cannot_do_dangerous_things_and_nothing_is_written() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let chain = chain(&services).await;
        let admin = common::signed_in(&services, "sec-2", &[Role::SecurityAdmin]).await;
        clock.advance(chrono::Duration::minutes(16));
        let before = services.store().event_count().await.unwrap();

        let stale = |result: Result<(), CoreError>, what: &str| match result {
            Err(CoreError::ReauthRequired(message)) => {
                assert!(message.contains("15 minutes"), "{what}: {message}");
            }
            other => panic!(
                "{}: {what} must need a fresh sign-in, got {other:?}",
                db.name
            ),
        };
        stale(
            services
                .rotate_client_secret(&admin, chain.drafter)
                .await
                .map(|_| ()),
            "secret rotation",
        );
        stale(
            services
                .rotate_system_secret(&admin, chain.crm, "routine rotation")
                .await
                .map(|_| ()),
            "system secret rotation",
        );
        stale(
            services
                .set_content_hosts(&admin, chain.crm, "www.example.com")
                .await
                .map(|_| ()),
            "content hosts",
        );
        stale(
            services
                .reassign_owners(&admin, &[chain.drafter], &[chain.owner], "new team")
                .await
                .map(|_| ()),
            "owner change",
        );
        stale(
            services
                .set_person_active(&admin, chain.owner, false, "left the company")
                .await
                .map(|_| ()),
            "deactivation",
        );
        assert_eq!(
            services.store().event_count().await.unwrap(),
            before,
            "{}: a refusal writes nothing",
            db.name
        );

        // Signing in again is what it takes; the new sign-in is in the ledger.
        let fresh = common::signed_in(&services, "sec-2", &[Role::SecurityAdmin]).await;
        services
            .rotate_client_secret(&fresh, chain.drafter)
            .await
            .unwrap();
        // Reading needs no fresh sign-in.
        services.list_systems(&admin).await.unwrap();
    }
}
