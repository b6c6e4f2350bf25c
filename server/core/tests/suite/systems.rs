//! Connected systems on SQLite and PostgreSQL: registration, fields, secrets shown once and
//! rotated, and every refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use countersign_core::domain::{FieldCategory, Role};
use countersign_core::services::RegisterSystem;
use countersign_core::CoreError;

fn campaign_system() -> RegisterSystem {
    RegisterSystem {
        name: "Campaign Manager".to_owned(),
        kind: "campaign".to_owned(),
        base_url: "https://campaigns.example.com/".to_owned(),
        fields: "email:contact\nfirst_name:contact\nlast_purchase:behavioural\n".to_owned(),
    }
}

#[tokio::test]
async fn a_system_is_registered_with_its_fields_and_its_secret_is_shown_once() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let admin = common::signed_in(&services, "sam", &[Role::SecurityAdmin]).await;
        let (system, secret) = services
            .register_system(&admin, campaign_system())
            .await
            .unwrap();
        assert!(secret.0.starts_with("whsec_"));
        assert_eq!(system.base_url, "https://campaigns.example.com");
        assert_eq!(system.fields[2].category, FieldCategory::Behavioural);

        let listed = services.list_systems(&admin).await.unwrap();
        assert_eq!(listed, vec![system.clone()], "{}", db.name);
        // The secret is stored sealed, never in clear, and the connector can still use it.
        let sealed = db.store.system_secret(system.id).await.unwrap().unwrap();
        assert!(!sealed.contains(&secret.0[6..]));
        assert_eq!(
            services.signing_secret(system.id).await.unwrap(),
            Some(secret.0.clone())
        );
        let event = &db.store.events_page(None, 1).await.unwrap()[0];
        assert_eq!(event.action, "system.registered");
        assert!(
            !event.details.contains(&secret.0[6..]),
            "secrets never enter the ledger"
        );

        let (rotated, fresh) = services
            .rotate_system_secret(&admin, system.id, "quarterly rotation")
            .await
            .unwrap();
        assert_eq!(rotated.secret_version, 2);
        assert_ne!(fresh, secret);
        assert_eq!(
            services.signing_secret(system.id).await.unwrap(),
            Some(fresh.0)
        );
    }
}

#[tokio::test]
async fn bad_systems_are_refused_with_the_reason_and_nothing_is_written() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let admin = common::signed_in(&services, "sam", &[Role::SecurityAdmin]).await;
        let approver = common::signed_in(&services, "amy", &[Role::Approver]).await;
        services
            .register_system(&admin, campaign_system())
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let cases = [
            (
                RegisterSystem {
                    name: "campaign manager".into(),
                    ..campaign_system()
                },
                "already exists",
            ),
            (
                RegisterSystem {
                    name: "CRM".into(),
                    kind: "erp".into(),
                    ..campaign_system()
                },
                "kind: unknown kind `erp`",
            ),
            (
                RegisterSystem {
                    name: "CRM".into(),
                    base_url: "http://crm.example.com".into(),
                    ..campaign_system()
                },
                "base_url: base URL must use https",
            ),
            (
                RegisterSystem {
                    name: "CRM".into(),
                    fields: "email:contact\nemail:contact".into(),
                    ..campaign_system()
                },
                "fields: field `email` is listed twice",
            ),
            (
                RegisterSystem {
                    name: "CRM".into(),
                    fields: "Email Address:contact".into(),
                    ..campaign_system()
                },
                "fields: field `Email Address`",
            ),
        ];
        for (request, expected) in cases {
            let error = services
                .register_system(&admin, request)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{}: {error}", db.name);
        }
        assert!(matches!(
            services
                .register_system(
                    &approver,
                    RegisterSystem {
                        name: "CRM".into(),
                        ..campaign_system()
                    }
                )
                .await,
            Err(CoreError::Denied(_))
        ));
        assert_eq!(db.store.event_count().await.unwrap(), before);
        assert_eq!(db.store.systems().await.unwrap().len(), 1);
    }
}
