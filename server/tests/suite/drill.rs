//! Revocation drills against the real reference connected system (`countersign-sandbox`) over
//! loopback HTTP: a pass, a mis-signing system, and an unreachable one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use countersign::config::{Config, Mode};
use countersign::startup::build_state;
use countersign_core::clock::ManualClock;
use countersign_core::domain::{ExternalIdentity, Role};
use countersign_core::services::{RegisterSystem, SignIn, SignInOutcome, DEMO_ISSUER};
use countersign_core::{Actor, Services};
use std::collections::HashMap;
use std::sync::Arc;

use common::{free_port, sandbox_log, start_sandbox};

async fn console(dir: &std::path::Path) -> (Services, Actor) {
    let env: HashMap<String, String> = HashMap::from([
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}/cs.db", dir.display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/cs.key", dir.display()),
        ),
    ]);
    let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
    let state = build_state(config, Arc::new(ManualClock::new(chrono::Utc::now())))
        .await
        .unwrap();
    let outcome = state
        .services
        .sign_in(SignIn {
            identity: ExternalIdentity::new(DEMO_ISSUER, "priya").unwrap(),
            name: Some("Priya Nair".to_owned()),
            email: Some("priya.nair@example.com".to_owned()),
            roles: [Role::SecurityAdmin].into_iter().collect(),
            groups_seen: 0,
            reauthentication: false,
            email_verified: true,
        })
        .await
        .unwrap();
    let SignInOutcome::Granted { actor } = outcome else {
        panic!("granted")
    };
    (state.services, actor)
}

fn system(name: &str, port: u16) -> RegisterSystem {
    RegisterSystem {
        name: name.to_owned(),
        kind: "campaign".to_owned(),
        base_url: format!("http://127.0.0.1:{port}"),
        fields: "email:contact".to_owned(),
    }
}

#[tokio::test]
async fn a_drill_passes_against_a_correctly_configured_system_and_fails_clearly_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let (services, admin) = console(dir.path()).await;
    let port = free_port();
    let (registered, secret) = services
        .register_system(&admin, system("Campaign Manager EU", port))
        .await
        .unwrap();
    let sandbox_dir = dir.path().join("sandbox");
    let sandbox = start_sandbox(&secret.0, &sandbox_dir, port).await;

    let drill = services
        .run_revocation_drill(&admin, registered.id)
        .await
        .unwrap();
    assert!(drill.passed, "{:?}", drill.error);
    let receipt = drill.receipt.clone().unwrap();
    assert!(receipt.contains("\"status\":\"dry_run_ok\""), "{receipt}");
    let (applied, _) = sandbox_log(&sandbox).await;
    assert_eq!(applied.len(), 1, "the system recorded the call once");

    // After a rotation the sandbox still has the old secret: the call is refused as unsigned.
    services
        .rotate_system_secret(&admin, registered.id, "rotation test")
        .await
        .unwrap();
    let refused = services
        .run_revocation_drill(&admin, registered.id)
        .await
        .unwrap();
    assert!(!refused.passed);
    let error = refused.error.unwrap();
    assert!(
        error.contains("refused the call with 401") && error.contains("Signature does not verify"),
        "{error}"
    );

    // A system nobody answers for.
    let (down, _) = services
        .register_system(&admin, system("Ad Platform", free_port()))
        .await
        .unwrap();
    let unreachable = services
        .run_revocation_drill(&admin, down.id)
        .await
        .unwrap();
    assert!(!unreachable.passed);
    assert!(unreachable
        .error
        .unwrap()
        .contains("cannot reach the system"));

    let drills = services.latest_drills(&admin).await.unwrap();
    assert_eq!(drills.len(), 2);
    // Each drill is queued and delivered through the outbox, like a real revoke.
    let events = services.store().events_page(None, 5).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "system.drill_failed",
            "effect.dead_lettered",
            "system.drill_started",
            "system.registered",
            "system.drill_failed",
        ]
    );
    drop(sandbox);
}
