//! A fresh living demo, as `scripts/demo.sh` starts it: the real console binary tells its story
//! at start-up through the service layer and the agent API. Its ledger verifies, and the agent's
//! calls are the agent's events, never the system's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::free_port;
use countersign_core::domain::ChangeStatus;
use countersign_core::policy::PolicyEngine;
use countersign_core::services::LedgerVerification;
use countersign_core::store::{self, StoreOptions};
use countersign_core::{Actor, Services};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_fresh_demo_tells_its_story_through_the_service_layer_and_the_agent_api() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/demo.db", dir.path().display());
    let mut command = Command::new(env!("CARGO_BIN_EXE_countersign"));
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("COUNTERSIGN_")) {
        command.env_remove(name);
    }
    let mut console = command
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env("COUNTERSIGN_DATABASE_URL", &url)
        .env("COUNTERSIGN_BIND", format!("127.0.0.1:{}", free_port()))
        .env(
            "COUNTERSIGN_DEMO_SANDBOX_BIND",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("COUNTERSIGN_DEMO_AGENT_EVERY", "off")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // The story's last act is the directory's: a contractor leaves. Wait for it in the ledger.
    let mut told = false;
    for _ in 0..600 {
        if let Ok(store) = store::connect(&url, &StoreOptions::default()).await {
            if let Ok(events) = store.events_page(None, 5).await {
                if events
                    .iter()
                    .any(|e| e.action == "directory.user_deactivated")
                {
                    told = true;
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    console.kill().unwrap();
    console.wait().unwrap();
    assert!(told, "the demo's story was not told within a minute");

    let store = store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    let services = Services::new(
        store.clone(),
        Arc::new(PolicyEngine::builtin().unwrap()),
        Arc::new(countersign_core::clock::SystemClock),
    );
    match services.verify_ledger(&Actor::System).await.unwrap() {
        LedgerVerification::Intact { events } => assert!(events > 50, "{events} events"),
        broken => panic!("the demo's ledger does not verify: {broken:?}"),
    }

    // Every stage of the gate is there.
    let mut statuses = Vec::new();
    for status in ChangeStatus::ALL {
        for change in store.changes_in_status(status, None, 100).await.unwrap() {
            statuses.push((change.title, status, change.current_version));
        }
    }
    for (title, status) in [
        (
            "Spring offer: 20% off in your region",
            ChangeStatus::PendingReview,
        ),
        (
            "Spring offer: the new garden range",
            ChangeStatus::PendingReview,
        ),
        (
            "Spring newsletter: what's new in store",
            ChangeStatus::PendingReview,
        ),
        ("Spring offer: weekend opening", ChangeStatus::PendingReview),
        (
            "Spring offer in three languages",
            ChangeStatus::PendingReview,
        ),
        ("Spring opening hours: Saturdays", ChangeStatus::Published),
        ("Spring opening hours: Sundays", ChangeStatus::PendingReview),
        ("Spring offer: free delivery", ChangeStatus::Published),
        ("Spring offer: early-bird prices", ChangeStatus::RolledBack),
    ] {
        assert!(
            statuses.iter().any(|(t, s, _)| t == title && *s == status),
            "{title} should be {}: {statuses:?}",
            status.as_str()
        );
    }
    assert!(statuses
        .iter()
        .any(|(t, _, v)| t == "Spring offer: weekend opening" && *v == 2));

    // The directory spoke SCIM as itself: its writes are the directory token's events, and the
    // leaver's agent is orphaned.
    let all = store.events_page(None, 200).await.unwrap();
    for action in [
        "directory.user_provisioned",
        "directory.group_provisioned",
        "directory.user_deactivated",
    ] {
        let event = all
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action}"));
        assert!(
            event.actor_ref.starts_with("directory_token:"),
            "{action}: {}",
            event.actor_ref
        );
    }
    assert!(all.iter().any(|e| e.action == "workflow.scope_drift"));
    let orphans = store
        .nhis(&countersign_core::store::NhiFilter {
            orphaned: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(orphans
        .iter()
        .any(|n| n.name == countersign::demo_directory::LEAVERS_AGENT));

    // The agent's calls are the agent's events: drafts, decisions, plans, versions.
    let mut events = Vec::new();
    let mut before = None;
    loop {
        let page = store.events_page(before, 200).await.unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        events.extend(page);
    }
    for action in [
        "change.drafted",
        "access.decided",
        "change.rollback_plan",
        "change.revised",
    ] {
        // A standard change's rollback plan is its template's, written by the console.
        let of_action: Vec<_> = events
            .iter()
            .filter(|e| e.action == action && !e.details.contains("\"from_template\""))
            .collect();
        assert!(!of_action.is_empty(), "no {action} in the demo's ledger");
        for event in of_action {
            assert_eq!(
                (
                    event.actor_label.as_str(),
                    event.actor_ref.starts_with("nhi:")
                ),
                ("spring-offer-drafter", true),
                "{action} #{} must be the agent's event",
                event.seq
            );
        }
    }
    // The standard change: approved by policy under the template Grace and Lukas approved.
    assert!(events.iter().any(|e| e.action == "change.pre_approved"
        && e.actor_label == "Countersign"
        && e.details
            .contains("\"approved_by\":[\"Grace Okafor\",\"Lukas Brandt\"]")));
    assert!(events
        .iter()
        .any(|e| e.action == "change.template_not_applied" && e.details.contains("30%")));
    // People's acts are theirs: a sign-off by the approver, the widening by Sana.
    assert!(events
        .iter()
        .any(|e| e.action == "change.signed_off" && e.actor_label == "Amira Haddad"));
    assert!(events
        .iter()
        .any(|e| e.action == "workflow.scope_drift" && e.actor_label == "Sana Iqbal"));
}
