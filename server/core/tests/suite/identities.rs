//! The identity registry on SQLite and PostgreSQL: registration, owners and orphans, lifecycle,
//! people, and every refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use countersign_core::domain::{HumanId, Lifecycle, NhiKind, NhiState, Role};
use countersign_core::services::{IdentityFilter, RegisterNhi};
use countersign_core::{Actor, Clock, CoreError, Services};

async fn person(services: &Services, subject: &str, roles: &[Role]) -> (Actor, HumanId) {
    let actor = common::signed_in(services, subject, roles).await;
    let id = match &actor {
        Actor::Human { id, .. } => *id,
        // No role: find the person the sign-in recorded.
        _ => {
            services
                .store()
                .humans()
                .await
                .unwrap()
                .into_iter()
                .find(|h| h.email.as_deref() == Some(&format!("{subject}@example.test")))
                .unwrap()
                .id
        }
    };
    (actor, id)
}

async fn list_orphans(services: &Services, admin: &Actor) -> Vec<countersign_core::domain::Nhi> {
    let filter = IdentityFilter {
        orphaned: true,
        ..Default::default()
    };
    services.list_nhis(admin, filter).await.unwrap()
}

fn agent(name: &str, owners: Vec<HumanId>, services: &Services) -> RegisterNhi {
    RegisterNhi {
        kind: NhiKind::Agent,
        name: name.to_owned(),
        purpose: "Drafts the spring offer email from CRM segments.".to_owned(),
        owners,
        expires_at: Some(services.clock().now() + Duration::days(30)),
        model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
    }
}

#[tokio::test]
async fn a_security_admin_registers_an_agent_with_owners_and_it_is_recorded() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let (_, owner) = person(&services, "olga", &[Role::Approver]).await;
        let nhi = services
            .register_nhi(
                &admin,
                agent("spring-drafter", vec![owner, owner], &services),
            )
            .await
            .unwrap()
            .0;
        assert_eq!(nhi.owners.len(), 1, "duplicates collapse");
        assert!(!nhi.is_orphaned());

        let listed = services
            .list_nhis(&admin, IdentityFilter::default())
            .await
            .unwrap();
        assert_eq!(listed, vec![nhi.clone()], "{}", db.name);
        let events = db.store.events_page(None, 1).await.unwrap();
        assert_eq!(events[0].action, "identity.registered");
        assert!(events[0].details.contains("spring-drafter"));
    }
}

#[tokio::test]
async fn registration_refusals_name_the_problem_and_write_nothing() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let (approver, owner) = person(&services, "olga", &[Role::Approver]).await;
        services
            .register_nhi(&admin, agent("taken-name", vec![owner], &services))
            .await
            .unwrap();
        let events_before = db.store.event_count().await.unwrap();

        let now = services.clock().now();
        let cases: Vec<(RegisterNhi, &str)> = vec![
            (
                agent("Taken-Name", vec![owner], &services),
                "already exists",
            ),
            (
                agent("no-owner", vec![], &services),
                "owners: name at least one human owner",
            ),
            (
                agent("ghost-owner", vec![HumanId::new()], &services),
                "owners: no person with id",
            ),
            (
                RegisterNhi {
                    expires_at: None,
                    ..agent("no-expiry", vec![owner], &services)
                },
                "expires_at: an expiry date is required",
            ),
            (
                RegisterNhi {
                    expires_at: Some(now - Duration::days(1)),
                    ..agent("past", vec![owner], &services)
                },
                "expires_at: must be in the future",
            ),
            (
                RegisterNhi {
                    expires_at: Some(now + Duration::days(365)),
                    ..agent("too-long", vec![owner], &services)
                },
                "expires_at: must be within 90 days",
            ),
            (
                RegisterNhi {
                    model: None,
                    ..agent("modelless", vec![owner], &services)
                },
                "model: an agent needs",
            ),
            (
                agent("x", vec![owner], &services),
                "name: name must be 3 to 80",
            ),
            (
                RegisterNhi {
                    purpose: "short".into(),
                    ..agent("terse", vec![owner], &services)
                },
                "purpose:",
            ),
        ];
        for (request, expected) in cases {
            let name = request.name.clone();
            let error = services
                .register_nhi(&admin, request)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{} {name}: {error}", db.name);
        }
        assert!(matches!(
            services
                .register_nhi(&approver, agent("by-approver", vec![owner], &services))
                .await,
            Err(CoreError::Denied(_))
        ));
        assert_eq!(
            db.store.event_count().await.unwrap(),
            events_before,
            "nothing half-written"
        );
        assert_eq!(db.store.nhis(&Default::default()).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn deactivating_the_only_owner_orphans_the_identity_until_reassigned() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let (_, olga) = person(&services, "olga", &[Role::Approver]).await;
        let (_, pete) = person(&services, "pete", &[Role::Approver]).await;
        let solo = services
            .register_nhi(&admin, agent("solo-agent", vec![olga], &services))
            .await
            .unwrap()
            .0;
        let shared = services
            .register_nhi(&admin, agent("shared-agent", vec![olga, pete], &services))
            .await
            .unwrap()
            .0;

        services
            .set_person_active(&admin, olga, false, "left the company")
            .await
            .unwrap();
        let orphans = list_orphans(&services, &admin).await;
        assert_eq!(
            orphans.iter().map(|n| n.id).collect::<Vec<_>>(),
            [solo.id],
            "{}",
            db.name
        );
        assert!(!orphans[0].may_act(services.clock().now()));
        let event = &db.store.events_page(None, 1).await.unwrap()[0];
        assert_eq!(event.action, "person.deactivated");
        assert!(event.details.contains(&solo.id.reference()));
        assert!(!event.details.contains(&shared.id.reference()));

        // A deactivated person cannot be named as an owner.
        let refused = services
            .reassign_owners(&admin, &[solo.id], &[olga], "retry")
            .await;
        assert!(refused.unwrap_err().to_string().contains("deactivated"));

        let fixed = services
            .reassign_owners(
                &admin,
                &[solo.id, shared.id],
                &[pete],
                "olga left; pete takes over",
            )
            .await
            .unwrap();
        assert!(fixed.iter().all(|n| !n.is_orphaned()));
        let orphans = list_orphans(&services, &admin).await;
        assert!(orphans.is_empty());
        let by_pete = services
            .list_nhis(
                &admin,
                IdentityFilter {
                    owner: Some(pete),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(by_pete.len(), 2);
    }
}

#[tokio::test]
async fn signing_in_without_a_role_orphans_what_the_person_alone_owns() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let (_, olga) = person(&services, "olga", &[Role::Approver]).await;
        services
            .register_nhi(&admin, agent("olgas-agent", vec![olga], &services))
            .await
            .unwrap();
        person(&services, "olga", &[]).await;
        let orphans = list_orphans(&services, &admin).await;
        assert_eq!(orphans.len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn lifecycle_follows_its_rules_and_records_each_step() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let (auditor, owner) = person(&services, "ava", &[Role::Auditor]).await;
        let nhi = services
            .register_nhi(&admin, agent("cycle-agent", vec![owner], &services))
            .await
            .unwrap()
            .0;

        let suspended = services
            .change_nhi_state(&admin, nhi.id, Lifecycle::Suspend, "investigating")
            .await
            .unwrap();
        assert_eq!(suspended.state, NhiState::Suspended);
        let again = services
            .change_nhi_state(&admin, nhi.id, Lifecycle::Suspend, "twice")
            .await;
        assert!(again
            .unwrap_err()
            .to_string()
            .contains("cannot suspend an identity that is suspended"));
        services
            .change_nhi_state(&admin, nhi.id, Lifecycle::Reactivate, "cleared")
            .await
            .unwrap();
        services
            .change_nhi_state(&admin, nhi.id, Lifecycle::Revoke, "retired")
            .await
            .unwrap();
        let revived = services
            .change_nhi_state(&admin, nhi.id, Lifecycle::Reactivate, "oops")
            .await;
        assert!(revived.unwrap_err().to_string().contains("revoked"));
        let no_reason = services
            .change_nhi_state(&admin, nhi.id, Lifecycle::Revoke, " ")
            .await;
        assert!(no_reason.unwrap_err().to_string().contains("reason"));
        assert!(matches!(
            services
                .change_nhi_state(&auditor, nhi.id, Lifecycle::Suspend, "not mine")
                .await,
            Err(CoreError::Denied(_))
        ));
        assert!(matches!(
            services
                .change_nhi_state(
                    &admin,
                    countersign_core::domain::NhiId::new(),
                    Lifecycle::Suspend,
                    "ghost"
                )
                .await,
            Err(CoreError::NotFound("identity"))
        ));
        let actions: Vec<String> = db
            .store
            .events_page(None, 3)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            [
                "identity.revoked",
                "identity.reactivated",
                "identity.suspended"
            ],
            "{}",
            db.name
        );
        assert_eq!(
            db.store.nhi(nhi.id).await.unwrap().unwrap().state,
            NhiState::Revoked
        );
    }
}

#[tokio::test]
async fn expiring_and_unused_filters_find_the_right_identities() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let (_, owner) = person(&services, "olga", &[Role::Approver]).await;
        let soon = services
            .register_nhi(
                &admin,
                RegisterNhi {
                    expires_at: Some(clock.now() + Duration::days(10)),
                    ..agent("expires-soon", vec![owner], &services)
                },
            )
            .await
            .unwrap()
            .0;
        services
            .register_nhi(
                &admin,
                RegisterNhi {
                    expires_at: Some(clock.now() + Duration::days(80)),
                    ..agent("expires-later", vec![owner], &services)
                },
            )
            .await
            .unwrap();
        let expiring = services
            .list_nhis(
                &admin,
                IdentityFilter {
                    expiring_within_days: Some(30),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            expiring.iter().map(|n| n.id).collect::<Vec<_>>(),
            [soon.id],
            "{}",
            db.name
        );

        assert!(services
            .list_nhis(
                &admin,
                IdentityFilter {
                    unused_for_days: Some(90),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());
        clock.advance(Duration::days(91));
        assert_eq!(
            services
                .list_nhis(
                    &admin,
                    IdentityFilter {
                        unused_for_days: Some(90),
                        ..Default::default()
                    }
                )
                .await
                .unwrap()
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn a_pre_registered_person_can_own_identities_and_becomes_themselves_at_sign_in() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, admin_id) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let newcomer = services
            .pre_register_person(&admin, "Nia@Example.test", "Nia Newcomer")
            .await
            .unwrap();
        let nhi = services
            .register_nhi(&admin, agent("nias-agent", vec![newcomer.id], &services))
            .await
            .unwrap()
            .0;
        assert!(!nhi.is_orphaned());
        let duplicate = services
            .pre_register_person(&admin, "nia@example.test", "Nia Again")
            .await;
        assert!(duplicate.unwrap_err().to_string().contains("already known"));
        assert!(services
            .pre_register_person(&admin, "not-an-email", "X")
            .await
            .unwrap_err()
            .to_string()
            .contains("email"));

        let (_, signed_in) = person(&services, "nia", &[Role::Approver]).await;
        assert_eq!(signed_in, newcomer.id, "{}: the same person", db.name);
        assert!(services
            .set_person_active(&admin, admin_id, false, "self")
            .await
            .unwrap_err()
            .to_string()
            .contains("yourself"));
    }
}

/// Someone who sets a pre-registered person's address on an IdP account the IdP has not
/// verified does not become that person (nor own their identities).
#[tokio::test]
async fn an_unverified_email_does_not_claim_a_pre_registration() {
    use countersign_core::domain::{ExternalIdentity, RoleSet};
    use countersign_core::services::{SignIn, SignInOutcome};
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let pre = services
            .pre_register_person(&admin, "ola@example.test", "Ola Owner")
            .await
            .unwrap();
        let sign_in = |subject: &str, verified: bool| SignIn {
            identity: ExternalIdentity::new("https://idp.example.test", subject).unwrap(),
            name: Some("Claims To Be Ola".to_owned()),
            email: Some("ola@example.test".to_owned()),
            email_verified: verified,
            roles: [Role::Approver].into_iter().collect::<RoleSet>(),
            groups_seen: 1,
            reauthentication: false,
        };
        let SignInOutcome::Granted {
            actor: Actor::Human { id: impostor, .. },
        } = services.sign_in(sign_in("mallory", false)).await.unwrap()
        else {
            panic!("{}: the person signs in as themselves", db.name);
        };
        assert_ne!(
            impostor, pre.id,
            "{}: not as the pre-registered person",
            db.name
        );
        let audit = services.audit_page(&admin, None, 5).await.unwrap();
        assert!(audit.events[0]
            .details
            .contains(r#""pre_registration_link_withheld":true"#));

        let SignInOutcome::Granted {
            actor: Actor::Human { id: ola, .. },
        } = services.sign_in(sign_in("ola", true)).await.unwrap()
        else {
            panic!("{}: Ola signs in", db.name);
        };
        assert_eq!(ola, pre.id, "{}: a verified email links", db.name);
    }
}

/// The IdP did not vouch for the email, so the sign-in stayed a separate person; a security
/// admin who has checked it links the two, and from then on the person signs in as the
/// pre-registered one.
#[tokio::test]
async fn a_security_admin_links_an_unverified_sign_in_to_its_pre_registration() {
    use countersign_core::domain::{ExternalIdentity, RoleSet};
    use countersign_core::services::{SignIn, SignInOutcome};
    use countersign_core::CoreError;
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let (admin, _) = person(&services, "sam", &[Role::SecurityAdmin]).await;
        let pre = services
            .pre_register_person(&admin, "ola@example.test", "Ola Owner")
            .await
            .unwrap();
        let other_pre = services
            .pre_register_person(&admin, "someone@example.test", "Someone Else")
            .await
            .unwrap();
        let ola_signs_in = || SignIn {
            identity: ExternalIdentity::new("https://idp.example.test", "ola-7").unwrap(),
            name: Some("Ola".to_owned()),
            email: Some("ola@example.test".to_owned()),
            email_verified: false,
            roles: [Role::Approver].into_iter().collect::<RoleSet>(),
            groups_seen: 1,
            reauthentication: false,
        };
        let SignInOutcome::Granted {
            actor: Actor::Human { id: separate, .. },
        } = services.sign_in(ola_signs_in()).await.unwrap()
        else {
            panic!("{}: Ola signs in", db.name);
        };
        assert_ne!(separate, pre.id);
        let people = services.list_people(&admin).await.unwrap();
        assert_eq!(
            countersign_core::Services::link_candidates(&people)
                .get(&pre.id)
                .map(|p| p.id),
            Some(separate),
            "{}: the page can offer the link",
            db.name
        );

        let approver = common::signed_in(&services, "amy", &[Role::Approver]).await;
        assert!(matches!(
            services
                .link_sign_in(&approver, pre.id, separate, "checked by phone")
                .await,
            Err(CoreError::Denied(_))
        ));
        assert!(services
            .link_sign_in(&admin, other_pre.id, separate, "checked by phone")
            .await
            .unwrap_err()
            .to_string()
            .contains("pre-registered email"));
        clock.advance(chrono::Duration::minutes(20));
        assert!(matches!(
            services
                .link_sign_in(&admin, pre.id, separate, "checked by phone")
                .await,
            Err(CoreError::ReauthRequired(_))
        ));
        let admin = common::signed_in(&services, "sam", &[Role::SecurityAdmin]).await;
        let before = services.store().event_count().await.unwrap();
        services
            .link_sign_in(&admin, pre.id, separate, "checked by phone")
            .await
            .unwrap();
        assert_eq!(services.store().event_count().await.unwrap(), before + 1);
        assert!(
            services
                .link_sign_in(&admin, pre.id, separate, "again")
                .await
                .is_err(),
            "{}: once only",
            db.name
        );

        let SignInOutcome::Granted {
            actor: Actor::Human { id: now, .. },
        } = services.sign_in(ola_signs_in()).await.unwrap()
        else {
            panic!("{}: Ola signs in again", db.name);
        };
        assert_eq!(now, pre.id, "{}: as the pre-registered person", db.name);
        let people = services.list_people(&admin).await.unwrap();
        assert!(!people
            .iter()
            .find(|p| p.id == separate)
            .unwrap()
            .is_active());
    }
}
