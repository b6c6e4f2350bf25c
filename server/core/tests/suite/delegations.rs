//! Delegation while away on SQLite and PostgreSQL: an approver names a colleague with the same
//! role; the colleague gets the review notices for them and signs "Kim for Dana"; bad
//! delegations are refused by name (to oneself, to someone without the role, in a chain);
//! separation of duties judges the delegate in their own right; security admins see and end
//! every delegation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::gate::{another_change, complete_evidence_of, gate, sign};
use countersign_core::domain::{HumanId, Role};
use countersign_core::services::SetAway;
use countersign_core::{Actor, CoreError};

fn id_of(actor: &Actor) -> HumanId {
    match actor {
        Actor::Human { id, .. } => *id,
        _ => panic!("a person"),
    }
}

fn field_of(error: CoreError) -> String {
    match error {
        CoreError::Invalid { field, problem } => format!("{field}: {problem}"),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn a_delegate_hears_for_and_signs_for_an_away_approver_and_nothing_chains() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let g = gate(&services, &db).await;
        let admin = g.session.chain.admin.clone();
        let kim = common::signed_in(&services, "kim", &[Role::Approver]).await;
        let dana = g.both.clone();
        let now = services.clock().now();
        let away = |delegate: &Actor, role| SetAway {
            role,
            delegate: id_of(delegate),
            from: now,
            until: now + Duration::days(2),
            reason: "Holiday in the mountains".to_owned(),
        };

        // Bad delegations, each refused by name, nothing written.
        let events = db.store.event_count().await.unwrap();
        for (who, input, expected) in [
            (
                &dana,
                away(&dana, Role::Approver),
                "delegate: you cannot delegate to yourself",
            ),
            (
                &dana,
                away(&g.legal, Role::Approver),
                "does not hold the Approver role",
            ),
            (
                &kim,
                away(&g.approver, Role::Legal),
                "role: you do not hold the Legal reviewer role",
            ),
            (
                &dana,
                SetAway {
                    until: now - Duration::hours(1),
                    ..away(&kim, Role::Approver)
                },
                "period: the period must end after it starts",
            ),
        ] {
            let error = field_of(services.set_away(who, input).await.unwrap_err());
            assert!(error.contains(expected), "{error} ({})", db.name);
        }
        assert!(matches!(
            services
                .set_away(&g.session.chain.admin, away(&kim, Role::Approver))
                .await,
            Err(CoreError::Denied(_))
        ));
        assert_eq!(db.store.event_count().await.unwrap(), events);

        // Dana is away as approver; Kim stands in.
        let delegation = services
            .set_away(&dana, away(&kim, Role::Approver))
            .await
            .unwrap();
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "delegation.set", "{}", db.name);
        // No chains: Kim cannot go away while standing in, and nobody can delegate to Dana.
        let chained = field_of(
            services
                .set_away(&kim, away(&g.approver, Role::Approver))
                .await
                .unwrap_err(),
        );
        assert!(chained.contains("delegation cannot chain"), "{chained}");
        let to_away = field_of(
            services
                .set_away(&g.approver, away(&dana, Role::Approver))
                .await
                .unwrap_err(),
        );
        assert!(to_away.contains("delegation cannot chain"), "{to_away}");
        assert!(matches!(
            services
                .set_away(&dana, away(&g.approver, Role::Approver))
                .await,
            Err(CoreError::Conflict(_))
        ));

        // A new change: Kim hears it for Dana (and in her own right); Dana keeps only what her
        // legal role needs of her.
        let change = another_change(&services, &g, "campaigns/away").await;
        let kims = services.inbox(&kim, false, None).await.unwrap().items;
        assert_eq!(kims.len(), 2, "{kims:?}");
        assert_eq!(
            kims.iter()
                .filter_map(|i| i.on_behalf_of.clone())
                .collect::<Vec<_>>(),
            ["Person dana"]
        );
        let danas = services.inbox(&dana, false, None).await.unwrap().items;
        assert!(danas.iter().all(|i| i.on_behalf_of.is_none()));

        // Kim signs for Dana: both names are recorded, and it is Kim's approval.
        complete_evidence_of(&services, &g, &change.id).await;
        let hash = change.current_hash.clone();
        let outcome = services
            .sign_off_for(
                &kim,
                &change.id,
                sign("approver", "approve", "Covering for Dana.", &hash),
                Some(id_of(&dana)),
            )
            .await
            .unwrap();
        assert_eq!(outcome.signoff.signer, id_of(&kim));
        assert_eq!(
            outcome
                .signoff
                .on_behalf_of
                .as_ref()
                .map(|(_, n)| n.as_str()),
            Some("Person dana")
        );
        let signed = db
            .store
            .events_page(None, 5)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "change.signed_off")
            .unwrap();
        assert!(
            signed.details.contains("\"name\":\"Person dana\""),
            "{}",
            signed.details
        );
        let stored = db.store.signoffs(&change.id).await.unwrap();
        assert_eq!(stored[0].on_behalf_of, outcome.signoff.on_behalf_of);

        // Dana cannot sign the same version again as approver; someone who does not stand in
        // for her cannot sign for her.
        assert!(matches!(
            services
                .sign_off(&dana, &change.id, sign("approver", "approve", "", &hash))
                .await,
            Err(CoreError::Conflict(_))
        ));
        assert!(matches!(
            services
                .sign_off_for(
                    &g.approver,
                    &change.id,
                    sign("approver", "approve", "", &hash),
                    Some(id_of(&dana))
                )
                .await,
            Err(CoreError::Refused(_))
        ));

        // Security admins see every delegation and may end it; others may not.
        let overview = services.away_overview(&admin).await.unwrap();
        assert_eq!(overview.all.as_ref().map(Vec::len), Some(1));
        assert!(services.away_overview(&kim).await.unwrap().all.is_none());
        assert_eq!(
            services
                .away_overview(&kim)
                .await
                .unwrap()
                .standing_in_for
                .len(),
            1
        );
        assert!(matches!(
            services.end_away(&g.approver, &delegation.id).await,
            Err(CoreError::Denied(_))
        ));
        services.end_away(&admin, &delegation.id).await.unwrap();
        assert_eq!(
            db.store.events_page(None, 1).await.unwrap()[0].action,
            "delegation.ended"
        );
        let other = another_change(&services, &g, "campaigns/back").await;
        complete_evidence_of(&services, &g, &other.id).await;
        clock.advance(Duration::minutes(1));
        assert!(matches!(
            services
                .sign_off_for(
                    &kim,
                    &other.id,
                    sign("approver", "approve", "", &other.current_hash),
                    Some(id_of(&dana))
                )
                .await,
            Err(CoreError::Refused(_))
        ));
    }
}

#[tokio::test]
async fn separation_of_duties_judges_the_delegate_in_their_own_right() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        // Olga owns the drafting identity: she may stand in for Amy, but not sign this change.
        let now = services.clock().now();
        services
            .set_away(
                &g.approver,
                SetAway {
                    role: Role::Approver,
                    delegate: id_of(&g.owner),
                    from: now,
                    until: now + Duration::days(1),
                    reason: "Parental leave".to_owned(),
                },
            )
            .await
            .unwrap();
        let change = another_change(&services, &g, "campaigns/duties").await;
        // Amy's notice is not redirected to someone kept from signing: Amy keeps it.
        let amys = services
            .inbox(&g.approver, false, None)
            .await
            .unwrap()
            .items;
        assert!(
            amys.iter().any(|i| i.title.contains("campaigns/duties")),
            "{}",
            db.name
        );
        assert!(services
            .inbox(&g.owner, false, None)
            .await
            .unwrap()
            .items
            .iter()
            .all(|i| !i.title.contains("campaigns/duties")));
        complete_evidence_of(&services, &g, &change.id).await;
        let refused = services
            .sign_off_for(
                &g.owner,
                &change.id,
                sign("approver", "approve", "", &change.current_hash),
                Some(id_of(&g.approver)),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, CoreError::Denied(_) | CoreError::Refused(_)),
            "{refused:?}"
        );
    }
}
