//! Pre-approved templates on SQLite and PostgreSQL: approved once by the tier's quorum (never by
//! whoever proposed it), a fill within every constraint approved by policy with the ledger's
//! record of who approved the template, every broken constraint and every tier limit sent to
//! people with the reason named, and a withdrawal that stops a queued publication.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::drafting::{decide, draft, provenance};
use common::gate::gate;
use common::signed_in;
use common::templates::{draft_under, fill, proposal, with_tiers};
use countersign_core::domain::{ChangeStatus, Role, TemplateState};
use countersign_core::CoreError;

fn field_of(error: &CoreError) -> String {
    match error {
        CoreError::Invalid { field, .. } => field.to_string(),
        other => format!("not invalid: {other}"),
    }
}

#[tokio::test]
async fn a_template_approved_by_its_quorum_lets_policy_approve_a_fill_within_it() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let services = with_tiers(services, "1,2");
        let g = gate(&services, &db).await;
        let tier = g.session.workflow.tier.number();

        // Proposing: reviewers only, every constraint satisfiable, nothing written otherwise.
        let auditor = signed_in(&services, "audra", &[Role::Auditor]).await;
        let before = db.store.event_count().await.unwrap();
        assert!(matches!(
            services.propose_template(&auditor, proposal(&g)).await,
            Err(CoreError::Denied(_))
        ));
        let mut unsatisfiable = proposal(&g);
        unsatisfiable.slots[1].pattern = "[A-Z]{30}".into();
        let refused = services
            .propose_template(&g.approver, unsatisfiable)
            .await
            .unwrap_err();
        assert_eq!(field_of(&refused), "slots[1].pattern", "{refused}");
        let mut bad_value = proposal(&g);
        bad_value.slots[0]
            .allowed
            .push("Berlin <b>Mitte</b>".into());
        let refused = services
            .propose_template(&g.approver, bad_value)
            .await
            .unwrap_err();
        assert_eq!(field_of(&refused), "slots[0].allowed[2]", "{refused}");
        assert_eq!(db.store.event_count().await.unwrap(), before);

        let template = services
            .propose_template(&g.approver, proposal(&g))
            .await
            .unwrap();
        assert_eq!(
            (template.state, template.tier),
            (TemplateState::Proposed, tier)
        );

        // While only proposed, a draft under it goes to people, and says why.
        let early = draft_under(
            &services,
            &g,
            fill(&template.id, "Berlin", "Saturday", "See you."),
        )
        .await;
        assert_eq!(early.status, ChangeStatus::PendingReview, "{}", db.name);
        let used = db.store.template_use(&early.id).await.unwrap().unwrap();
        assert!(!used.pre_approved);
        assert!(
            used.problems.iter().any(|p| p.contains("is proposed")),
            "{:?}",
            used.problems
        );

        // The page offers signing exactly where the command would allow it.
        let mine = services
            .template_detail(&g.approver, &template.id)
            .await
            .unwrap();
        assert!(mine.sign_as.is_empty());
        assert!(mine
            .cannot_sign
            .unwrap()
            .contains("someone else approves it"));
        let theirs = services
            .template_detail(&g.legal, &template.id)
            .await
            .unwrap();
        assert_eq!(theirs.sign_as, [Role::Legal]);
        assert!(theirs.may_withdraw);
        // Its tier's quorum approves it; whoever proposed it does not count.
        let own = services
            .sign_template(
                &g.approver,
                &template.id,
                "approver",
                true,
                "",
                &template.hash,
            )
            .await
            .unwrap_err();
        assert!(
            own.to_string().contains("someone else approves it"),
            "{own}"
        );
        let stale = services
            .sign_template(&g.owner, &template.id, "approver", true, "", "sha256:old")
            .await
            .unwrap_err();
        assert!(matches!(stale, CoreError::Conflict(_)), "{stale:?}");
        let half = services
            .sign_template(&g.owner, &template.id, "approver", true, "", &template.hash)
            .await
            .unwrap();
        assert_eq!(half.state, TemplateState::Proposed);
        let approved = services
            .sign_template(
                &g.legal,
                &template.id,
                "legal",
                true,
                "Claims reviewed.",
                &template.hash,
            )
            .await
            .unwrap();
        assert_eq!(approved.state, TemplateState::Approved, "{}", db.name);
        assert_eq!(approved.approved_by, ["Person olga", "Person lee"]);

        // A fill within every constraint: approved by policy, its publication queued, recorded.
        let change = draft_under(
            &services,
            &g,
            fill(&template.id, "Berlin", "Saturday", "See you there."),
        )
        .await;
        assert_eq!(change.status, ChangeStatus::Approved, "{}", db.name);
        let stored = db.store.change(&change.id).await.unwrap().unwrap();
        assert!(stored.has_rollback_plan);
        assert_eq!(stored.open_claims, 0);
        let queued = db.store.effects_of_change(&change.id).await.unwrap();
        assert_eq!(queued.len(), 1);
        let versions = db.store.change_versions(&change.id).await.unwrap();
        assert_eq!(
            versions[0].content.text,
            "Hello {first_name}, our Berlin store opens on Saturday. See you there."
        );
        let events = db.store.events_page(None, 12).await.unwrap();
        let record = events
            .iter()
            .find(|e| e.action == "change.pre_approved")
            .unwrap();
        for part in [
            "\"template_name\":\"Store opening reminder\"",
            "\"approved_by\":[\"Person olga\",\"Person lee\"]",
            "\"approved_on\":\"2026-11-26\"",
            "\"city\":\"Berlin\"",
        ] {
            assert!(
                record.details.contains(part),
                "{part} in {}",
                record.details
            );
        }
        let spot = services
            .pre_approved_recently(&g.approver, 7)
            .await
            .unwrap();
        assert_eq!(spot.len(), 1);
        assert_eq!(spot[0].change_id, change.id);
        let detail = services
            .template_detail(&g.legal, &template.id)
            .await
            .unwrap();
        assert_eq!(detail.changes.len(), 2, "every change drafted under it");

        // Outside the template: each goes to people with what broke named.
        for (city, day, note, broke) in [
            (
                "Munich",
                "Saturday",
                "See you.",
                "is not one of Berlin, Hamburg",
            ),
            ("Berlin", "Someday", "See you.", "does not match"),
            (
                "Berlin",
                "Saturday",
                "Now 50% off everything.",
                "must hold no claims",
            ),
            ("Berlin", "Saturday", "**Big** news", "markup"),
        ] {
            let sent = draft_under(&services, &g, fill(&template.id, city, day, note)).await;
            assert_eq!(sent.status, ChangeStatus::PendingReview, "{broke}");
            let used = db.store.template_use(&sent.id).await.unwrap().unwrap();
            assert!(
                used.problems.iter().any(|p| p.contains(broke)),
                "{}: {broke}: {:?}",
                db.name,
                used.problems
            );
            let view = services.gate_view(&g.approver, &sent.id).await.unwrap();
            assert!(view.template_use.is_some_and(|u| !u.pre_approved));
        }
        // Content of its own beside the template: people.
        let decision = decide(&services, &g.session.drafter).await;
        let mut own_words = draft(&g.session, provenance(&[&decision], &[]));
        own_words.template = Some(fill(&template.id, "Berlin", "Saturday", "See you."));
        let sent = services
            .submit_draft(&g.session.drafter, own_words)
            .await
            .unwrap();
        assert_eq!(sent.status, ChangeStatus::PendingReview);
        let used = db.store.template_use(&sent.id).await.unwrap().unwrap();
        assert!(used
            .problems
            .iter()
            .any(|p| p.contains("not the template's text")));

        // A template that does not exist, or a variant set under one, is refused outright.
        let decision = decide(&services, &g.session.drafter).await;
        let mut unknown = draft(&g.session, provenance(&[&decision], &[]));
        unknown.template = Some(fill("no-such-template", "Berlin", "Saturday", "Hi."));
        let refused = services
            .submit_draft(&g.session.drafter, unknown)
            .await
            .unwrap_err();
        assert_eq!(field_of(&refused), "template.id");
    }
}

#[tokio::test]
async fn tier_limits_and_a_withdrawal_mid_flight_keep_policy_from_publishing() {
    for db in common::both().await {
        let (base, _) = common::services(&db);
        let services = with_tiers(base.clone(), "1,2");
        let g = gate(&services, &db).await;
        let template = services
            .propose_template(&g.approver, proposal(&g))
            .await
            .unwrap();
        for (who, role) in [(&g.owner, "approver"), (&g.legal, "legal")] {
            services
                .sign_template(who, &template.id, role, true, "", &template.hash)
                .await
                .unwrap();
        }

        // The operator allows tier 1 only: the same fill goes to people.
        let tier_one_only = with_tiers(base.clone(), "1");
        let sent = draft_under(
            &tier_one_only,
            &g,
            fill(&template.id, "Hamburg", "Monday", "Hi."),
        )
        .await;
        assert_eq!(sent.status, ChangeStatus::PendingReview, "{}", db.name);
        let used = db.store.template_use(&sent.id).await.unwrap().unwrap();
        assert!(
            used.problems
                .iter()
                .any(|p| p.contains("allows pre-approval for tier 1")),
            "{:?}",
            used.problems
        );

        // Approved and queued, then the template is withdrawn before the delivery: refused.
        let queued = draft_under(
            &services,
            &g,
            fill(&template.id, "Hamburg", "Monday", "Hi."),
        )
        .await;
        assert_eq!(queued.status, ChangeStatus::Approved);
        let short = services
            .withdraw_template(&g.legal, &template.id, "no")
            .await
            .unwrap_err();
        assert_eq!(field_of(&short), "reason");
        services
            .withdraw_template(&g.legal, &template.id, "The Hamburg store stays closed.")
            .await
            .unwrap();
        services.deliver_due_effects().await.unwrap();
        let after = db.store.change(&queued.id).await.unwrap().unwrap();
        assert_eq!(after.status, ChangeStatus::PublishFailed, "{}", db.name);
        let effect = db
            .store
            .effects_of_change(&queued.id)
            .await
            .unwrap()
            .remove(0);
        assert!(
            effect
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("withdrawn"),
            "{:?}",
            effect.last_error
        );

        // And no draft is approved under it any more.
        let late = draft_under(
            &services,
            &g,
            fill(&template.id, "Hamburg", "Monday", "Hi."),
        )
        .await;
        assert_eq!(late.status, ChangeStatus::PendingReview);
        let twice = services
            .withdraw_template(&g.legal, &template.id, "Withdrawn twice.")
            .await
            .unwrap_err();
        assert!(matches!(twice, CoreError::Conflict(_)));
    }
}
