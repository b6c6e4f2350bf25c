//! A variant set against the real reference system, on SQLite and PostgreSQL: one sign-off
//! approves three locales, each locale is published by its own call exactly once with its own
//! receipt at its own target, the set is rolled back together, and its evidence pack verifies
//! (and a changed variant file does not).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::published::{publishing, Publishing};
use crate::common::sandbox_log;
use crate::core_common::drafting::{decide, provenance, set_draft, LOCALES};
use crate::core_common::gate::approve;
use crate::core_common::{self, signed_in};
use crate::evidence::{explain, replace_file, tampered};
use countersign_core::domain::{ChangeStatus, EffectKind, OutboxState, Role};
use countersign_evidence::verify_pack;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn target_dir(root: &std::path::Path, reference: &str) -> std::path::PathBuf {
    root.join("targets")
        .join(hex::encode(Sha256::digest(reference.as_bytes())))
}

#[tokio::test]
async fn a_set_is_approved_once_published_per_variant_exactly_once_and_rolled_back_together() {
    for db in core_common::both().await {
        let Publishing {
            services,
            g,
            key,
            sandbox,
            dir,
        } = publishing(&db, |s| s).await;
        let decision = decide(&services, &g.session.drafter).await;
        let set = services
            .submit_draft(
                &g.session.drafter,
                set_draft(&g.session, provenance(&[&decision], &["email"]), &LOCALES),
            )
            .await
            .unwrap();

        // One approval (approver + legal reviewer, once each) queues one call per variant.
        approve(&services, &g, &set).await;
        let queued = services.change_effects(&g.approver, &set.id).await.unwrap();
        assert_eq!(queued.len(), 3, "{}", db.name);
        assert!(queued
            .iter()
            .all(|e| e.kind == EffectKind::Publish && e.state == OutboxState::Pending));
        assert_eq!(services.deliver_due_effects().await.unwrap(), 3);
        assert_eq!(
            services.deliver_due_effects().await.unwrap(),
            0,
            "nothing twice"
        );
        let change = services.store().change(&set.id).await.unwrap().unwrap();
        assert_eq!(change.status, ChangeStatus::Published, "{}", db.name);

        // Each variant reached its own target, once, as the bytes that were signed.
        // The calls go out together: each arrives and is applied once, in either order.
        let (mut applied, mut received) = sandbox_log(&sandbox).await;
        applied.sort();
        received.sort();
        assert_eq!(applied.len(), 3);
        assert_eq!(received, applied, "{}: each call delivered once", db.name);
        let delivered = services.change_effects(&g.approver, &set.id).await.unwrap();
        let mut receipts: Vec<String> = delivered
            .iter()
            .map(|e| e.parsed_receipt().unwrap().receipt_id)
            .collect();
        receipts.sort();
        receipts.dedup();
        assert_eq!(receipts.len(), 3, "a receipt per variant");
        for (name, text) in LOCALES {
            let at = target_dir(dir.path(), &format!("campaigns/spring-2027/{name}"));
            let stored: Value =
                serde_json::from_slice(&std::fs::read(at.join("v-1.json")).unwrap()).unwrap();
            assert_eq!(stored["content"]["body"].as_str(), Some(text), "{name}");
            assert_eq!(std::fs::read_to_string(at.join("current")).unwrap(), "v-1");
        }
        let seen = services
            .change_status(&g.session.drafter, &set.id)
            .await
            .unwrap();
        assert_eq!(seen.variants.len(), 3);
        assert_eq!(seen.content_hash, set.current_hash);
        let events = db.store.events_page(None, 40).await.unwrap();
        let count = |action: &str| events.iter().filter(|e| e.action == action).count();
        assert_eq!(count("change.variant_published"), 3, "{}", db.name);
        assert_eq!(count("change.published"), 1);

        // One rollback request restores every target, and the set is rolled back once all are.
        services
            .roll_back_change(&g.approver, &set.id, "the German price is wrong")
            .await
            .unwrap();
        let again = services
            .roll_back_change(&g.approver, &set.id, "twice")
            .await
            .unwrap_err();
        assert!(again.to_string().contains("already under way"), "{again}");
        assert_eq!(services.deliver_due_effects().await.unwrap(), 3);
        let change = services.store().change(&set.id).await.unwrap().unwrap();
        assert_eq!(change.status, ChangeStatus::RolledBack, "{}", db.name);
        for (name, _) in LOCALES {
            let at = target_dir(dir.path(), &format!("campaigns/spring-2027/{name}"));
            assert_eq!(std::fs::read_to_string(at.join("current")).unwrap(), "");
        }
        let (applied, received) = sandbox_log(&sandbox).await;
        assert_eq!((applied.len(), received.len()), (6, 6));

        // The evidence pack proves the set and every variant's bytes and receipt.
        let auditor = signed_in(&services, "audra", &[Role::Auditor]).await;
        let pack = services.change_evidence(&auditor, &set.id).await.unwrap();
        let verdict = verify_pack(&pack.bytes, &key);
        assert!(verdict.passed(), "{}:\n{}", db.name, explain(&verdict));
        let forged = tampered(&pack.bytes, |files, manifest| {
            replace_file(
                files,
                manifest,
                "content/v1/de-DE.txt",
                b"Hallo, 50 % Rabatt".to_vec(),
            );
        });
        let verdict = verify_pack(&forged, &key);
        assert!(
            verdict
                .failures()
                .any(|c| c.name == "content" && c.detail.contains("de-DE")),
            "{}:\n{}",
            db.name,
            explain(&verdict)
        );
    }
}
