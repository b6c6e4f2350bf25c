//! Gate integrity on SQLite and PostgreSQL, tried as an attacker would: state re-checked where
//! it is written (a draft racing the kill switch, a sign-off and a publication after suspension,
//! a publish row nobody approved), separation of duties complete (former owners, secret issuers,
//! the registrar, a widening's author), callbacks fixed at approval, consent within the step's
//! purposes. Every refusal names its rule and leaves the ledger as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::drafting::{decide, draft, provenance};
use common::gate::{approve, complete_evidence, gate, sign};
use countersign_core::domain::{
    ChangeStatus, Effect, EffectKind, GrantAction, Lifecycle, OutboxState, Role,
};
use countersign_core::ledger::NewEvent;
use countersign_core::services::{AccessRequest, ConsentInput, RevokeInput};
use countersign_core::{Actor, CoreError};

fn human_id(actor: &Actor) -> countersign_core::domain::HumanId {
    match actor {
        Actor::Human { id, .. } => *id,
        _ => panic!("not a person"),
    }
}

/// A new version of `change` from the session's drafter, citing a fresh decision.
async fn revise(
    services: &countersign_core::Services,
    g: &common::gate::Gate,
    change: &str,
    content: String,
    format: &str,
) -> (countersign_core::domain::ChangeRequest, String) {
    let decision = decide(services, &g.session.drafter).await;
    services
        .submit_version(
            &g.session.drafter,
            change,
            countersign_core::services::VersionInput {
                content,
                format: format.into(),
                variants: None,
                provenance: provenance(&[&decision], &["email"]),
            },
        )
        .await
        .unwrap()
}

/// Asserts a refusal names `rule` (or `words`) and that the ledger did not move.
async fn refused_with_nothing_written<T: std::fmt::Debug>(
    db: &common::TestDb,
    before: i64,
    result: Result<T, CoreError>,
    words: &str,
) {
    let error = result.expect_err("must be refused");
    assert!(
        error.to_string().contains(words),
        "{}: expected `{words}` in `{error}`",
        db.name
    );
    assert_eq!(
        db.store.event_count().await.unwrap(),
        before,
        "{}: a refusal wrote to the ledger",
        db.name
    );
}

#[tokio::test]
async fn a_draft_in_flight_when_the_kill_switch_is_pulled_does_not_land() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        // The drafter's token was checked before the kill switch committed (the request is in
        // flight); the write must see the revoked workflow.
        let decision = decide(&services, &g.session.drafter).await;
        services
            .revoke_workflow(
                &g.session.chain.admin,
                g.session.workflow.id,
                RevokeInput {
                    reason: "Leaked campaign list".into(),
                    ..RevokeInput::default()
                },
            )
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let result = services
            .submit_draft(
                &g.session.drafter,
                draft(&g.session, provenance(&[&decision], &["email"])),
            )
            .await;
        refused_with_nothing_written(&db, before, result, "(workflow-is-active)").await;
        // Nor can a new version land on the (cancelled) change.
        let version = services
            .submit_version(
                &g.session.drafter,
                &g.change.id,
                countersign_core::services::VersionInput {
                    content: "Spring is here.".into(),
                    format: "markdown".into(),
                    variants: None,
                    provenance: provenance(&[], &[]),
                },
            )
            .await;
        assert!(version.is_err(), "{}", db.name);
        assert_eq!(db.store.event_count().await.unwrap(), before, "{}", db.name);
    }
}

#[tokio::test]
async fn a_suspended_identitys_change_is_neither_signed_nor_published() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        complete_evidence(&services, &g).await;
        let admin = &g.session.chain.admin;
        services
            .change_nhi_state(
                admin,
                g.session.chain.drafter,
                Lifecycle::Suspend,
                "Behaving oddly",
            )
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let result = services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &g.change.current_hash),
            )
            .await;
        refused_with_nothing_written(&db, before, result, "(drafting-identity-is-usable)").await;

        // Approved while active, suspended before delivery: the worker refuses to publish.
        services
            .change_nhi_state(
                admin,
                g.session.chain.drafter,
                Lifecycle::Reactivate,
                "Checked",
            )
            .await
            .unwrap();
        approve(&services, &g, &g.change).await;
        services
            .change_nhi_state(
                admin,
                g.session.chain.drafter,
                Lifecycle::Suspend,
                "Behaving oddly again",
            )
            .await
            .unwrap();
        services.deliver_due_effects().await.unwrap();
        let change = db.store.change(&g.change.id).await.unwrap().unwrap();
        assert_eq!(change.status, ChangeStatus::PublishFailed, "{}", db.name);
        let effects = db.store.effects_of_change(&g.change.id).await.unwrap();
        let publish = effects
            .iter()
            .find(|e| e.kind == EffectKind::Publish)
            .unwrap();
        assert_eq!(publish.state, OutboxState::Dead, "{}", db.name);
        assert!(
            publish
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("drafting-identity-is-usable"),
            "{}: {:?}",
            db.name,
            publish.last_error
        );
        // Refused because state moved on since the approval: recorded, not flagged as a bypass.
        let events = db.store.events_page(None, 10).await.unwrap();
        let blocked = events
            .iter()
            .find(|e| e.action == "change.publish_blocked")
            .expect("the refusal is in the ledger");
        assert!(
            !blocked
                .details
                .contains(countersign_core::services::GATE_BYPASS_SIGNAL),
            "{}: {}",
            db.name,
            blocked.details
        );
    }
}

#[tokio::test]
async fn a_publish_row_without_a_quorum_is_dead_lettered_and_flagged_never_sent() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        // An attacker with a write path into the outbox queues a publication nobody approved.
        let version = db.store.change_versions(&g.change.id).await.unwrap();
        let text = version[0].content.text.clone();
        let body = serde_json::json!({
            "type": "publish",
            "idempotency_key": "pub_forged0000000000000000000000",
            "change_id": g.change.id,
            "target": { "reference": "campaigns/spring-2027" },
            "content": {
                "media_type": "text/markdown",
                "body": text,
                "sha256": g.change.current_hash.trim_start_matches("sha256:"),
            },
            "dry_run": false,
        });
        let mut effect = Effect::queued(
            EffectKind::Publish,
            "https://campaigns.example.com".to_owned(),
            &body,
            "forged",
            &Actor::System,
            services.clock().now(),
        );
        effect.system = Some(g.session.chain.crm);
        effect.workflow = Some(g.session.workflow.id);
        effect.change_id = Some(g.change.id.clone());
        let mut tx = db.store.begin_write(0).await.unwrap();
        tx.insert_effect(&effect).await.unwrap();
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "test.forged",
            "console".to_owned(),
            serde_json::json!({}),
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();

        services.deliver_due_effects().await.unwrap();
        let stored = db.store.effect(&effect.id).await.unwrap().unwrap();
        assert_eq!(stored.state, OutboxState::Dead, "{}", db.name);
        let error = stored.last_error.unwrap_or_default();
        assert!(error.contains("publish-needs-a-met-quorum"), "{error}");
        assert!(stored.receipt.is_none(), "{}: it was sent", db.name);
        let events = db.store.events_page(None, 5).await.unwrap();
        assert!(
            events.iter().any(|e| e.action == "change.publish_blocked"
                && e.details
                    .contains(countersign_core::services::GATE_BYPASS_SIGNAL)),
            "{}: a publication nobody approved is flagged",
            db.name
        );
    }
}

#[tokio::test]
async fn everyone_who_could_have_shaped_the_draft_is_refused_with_their_reason() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        complete_evidence(&services, &g).await;
        let admin = g.session.chain.admin.clone();
        let hash = g.change.current_hash.clone();
        let drafter = g.session.chain.drafter;

        // An owner removes herself, intending to sign and come back: she owned it since the
        // change's first version, so she stays excluded.
        let stand_in = common::signed_in(&services, "stan", &[Role::Legal]).await;
        services
            .reassign_owners(&admin, &[drafter], &[human_id(&stand_in)], "Olga on leave")
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let result = services
            .sign_off(
                &g.owner,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await;
        refused_with_nothing_written(&db, before, result, "you owned offer-drafter after").await;

        // Someone who issued the identity a new secret could act as it.
        let issuer =
            common::signed_in(&services, "ivy", &[Role::SecurityAdmin, Role::Approver]).await;
        services
            .rotate_client_secret(&issuer, drafter)
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let result = services
            .sign_off(
                &issuer,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await;
        refused_with_nothing_written(&db, before, result, "you issued a client secret").await;

        // The person who registered it.
        let registrar =
            common::signed_in(&services, "sam", &[Role::SecurityAdmin, Role::Approver]).await;
        let before = db.store.event_count().await.unwrap();
        let result = services
            .sign_off(
                &registrar,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await;
        refused_with_nothing_written(&db, before, result, "you registered offer-drafter").await;

        // The page says why, for each excluded person.
        let view = services.gate_view(&g.approver, &g.change.id).await.unwrap();
        for (person, words) in [
            (human_id(&g.owner), "you owned"),
            (human_id(&issuer), "client secret"),
            (human_id(&registrar), "you registered"),
            (human_id(&stand_in), "you own offer-drafter"),
        ] {
            let reason = view
                .excluded
                .iter()
                .find(|e| e.person == person)
                .map(|e| e.reason.as_str())
                .unwrap_or_default();
            assert!(reason.contains(words), "{}: {reason}", db.name);
        }

        // A reviewer who never touched it signs as before.
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_widening_is_approved_by_a_second_security_admin_only() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        let admin = g.session.chain.admin.clone();
        let workflow = &g.session.workflow;
        let mut wider = workflow.steps[0].grant.clone();
        wider.fields.insert("income".to_owned());
        let (_, outcome) = services
            .change_step_grant(&admin, workflow.id, workflow.steps[0].id, wider)
            .await
            .unwrap();
        assert_eq!(
            format!("{outcome:?}"),
            "AwaitingReview",
            "{}: reading financial data raises the tier",
            db.name
        );
        let before = db.store.event_count().await.unwrap();
        let result = services
            .review_widening(&admin, workflow.id, true, "Looks fine to me")
            .await;
        refused_with_nothing_written(
            &db,
            before,
            result,
            "(widenings-need-a-second-security-admin)",
        )
        .await;
        let second = common::signed_in(&services, "sid", &[Role::SecurityAdmin]).await;
        services
            .review_widening(&second, workflow.id, true, "Needed for the income segment")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_callback_cannot_be_replaced_after_approval() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        services
            .register_callback(
                &g.session.drafter,
                &g.change.id,
                "https://agent.example.com/cb",
            )
            .await
            .unwrap();
        approve(&services, &g, &g.change).await;
        let before = db.store.event_count().await.unwrap();
        let result = services
            .register_callback(
                &g.session.drafter,
                &g.change.id,
                "https://attacker.example.net/cb",
            )
            .await;
        refused_with_nothing_written(&db, before, result, "(callbacks-are-fixed-before-approval)")
            .await;
        let change = db.store.change(&g.change.id).await.unwrap().unwrap();
        assert_eq!(
            change.callback_url.as_deref(),
            Some("https://agent.example.com/cb"),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn consent_is_recorded_and_told_only_within_the_steps_purposes() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        let admin = g.session.chain.admin.clone();
        let workflow = &g.session.workflow;
        let mut grant = workflow.steps[0].grant.clone();
        grant.actions.insert(GrantAction::RecordConsent);
        services
            .change_step_grant(&admin, workflow.id, workflow.steps[0].id, grant)
            .await
            .unwrap();
        let token = services
            .issue_token(
                &g.session.chain.reader.to_string(),
                &g.session.chain.reader_secret,
                Some(&format!("step:{}", workflow.steps[0].id)),
            )
            .await
            .unwrap();
        let reader = services
            .authenticate_token(&token.access_token.0)
            .await
            .unwrap();
        let record = |purpose: &str| ConsentInput {
            subject: "crm-7".into(),
            purpose: purpose.into(),
            legal_basis: "consent".into(),
            granted_at: Some(services.clock().now() - chrono::Duration::days(30)),
            withdrawn_at: None,
            source: "crm".into(),
        };
        let before = db.store.event_count().await.unwrap();
        let result = services
            .record_consents(
                &reader,
                vec![record("spring_offer"), record("loyalty_programme")],
            )
            .await;
        refused_with_nothing_written(&db, before, result, "(consent-only-for-the-steps-purposes)")
            .await;
        services
            .record_consents(&reader, vec![record("spring_offer")])
            .await
            .unwrap();

        // A purpose the step may not read for learns nothing of anyone's consent.
        let answer = services
            .decide_access(
                &reader,
                AccessRequest {
                    purpose: "loyalty_programme".into(),
                    fields: vec!["email".into()],
                    subjects: vec!["crm-1".into(), "crm-7".into()],
                },
            )
            .await
            .unwrap();
        assert!(answer.allowed_subjects.is_empty(), "{}", db.name);
        assert!(
            answer
                .denied_subjects
                .iter()
                .all(|s| s.reason == "no_field_allowed"),
            "{}: {:?}",
            db.name,
            answer.denied_subjects
        );
    }
}

#[tokio::test]
async fn the_kill_switch_stays_with_roles_that_act() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        // Olga owns the workflow; as an auditor only, she reads and revokes nothing.
        let auditor_owner = common::signed_in(&services, "olga", &[Role::Auditor]).await;
        let before = db.store.event_count().await.unwrap();
        let result = services
            .revoke_workflow(
                &auditor_owner,
                g.session.workflow.id,
                RevokeInput {
                    reason: "I own it".into(),
                    ..RevokeInput::default()
                },
            )
            .await;
        refused_with_nothing_written(&db, before, result, "").await;
    }
}

#[tokio::test]
async fn review_figures_are_what_the_server_served_not_what_a_browser_says() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let g = gate(&services, &db).await;
        // A long second version: the page carries its start; the rest is served on request.
        let long = format!(
            "Spring is here.\n\n{}",
            "Our spring range arrives in every store this week. ".repeat(60)
        );
        let (change, hash) = revise(&services, &g, &g.change.id, long, "markdown").await;
        let page = services.gate_view(&g.approver, &change.id).await.unwrap();
        assert!(!page.text_complete, "{}", db.name);
        assert!(page.has_diff);
        clock.advance(chrono::Duration::seconds(3));
        let quick = services
            .sign_off(
                &g.approver,
                &change.id,
                sign("approver", "request_changes", "Shorter, please.", &hash),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                quick.signoff.quality.opened_full_content,
                quick.signoff.quality.viewed_diff,
                quick.signoff.quality.dwell_ms
            ),
            (false, false, 3_000),
            "{}",
            db.name
        );

        // Another reviewer asks for the whole text and the diff before deciding.
        let calm = format!("Spring.\n\n{}", "A calm spring offer. ".repeat(150));
        let (change, hash) = revise(&services, &g, &g.change.id, calm, "markdown").await;
        services.gate_view(&g.both, &change.id).await.unwrap();
        clock.advance(chrono::Duration::seconds(20));
        let whole = services
            .full_review_text(&g.both, &change.id, change.current_version)
            .await
            .unwrap();
        assert!(whole.ends_with("spring offer."), "{}", db.name);
        let diff = services.review_diff(&g.both, &change.id).await.unwrap();
        assert!(!diff.is_empty());
        clock.advance(chrono::Duration::seconds(40));
        let careful = services
            .sign_off(
                &g.both,
                &change.id,
                sign(
                    "approver",
                    "request_changes",
                    "Cite the price sheet.",
                    &hash,
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                careful.signoff.quality.opened_full_content,
                careful.signoff.quality.viewed_diff,
                careful.signoff.quality.dwell_ms
            ),
            (true, true, 60_000),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn what_the_reviewer_sees_is_what_is_signed_is_what_is_published() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        let admin = g.session.chain.admin.clone();
        services
            .set_content_hosts(
                &admin,
                g.session.chain.crm,
                "www.example.com\n*.cdn.example.com",
            )
            .await
            .unwrap();
        let decision = decide(&services, &g.session.drafter).await;
        let html = |content: &str| {
            let mut input = draft(&g.session, provenance(&[&decision], &["email"]));
            input.content = content.to_owned();
            input.format = "html".into();
            input
        };

        // Hidden handlers and remote media: refused, each construct named, nothing written.
        let before = db.store.event_count().await.unwrap();
        let refused = services
            .submit_draft(
                &g.session.drafter,
                html(
                    "<p onmouseover=\"track()\">Spring</p>\
                     <img src=\"https://pixel.tracker.net/open.gif\">\
                     <a href=\"https://www.example.com.evil.net/\">Shop</a>",
                ),
            )
            .await;
        match refused {
            Err(CoreError::NotAllowed(violations)) => {
                let named: Vec<String> = violations.iter().map(ToString::to_string).collect();
                assert_eq!(violations.len(), 3, "{named:#?}");
                assert!(named[0].starts_with("<p> onmouseover"), "{named:#?}");
                assert!(named[1].contains("pixel.tracker.net"), "{named:#?}");
                assert!(named[2].contains("www.example.com.evil.net"), "{named:#?}");
            }
            other => panic!("{}: expected NotAllowed, got {other:?}", db.name),
        }
        assert_eq!(db.store.event_count().await.unwrap(), before, "{}", db.name);

        // Harmless differences are normalised; the hash covers the canonical bytes.
        let change = services
            .submit_draft(
                &g.session.drafter,
                html(
                    "<P title='Spring'>Save &#50;0&#37; \
                     <a href=\"https://WWW.example.com/spring\">now</a></P>\r\n",
                ),
            )
            .await
            .unwrap();
        let status = services
            .change_status(&g.session.drafter, &change.id)
            .await
            .unwrap();
        assert_eq!(
            status.content,
            "<p title=\"Spring\">Save 20% <a href=\"https://www.example.com/spring\">now</a></p>"
        );
        assert_eq!(
            status.content_hash,
            countersign_core::domain::content_hash(&status.content)
        );
        // The claim behind numeric references is found.
        let view = services.gate_view(&g.legal, &change.id).await.unwrap();
        assert!(
            view.claims.iter().any(|c| c.quote.contains("Save 20%")),
            "{}: {:?}",
            db.name,
            view.claims
        );
        assert_eq!(view.outbound.len(), 1);
        assert_eq!(view.outbound[0].url.host, "www.example.com");

        // A version that only changes a link target shows in the diff and in the links panel.
        let autumn = "<p title=\"Spring\">Save 20% \
                      <a href=\"https://www.example.com/autumn\">now</a></p>";
        revise(&services, &g, &change.id, autumn.to_owned(), "html").await;
        let view = services.gate_view(&g.approver, &change.id).await.unwrap();
        assert!(view.outbound[0].changed, "{}", db.name);
        let diff = services.review_diff(&g.approver, &change.id).await.unwrap();
        let changed: Vec<&str> = diff
            .iter()
            .filter(|l| l.kind != countersign_core::domain::DiffKind::Same)
            .map(|l| l.text.as_str())
            .collect();
        assert!(
            changed.iter().any(|l| l.contains("/autumn"))
                && changed.iter().any(|l| l.contains("/spring")),
            "{}: {changed:?}",
            db.name
        );
    }
}
