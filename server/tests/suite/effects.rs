//! Effects on connected systems, on SQLite and PostgreSQL, against the real reference system
//! (`countersign-sandbox`) over loopback HTTP: publish after the gate (the signed bytes, once),
//! rollback with receipts, the kill switch, retries, dead letters, and two console processes
//! sharing one PostgreSQL outbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::faulty::{Behaviour, Faulty};
use crate::common::{free_port, loopback_allowed, sandbox_log, start_sandbox, Sandbox};
use crate::core_common::chain::{chain_at, Chain};
use crate::core_common::gate::{another_change, approve, gate_with, Gate};
use crate::core_common::{self, TestDb};
use countersign::connector::HttpConnector;
use countersign_core::clock::ManualClock;
use countersign_core::domain::{ChangeStatus, EffectKind, NhiState, OutboxState, WorkflowState};
use countersign_core::services::RevokeInput;
use countersign_core::{Clock, CoreError, Services};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// A console with a connector, and the spring-offer chain whose campaign system is at `url`.
async fn console(db: &TestDb, url: &str) -> (Services, Arc<ManualClock>, Chain) {
    let (services, clock) = core_common::services(db);
    let services = services.with_connector(Arc::new(
        HttpConnector::new(Duration::from_secs(2), loopback_allowed()).unwrap(),
    ));
    let chain = chain_at(&services, url).await;
    (services, clock, chain)
}

/// A console whose campaign system is the reference system, on a free port.
async fn with_sandbox(
    db: &TestDb,
) -> (Services, Arc<ManualClock>, Gate, Sandbox, tempfile::TempDir) {
    let port = free_port();
    let (services, clock, chain) = console(db, &format!("http://127.0.0.1:{port}")).await;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_sandbox(&chain.crm_secret, dir.path(), port).await;
    let g = gate_with(&services, db, chain).await;
    (services, clock, g, sandbox, dir)
}

async fn status_of(services: &Services, id: &str) -> ChangeStatus {
    services.store().change(id).await.unwrap().unwrap().status
}

async fn actions_since(db: &TestDb, before: i64) -> Vec<String> {
    let count = db.store.event_count().await.unwrap();
    let mut events = db.store.events_page(None, count - before).await.unwrap();
    events.reverse();
    events.into_iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn an_approved_change_is_published_once_with_its_signed_bytes_and_rolled_back_with_receipts()
{
    for db in core_common::both().await {
        let (services, _clock, g, sandbox, dir) = with_sandbox(&db).await;
        let never_published = another_change(&services, &g, "campaigns/summer").await;
        // The agent asks to be told how its change ends; a bad URL or another's change is refused.
        let agent_side = Faulty::default();
        let callback_url = format!("{}/countersign/callback", agent_side.start().await);
        let bad = services
            .register_callback(
                &g.session.drafter,
                &g.change.id,
                "http://agents.example.com/cb",
            )
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("callback_url"), "{bad}");
        let foreign = services
            .register_callback(&g.session.reader, &g.change.id, &callback_url)
            .await
            .unwrap_err();
        assert!(matches!(foreign, CoreError::NotFound(_)), "{foreign:?}");
        let callback_secret = services
            .register_callback(&g.session.drafter, &g.change.id, &callback_url)
            .await
            .unwrap();
        approve(&services, &g, &g.change).await;

        // The approval queued exactly one publication, not yet delivered.
        let queued = services
            .change_effects(&g.approver, &g.change.id)
            .await
            .unwrap();
        assert_eq!(queued.len(), 1, "{}", db.name);
        assert_eq!(
            (queued[0].kind, queued[0].state),
            (EffectKind::Publish, OutboxState::Pending)
        );

        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        // The publication queued the agent's callback; it is delivered on the next pass.
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        assert_eq!(
            services.deliver_due_effects().await.unwrap(),
            0,
            "nothing is due twice"
        );
        let told = agent_side.received();
        assert_eq!(told.len(), 1, "{}", db.name);
        countersign_core::webhooks::verify(
            &callback_secret,
            &told[0].id,
            &told[0].timestamp,
            &told[0].signature,
            &told[0].body,
            chrono::Utc::now().timestamp(),
        )
        .expect("the callback is signed with the secret shown at registration");
        let said: Value = serde_json::from_slice(&told[0].body).unwrap();
        assert_eq!(
            (said["type"].as_str(), said["status"].as_str()),
            (Some("change.status"), Some("published"))
        );
        let change = services
            .store()
            .change(&g.change.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(change.status, ChangeStatus::Published, "{}", db.name);
        let publication = change.publication.clone().unwrap();
        assert_eq!(
            (publication.version.as_str(), publication.replaced),
            ("v-1", None)
        );

        // Byte for byte what was signed: the system stored the text whose hash the reviewers saw.
        let (applied, received) = sandbox_log(&sandbox).await;
        assert_eq!(applied, [queued[0].id.clone()]);
        assert_eq!(received, applied, "delivered once, never repeated");
        let target = hex::encode(Sha256::digest("campaigns/spring-2027".as_bytes()));
        let stored: Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("targets").join(target).join("v-1.json")).unwrap(),
        )
        .unwrap();
        let body = stored["content"]["body"].as_str().unwrap();
        assert_eq!(
            format!("sha256:{}", hex::encode(Sha256::digest(body.as_bytes()))),
            g.change.current_hash
        );
        let seen = services
            .change_status(&g.session.drafter, &g.change.id)
            .await
            .unwrap();
        assert_eq!(seen.status, "published");
        assert_eq!(seen.publication.unwrap().version, "v-1");
        assert_eq!(seen.deliveries[0].state, "delivered");

        // Rollback: a reason is required, legal reviewers cannot, a change never published
        // cannot, and each refusal writes nothing.
        let before = db.store.event_count().await.unwrap();
        let cases: Vec<(&countersign_core::Actor, &str, &str, &str)> = vec![
            (&g.approver, &g.change.id, "", "reason"),
            (&g.legal, &g.change.id, "wrong discount", "roll_back_change"),
            (
                &g.approver,
                &never_published.id,
                "wrong discount",
                "never published",
            ),
            (
                &g.session.drafter.actor,
                &g.change.id,
                "wrong discount",
                "only people roll back",
            ),
        ];
        for (actor, id, reason, expected) in cases {
            let refused = services
                .roll_back_change(actor, id, reason)
                .await
                .unwrap_err();
            assert!(
                refused.to_string().contains(expected) || format!("{refused:?}").contains(expected),
                "{}: {refused:?}",
                db.name
            );
        }
        assert_eq!(db.store.event_count().await.unwrap(), before);

        let rollback = services
            .roll_back_change(&g.approver, &g.change.id, "wrong discount in the subject")
            .await
            .unwrap();
        let again = services
            .roll_back_change(&g.approver, &g.change.id, "twice")
            .await
            .unwrap_err();
        assert!(again.to_string().contains("already under way"), "{again}");
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        assert_eq!(
            status_of(&services, &g.change.id).await,
            ChangeStatus::RolledBack
        );
        let done = services
            .store()
            .effect(&rollback.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.state, OutboxState::Delivered);
        let receipt = done.parsed_receipt().unwrap();
        assert_eq!(receipt.status, "rolled_back");
        assert_eq!(done.reason, "wrong discount in the subject");
        assert_eq!(done.requested_by_label, "Person amy");
        let twice = services
            .roll_back_change(&g.approver, &g.change.id, "once more")
            .await
            .unwrap_err();
        assert!(twice.to_string().contains("already rolled back"), "{twice}");
        let (applied, received) = sandbox_log(&sandbox).await;
        assert_eq!(applied.len(), 2);
        assert_eq!(received, applied);
        services.deliver_due_effects().await.unwrap();
        let told: Vec<Value> = agent_side
            .received()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect();
        assert_eq!(told.last().unwrap()["status"], "rolled_back");
    }
}

#[tokio::test]
async fn temporary_failures_back_off_permanent_ones_dead_letter_and_an_admin_retries() {
    for db in core_common::both().await {
        let faulty = Faulty::default();
        let url = faulty.start().await;
        let (services, clock, chain) = console(&db, &url).await;
        let mut g = gate_with(&services, &db, chain).await;
        faulty.set(Behaviour::Fails500);
        approve(&services, &g, &g.change).await;

        // A 500: retried later, the change is publishing, and nothing is attempted early.
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        assert_eq!(
            status_of(&services, &g.change.id).await,
            ChangeStatus::Publishing
        );
        let effect = services
            .change_effects(&g.approver, &g.change.id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!((effect.state, effect.attempts), (OutboxState::Pending, 1));
        assert!(effect.last_error.unwrap().contains("500"));
        assert!(effect.next_attempt_at > clock.now());
        assert_eq!(services.deliver_due_effects().await.unwrap(), 0);

        // Still failing through every attempt: dead-lettered, the change publish_failed.
        for _ in 1..countersign_core::domain::outbox::MAX_ATTEMPTS {
            clock.advance(chrono::Duration::minutes(11));
            assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        }
        let dead = services.store().effect(&effect.id).await.unwrap().unwrap();
        assert_eq!(dead.state, OutboxState::Dead, "{}", db.name);
        assert!(dead
            .last_error
            .unwrap()
            .starts_with("gave up after 8 attempts"));
        assert_eq!(
            status_of(&services, &g.change.id).await,
            ChangeStatus::PublishFailed
        );
        assert_eq!(faulty.calls(), 8);
        let letters = services
            .deliveries(&g.session.chain.admin, OutboxState::Dead)
            .await
            .unwrap();
        assert_eq!(letters.len(), 1);

        // Only security admins retry; after the retry it publishes.
        let denied = services
            .retry_effect(&g.approver, &effect.id)
            .await
            .unwrap_err();
        assert!(matches!(denied, CoreError::Denied(_)), "{denied:?}");
        faulty.set(Behaviour::Works);
        services
            .retry_effect(&g.session.chain.admin, &effect.id)
            .await
            .unwrap();
        assert_eq!(
            status_of(&services, &g.change.id).await,
            ChangeStatus::Publishing
        );
        let twice = services
            .retry_effect(&g.session.chain.admin, &effect.id)
            .await
            .unwrap_err();
        assert!(twice.to_string().contains("only dead-lettered"), "{twice}");
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        assert_eq!(
            status_of(&services, &g.change.id).await,
            ChangeStatus::Published
        );

        // A receipt for another call is a permanent failure: dead at once, with the mismatch.
        // (An hour has passed: the agent drafts with a token issued now.)
        core_common::drafting::renew_tokens(&services, &mut g.session).await;
        let wrong = another_change(&services, &g, "campaigns/wrong").await;
        faulty.set(Behaviour::WrongReceipt);
        approve(&services, &g, &wrong).await;
        services.deliver_due_effects().await.unwrap();
        assert_eq!(
            status_of(&services, &wrong.id).await,
            ChangeStatus::PublishFailed
        );
        let effect = services
            .change_effects(&g.approver, &wrong.id)
            .await
            .unwrap()
            .remove(0);
        assert!(effect.last_error.unwrap().contains("wrong receipt"));

        // 429 with Retry-After: not tried again before the system asked.
        let throttled = another_change(&services, &g, "campaigns/throttled").await;
        faulty.set(Behaviour::Throttles);
        approve(&services, &g, &throttled).await;
        services.deliver_due_effects().await.unwrap();
        let effect = services
            .change_effects(&g.approver, &throttled.id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(effect.state, OutboxState::Pending);
        assert!(effect.last_error.unwrap().contains("asked to wait 90 s"));
        assert_eq!(
            effect.next_attempt_at,
            clock.now() + chrono::Duration::seconds(90)
        );

        // No answer within the timeout: a temporary failure.
        let slow = another_change(&services, &g, "campaigns/slow").await;
        faulty.set(Behaviour::TooSlow);
        approve(&services, &g, &slow).await;
        services.deliver_due_effects().await.unwrap();
        let effect = services
            .change_effects(&g.approver, &slow.id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(effect.state, OutboxState::Pending);
        assert!(effect
            .last_error
            .unwrap()
            .contains("no answer within 2 seconds"));
    }
}

#[tokio::test]
async fn the_kill_switch_revokes_everywhere_at_once_and_completes_when_every_system_confirms() {
    for db in core_common::both().await {
        let (services, clock, g, sandbox, dir) = with_sandbox(&db).await;
        let port: u16 = sandbox.url.rsplit(':').next().unwrap().parse().unwrap();
        approve(&services, &g, &g.change).await;
        services.deliver_due_effects().await.unwrap();
        let pending = another_change(&services, &g, "campaigns/autumn").await;
        let admin = g.session.chain.admin.clone();
        let workflow = g.session.workflow.id;
        let token = services
            .issue_token(
                &g.session.chain.drafter.to_string(),
                &g.session.chain.drafter_secret,
                Some(&format!("step:{}", g.session.workflow.steps[1].id)),
            )
            .await
            .unwrap();

        // Refusals first: no reason, someone who neither owns it nor is a security admin.
        let before = db.store.event_count().await.unwrap();
        let input = |reason: &str| RevokeInput {
            reason: reason.to_owned(),
            revoke_identities: false,
            roll_back_live: true,
        };
        let no_reason = services
            .revoke_workflow(&admin, workflow, input(" "))
            .await
            .unwrap_err();
        assert!(no_reason.to_string().contains("reason"), "{no_reason}");
        let stranger = services
            .revoke_workflow(&g.approver, workflow, input("not mine"))
            .await;
        assert!(
            matches!(stranger, Err(CoreError::Denied(_))),
            "{stranger:?}"
        );
        assert_eq!(db.store.event_count().await.unwrap(), before);

        // The system is down when the switch is pulled.
        drop(sandbox);
        let view = services
            .revoke_workflow(&admin, workflow, input("agent produced unapproved claims"))
            .await
            .unwrap();
        let stored = services.store().workflow(workflow).await.unwrap().unwrap();
        assert_eq!(stored.state, WorkflowState::Revoked, "{}", db.name);
        assert_eq!(view.revocation.systems, 1);
        assert_eq!(view.revocation.changes_cancelled, 1);
        assert_eq!(view.revocation.rollbacks_queued, 1);
        assert!(view.revocation.tokens_ended >= 1);
        assert!(!view.is_complete());
        assert_eq!(
            status_of(&services, &pending.id).await,
            ChangeStatus::Cancelled
        );
        // Every credential ends at once: the token, and getting a new one.
        assert!(services
            .authenticate_token(&token.access_token.0)
            .await
            .is_err());
        assert!(services
            .issue_token(
                &g.session.chain.drafter.to_string(),
                &g.session.chain.drafter_secret,
                None
            )
            .await
            .is_err());
        let drafter = services
            .store()
            .nhi(g.session.chain.drafter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(drafter.state, NhiState::Suspended);
        let second = services
            .revoke_workflow(&admin, workflow, input("again"))
            .await
            .unwrap_err();
        assert!(second.to_string().contains("already revoked"), "{second}");
        let reactivate = services
            .activate_workflow(&admin, workflow)
            .await
            .unwrap_err();
        assert!(reactivate.to_string().contains("revoked"), "{reactivate}");

        // Down: the revoke call waits for a retry and the revocation stays incomplete.
        services.deliver_due_effects().await.unwrap();
        let view = services
            .revocation(&admin, workflow)
            .await
            .unwrap()
            .unwrap();
        assert!(!view.is_complete());
        assert_eq!(view.calls[0].state, OutboxState::Pending);
        assert!(view.calls[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot reach"));

        // Back up: the retry is delivered and the revocation completes, with its duration.
        let sandbox = start_sandbox(&g.session.chain.crm_secret, dir.path(), port).await;
        clock.advance(chrono::Duration::minutes(11));
        let before = db.store.event_count().await.unwrap();
        assert_eq!(
            services.deliver_due_effects().await.unwrap(),
            2,
            "revoke and rollback"
        );
        let view = services
            .revocation(&admin, workflow)
            .await
            .unwrap()
            .unwrap();
        assert!(view.is_complete(), "{}", db.name);
        assert_eq!(view.confirmed(), 1);
        assert!(
            view.revocation.time_to_last_confirmation().unwrap() >= chrono::Duration::minutes(11)
        );
        assert_eq!(
            status_of(&services, &g.change.id).await,
            ChangeStatus::RolledBack
        );
        assert!(dir
            .path()
            .join("revoked")
            .join(format!("{workflow}.json"))
            .exists());
        let actions = actions_since(&db, before).await;
        assert!(
            actions.contains(&"workflow.revocation_complete".to_owned()),
            "{actions:?}"
        );
        assert!(
            actions.contains(&"change.rolled_back".to_owned()),
            "{actions:?}"
        );
        let (applied, _) = sandbox_log(&sandbox).await;
        assert_eq!(applied.len(), 3, "publish, revoke, rollback: each once");

        // Cloned into a new draft with fresh steps: the old credentials fit nothing in it.
        let clone = services
            .clone_workflow(&admin, workflow, "Spring offer email v2")
            .await
            .unwrap();
        assert_eq!(clone.state, WorkflowState::Draft);
        assert_eq!(clone.steps.len(), g.session.workflow.steps.len());
        assert!(clone
            .steps
            .iter()
            .all(|s| g.session.workflow.steps.iter().all(|o| o.id != s.id)));
    }
}

#[tokio::test]
async fn two_console_processes_on_one_postgres_deliver_each_effect_once() {
    let db = core_common::postgres().await;
    let key = countersign_core::secrets::SecretKey::generate();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let policy = Arc::new(countersign_core::policy::PolicyEngine::builtin().unwrap());
    let console = |store| {
        Services::new(store, policy.clone(), clock.clone())
            .with_secret_key(
                countersign_core::secrets::SecretKey::from_base64(&key.to_base64()).unwrap(),
            )
            .with_connector(Arc::new(
                HttpConnector::new(Duration::from_secs(2), loopback_allowed()).unwrap(),
            ))
    };
    let first = console(db.store.clone());
    let other_pool = countersign_core::store::connect(&db.url, &Default::default())
        .await
        .unwrap();
    let second = console(other_pool);

    let port = free_port();
    let chain = chain_at(&first, &format!("http://127.0.0.1:{port}")).await;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_sandbox(&chain.crm_secret, dir.path(), port).await;
    let g = gate_with(&first, &db, chain).await;
    approve(&first, &g, &g.change).await;
    for n in 0..11 {
        let change = another_change(&first, &g, &format!("campaigns/region-{n}")).await;
        approve(&first, &g, &change).await;
    }
    // And a burst of revoke calls, as a kill switch on a large workflow would queue.
    let mut tx = db.store.begin_write(0).await.unwrap();
    for _ in 0..40 {
        let body = serde_json::json!({
            "type": "revoke",
            "idempotency_key": countersign_core::connector::new_idempotency_key(),
            "workflow_id": g.session.workflow.id.to_string(),
            "reason": "load",
            "dry_run": false,
        });
        let mut effect = countersign_core::domain::Effect::queued(
            EffectKind::Revoke,
            format!("http://127.0.0.1:{port}"),
            &body,
            "load",
            &countersign_core::Actor::System,
            clock.now(),
        );
        effect.system = Some(g.session.chain.crm);
        tx.insert_effect(&effect).await.unwrap();
    }
    tx.append_event(&countersign_core::ledger::NewEvent::new(
        &countersign_core::Actor::System,
        "test.burst_queued",
        "console",
        serde_json::json!({}),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Both consoles deliver at the same time until neither finds anything due.
    let drain = |services: Services| async move {
        let mut attempted = 0;
        loop {
            let n = services.deliver_due_effects().await.unwrap();
            if n == 0 {
                return attempted;
            }
            attempted += n;
        }
    };
    let (a, b) = tokio::join!(drain(first.clone()), drain(second.clone()));
    assert_eq!(a + b, 52, "each effect attempted once in all: {a} + {b}");
    assert!(a > 0 && b > 0, "both consoles took part: {a} + {b}");
    let (applied, received) = sandbox_log(&sandbox).await;
    assert_eq!(applied.len(), 52);
    assert_eq!(received.len(), 52, "no call was sent twice");
    let pending = first
        .store()
        .effects_in_state(OutboxState::Pending, 100)
        .await
        .unwrap();
    assert!(pending.is_empty());
    let delivered = first
        .store()
        .effects_in_state(OutboxState::Delivered, 100)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 52);
    for change in first
        .store()
        .changes_in_status(ChangeStatus::Published, None, 100)
        .await
        .unwrap()
    {
        assert!(change.publication.is_some());
    }
}
