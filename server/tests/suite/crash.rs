//! Real console processes. Crash safety: the console process is killed (SIGKILL) at random moments while its worker
//! delivers publications, rollbacks and revoke calls, and started again, over and over. In the
//! end every effect is delivered, none twice: the reference system applied exactly the calls
//! the outbox holds, each once, each target got one version per publication, and the ledger is
//! intact with one delivery event per effect. And two console processes on one PostgreSQL
//! database deliver each effect once between them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{free_port, sandbox_log, start_slow_sandbox, Sandbox};
use crate::core_common::chain::chain_at;
use crate::core_common::gate::{another_change, approve, gate_with, Gate};
use crate::core_common::{self, TestDb};
use countersign_core::clock::ManualClock;
use countersign_core::domain::{ChangeStatus, Effect, EffectKind, OutboxState};
use countersign_core::policy::PolicyEngine;
use countersign_core::secrets::SecretKey;
use countersign_core::services::RevokeInput;
use countersign_core::Services;
use rand::Rng;
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The in-process console that sets things up (it shares the database and the secret key with
/// the console processes), a change at the gate, and the reference system taking `delay_ms`
/// over each call.
struct World {
    key: SecretKey,
    services: Services,
    g: Gate,
    sandbox: Sandbox,
    sandbox_dir: tempfile::TempDir,
}

async fn world(db: &TestDb, delay_ms: u64) -> World {
    let key = SecretKey::generate();
    let services = Services::new(
        db.store.clone(),
        Arc::new(PolicyEngine::builtin().unwrap()),
        Arc::new(ManualClock::new(chrono::Utc::now())),
    )
    .with_secret_key(SecretKey::from_base64(&key.to_base64()).unwrap());
    let port = free_port();
    let chain = chain_at(&services, &format!("http://127.0.0.1:{port}")).await;
    let sandbox_dir = tempfile::tempdir().unwrap();
    let sandbox = start_slow_sandbox(&chain.crm_secret, sandbox_dir.path(), port, delay_ms).await;
    let g = gate_with(&services, db, chain).await;
    World {
        key,
        services,
        g,
        sandbox,
        sandbox_dir,
    }
}

/// The console binary on `db`, serving on a free port with its delivery worker running. Its
/// identity provider is a closed port: sign-in is not needed here, delivery is.
fn start_console(db: &TestDb, key: &SecretKey) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_countersign"));
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("COUNTERSIGN_")) {
        command.env_remove(name);
    }
    command
        .arg("serve")
        // The log key file defaults to the working directory: keep it out of the source tree.
        .current_dir(std::env::temp_dir())
        .env("COUNTERSIGN_DATABASE_URL", &db.url)
        .env("COUNTERSIGN_BIND", format!("127.0.0.1:{}", free_port()))
        .env("COUNTERSIGN_SECRET_KEY", key.to_base64())
        .env(
            "COUNTERSIGN_OIDC_ISSUER",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("COUNTERSIGN_OIDC_CLIENT_ID", "countersign")
        .env("COUNTERSIGN_OIDC_CLIENT_SECRET", "unused-in-this-test")
        .env("COUNTERSIGN_ROLE_MAP", "approver=approvers")
        .env("COUNTERSIGN_DELIVERY_TIMEOUT", "1s")
        .env("COUNTERSIGN_OUTBOUND_ALLOW", "127.0.0.0/8")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn undelivered(services: &Services) -> usize {
    services
        .store()
        .effects_in_state(OutboxState::Pending, 1000)
        .await
        .unwrap()
        .len()
}

/// Kills the console at random moments while anything is undelivered, then lets one run finish.
async fn crash_until_delivered(db: &TestDb, key: &SecretKey, services: &Services, kills: &mut u32) {
    let mut rng = rand::thread_rng();
    for _ in 0..8 {
        if undelivered(services).await == 0 {
            break;
        }
        let mut console = start_console(db, key);
        // Start-up takes a moment; the worker's first pass follows it.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..900))).await;
        console.kill().unwrap();
        console.wait().unwrap();
        *kills += 1;
    }
    // Leases held by a killed process run out after 2 × 1 s + 5 s; then all is delivered.
    let mut console = start_console(db, key);
    let started = Instant::now();
    while undelivered(services).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still undelivered after a minute: {:?}",
            services
                .store()
                .effects_in_state(OutboxState::Pending, 10)
                .await
                .unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    console.kill().unwrap();
    console.wait().unwrap();
}

#[tokio::test]
async fn killing_the_console_at_random_moments_loses_nothing_and_duplicates_nothing() {
    let db = core_common::sqlite().await;
    // A system that takes 120 ms per call, so that kills land while calls are under way.
    let World {
        key,
        services,
        g,
        sandbox,
        sandbox_dir,
    } = world(&db, 120).await;
    let mut kills = 0;

    // Publish: eight approved changes.
    let mut changes = vec![g.change.clone()];
    for n in 1..8 {
        changes.push(another_change(&services, &g, &format!("campaigns/region-{n}")).await);
    }
    for change in &changes {
        approve(&services, &g, change).await;
    }
    crash_until_delivered(&db, &key, &services, &mut kills).await;
    for change in &changes {
        let stored = services.store().change(&change.id).await.unwrap().unwrap();
        assert_eq!(stored.status, ChangeStatus::Published, "{}", change.id);
    }

    // Roll back half of them.
    for change in changes.iter().take(4) {
        services
            .roll_back_change(&g.approver, &change.id, "crash test rollback")
            .await
            .unwrap();
    }
    crash_until_delivered(&db, &key, &services, &mut kills).await;

    // Revoke the workflow, rolling back what is still live.
    services
        .revoke_workflow(
            &g.session.chain.admin,
            g.session.workflow.id,
            RevokeInput {
                reason: "crash test revocation".to_owned(),
                revoke_identities: false,
                roll_back_live: true,
            },
        )
        .await
        .unwrap();
    crash_until_delivered(&db, &key, &services, &mut kills).await;
    assert!(kills >= 3, "the console was killed {kills} times");

    // Nothing lost: every change rolled back, the revocation confirmed.
    for change in &changes {
        let stored = services.store().change(&change.id).await.unwrap().unwrap();
        assert_eq!(stored.status, ChangeStatus::RolledBack, "{}", change.id);
    }
    let revocation = services
        .revocation(&g.session.chain.admin, g.session.workflow.id)
        .await
        .unwrap()
        .unwrap();
    assert!(revocation.is_complete());

    // Nothing duplicated: the system applied exactly the outbox's calls, each once, and each
    // target holds one published version.
    let effects: Vec<Effect> = services
        .store()
        .effects_in_state(OutboxState::Delivered, 1000)
        .await
        .unwrap();
    let kinds = |k: EffectKind| effects.iter().filter(|e| e.kind == k).count();
    assert_eq!(
        (
            kinds(EffectKind::Publish),
            kinds(EffectKind::Rollback),
            kinds(EffectKind::Revoke)
        ),
        (8, 8, 1)
    );
    let (applied, received) = sandbox_log(&sandbox).await;
    let applied_set: BTreeSet<_> = applied.iter().cloned().collect();
    assert_eq!(applied.len(), applied_set.len(), "a key applied twice");
    let outbox: BTreeSet<_> = effects.iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        applied_set, outbox,
        "the system applied exactly the outbox's calls"
    );
    for target in std::fs::read_dir(sandbox_dir.path().join("targets")).unwrap() {
        let versions = std::fs::read_dir(target.unwrap().path())
            .unwrap()
            .filter(|f| {
                f.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("v-")
            })
            .count();
        assert_eq!(versions, 1, "one publication, one version");
    }

    // The ledger is intact and names each delivery once.
    let verified = services
        .verify_ledger(&g.session.chain.admin)
        .await
        .unwrap();
    assert!(
        matches!(
            verified,
            countersign_core::services::LedgerVerification::Intact { .. }
        ),
        "{verified:?}"
    );
    let events = db
        .store
        .events_page(None, db.store.event_count().await.unwrap())
        .await
        .unwrap();
    for effect in &effects {
        let delivered = events
            .iter()
            .filter(|e| e.action == "effect.delivered" && e.details.contains(&effect.id))
            .count();
        assert_eq!(delivered, 1, "{}", effect.id);
    }
    println!(
        "{kills} kills; {} calls applied, {} received (repeats after a kill are answered from the receipt)",
        applied.len(),
        received.len()
    );
}

#[tokio::test]
async fn two_console_processes_on_postgres_deliver_each_effect_once() {
    let db = core_common::postgres().await;
    let World {
        key,
        services,
        g,
        sandbox,
        sandbox_dir: _sandbox_dir,
    } = world(&db, 20).await;
    let mut changes = vec![g.change.clone()];
    for n in 1..6 {
        changes.push(another_change(&services, &g, &format!("campaigns/region-{n}")).await);
    }
    for change in &changes {
        approve(&services, &g, change).await;
    }
    // Two console processes on the same database, delivering at the same time.
    let mut first = start_console(&db, &key);
    let mut second = start_console(&db, &key);
    let started = Instant::now();
    while undelivered(&services).await > 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "not delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for console in [&mut first, &mut second] {
        console.kill().unwrap();
        console.wait().unwrap();
    }
    let (_, received) = sandbox_log(&sandbox).await;
    let distinct: BTreeSet<_> = received.iter().collect();
    assert_eq!(
        received.len(),
        6,
        "each publication sent once: {received:?}"
    );
    assert_eq!(distinct.len(), 6);
    for change in &changes {
        let stored = services.store().change(&change.id).await.unwrap().unwrap();
        assert_eq!(stored.status, ChangeStatus::Published);
    }
}
