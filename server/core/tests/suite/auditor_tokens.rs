//! Auditors' machine tokens on SQLite and PostgreSQL: issued once and kept as a hash, listed
//! with their issuer, and refused once revoked, expired or orphaned by their issuer leaving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use countersign_core::domain::Role;
use countersign_core::Actor;

#[tokio::test]
async fn tokens_live_and_end_the_same_on_both_databases() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let admin = common::signed_in(&services, "admin-a", &[Role::SecurityAdmin]).await;
        let other = common::signed_in(&services, "admin-b", &[Role::SecurityAdmin]).await;
        let (row, token) = services
            .issue_auditor_token(&admin, "Acme LLP audit tool", 10)
            .await
            .unwrap();
        let (spare, _) = services
            .issue_auditor_token(&admin, "Spare tool", 10)
            .await
            .unwrap();

        let listed = services.auditor_tokens(&other).await.unwrap();
        assert_eq!(listed.len(), 2, "{}", db.name);
        assert_eq!(
            listed[1].name, "Acme LLP audit tool",
            "{}: newest first",
            db.name
        );
        assert_eq!(listed[1].issued_by_name, "Person admin-a");
        assert!(listed[1].issuer_active, "{}", db.name);
        let store = services.store();
        assert!(store
            .auditor_token_by_hash(&token.0)
            .await
            .unwrap()
            .is_none());
        let hash = countersign_core::credentials::token_hash(&token.0);
        assert_eq!(
            store
                .auditor_token_by_hash(&hash)
                .await
                .unwrap()
                .unwrap()
                .id,
            row.id,
            "{}: kept by its hash",
            db.name
        );

        let tool = services.authenticate_auditor_token(&token.0).await.unwrap();
        assert_eq!(
            tool,
            Actor::AuditorToken {
                id: row.id,
                name: "Acme LLP audit tool".to_owned()
            }
        );
        services
            .revoke_auditor_token(&other, spare.id)
            .await
            .unwrap();
        let listed = services.auditor_tokens(&other).await.unwrap();
        assert!(listed[0].revoked_at_ms.is_some(), "{}", db.name);

        let Actor::Human { id: admin_id, .. } = &admin else {
            unreachable!()
        };
        services
            .set_person_active(&other, *admin_id, false, "Left the company.")
            .await
            .unwrap();
        let refused = services.authenticate_auditor_token(&token.0).await;
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("no longer active"),
            "{}",
            db.name
        );
        services
            .set_person_active(&other, *admin_id, true, "Returned.")
            .await
            .unwrap();
        clock.advance(chrono::Duration::days(11));
        let refused = services.authenticate_auditor_token(&token.0).await;
        assert!(
            refused.unwrap_err().to_string().contains("expired"),
            "{}",
            db.name
        );
    }
}
