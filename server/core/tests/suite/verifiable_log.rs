//! The ledger as a verifiable log, on SQLite and PostgreSQL: checkpoints sign the Merkle root of
//! exactly the events stored, proofs from the stored tree verify, and a ledger tampered with
//! before it was checkpointed is never vouched for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use countersign_core::domain::Role;
use countersign_core::Services;
use countersign_transparency::merkle::{
    leaf_hash, root, verify_consistency, verify_inclusion, Hash,
};
use countersign_transparency::{Checkpoint, SignerKey};

async fn people(services: &Services, prefix: &str, n: usize) {
    for i in 0..n {
        common::signed_in(services, &format!("{prefix}-{i}"), &[Role::Auditor]).await;
    }
}

/// Every event's leaf, recomputed from the events as stored.
async fn leaves(services: &Services) -> Vec<Hash> {
    let events = services.store().events_after(0, 1_000_000).await.unwrap();
    events.iter().map(|e| leaf_hash(&e.leaf_bytes())).collect()
}

#[tokio::test]
async fn checkpoints_sign_the_root_of_the_events_and_proofs_verify() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let key = SignerKey::generate("countersign.test/ledger").unwrap();
        let verifier = key.verifier();
        let services = services.with_log_key(key);

        people(&services, "first", 5).await;
        let first = services
            .checkpoint_ledger()
            .await
            .unwrap()
            .expect("a first checkpoint");
        let ours = leaves(&services).await;
        assert_eq!(first.tree_size, ours.len() as u64, "{}", db.name);
        assert_eq!(first.root_hash, root(ours.as_slice(), first.tree_size));
        let (opened, _) = Checkpoint::open(&first.note, &verifier).unwrap();
        assert_eq!(
            (opened.size, opened.root),
            (first.tree_size, first.root_hash)
        );
        assert!(
            services.checkpoint_ledger().await.unwrap().is_none(),
            "{}: nothing new, no new checkpoint",
            db.name
        );

        // Enough events to fill several levels of the tree, in two checkpoints.
        people(&services, "second", 37).await;
        let second = services.checkpoint_ledger().await.unwrap().unwrap();
        let ours = leaves(&services).await;
        assert_eq!(second.tree_size, ours.len() as u64);
        assert_eq!(second.root_hash, root(ours.as_slice(), second.tree_size));
        let proof = services
            .log_consistency_proof(first.tree_size, second.tree_size)
            .await
            .unwrap();
        verify_consistency(
            first.tree_size,
            second.tree_size,
            &first.root_hash,
            &second.root_hash,
            &proof,
        )
        .unwrap();
        for seq in 1..=second.tree_size as i64 {
            let proof = services
                .log_inclusion_proof(seq, second.tree_size)
                .await
                .unwrap();
            verify_inclusion(
                &ours[seq as usize - 1],
                seq as u64 - 1,
                second.tree_size,
                &proof,
                &second.root_hash,
            )
            .unwrap_or_else(|e| panic!("{}: event {seq}: {e}", db.name));
        }
        // Proofs into the older checkpoint come from the same stored tree.
        let proof = services
            .log_inclusion_proof(3, first.tree_size)
            .await
            .unwrap();
        verify_inclusion(&ours[2], 2, first.tree_size, &proof, &first.root_hash).unwrap();
        assert!(services
            .log_inclusion_proof(second.tree_size as i64 + 1, second.tree_size)
            .await
            .is_err());
    }
}

#[tokio::test]
async fn an_event_altered_before_its_checkpoint_stops_the_checkpointer() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let services =
            services.with_log_key(SignerKey::generate("countersign.test/ledger").unwrap());
        people(&services, "a", 3).await;
        let signed = services.checkpoint_ledger().await.unwrap().unwrap();
        people(&services, "b", 2).await;
        let disable = if db.name == "sqlite" {
            "DROP TRIGGER audit_events_no_update"
        } else {
            "ALTER TABLE audit_events DISABLE TRIGGER USER"
        };
        common::raw_sql(&db, disable).await.unwrap();
        let tampered = signed.tree_size + 1;
        common::raw_sql(
            &db,
            &format!("UPDATE audit_events SET actor_label = 'Mallory' WHERE seq = {tampered}"),
        )
        .await
        .unwrap();
        let refusal = services.checkpoint_ledger().await.unwrap_err().to_string();
        assert!(
            refusal.contains(&format!("broken at event {tampered}")),
            "{}: {refusal}",
            db.name
        );
        let latest = services.store().latest_checkpoint().await.unwrap().unwrap();
        assert_eq!(
            latest.tree_size, signed.tree_size,
            "{}: nothing vouches for it",
            db.name
        );
    }
}

#[tokio::test]
async fn checkpoints_and_the_tree_are_append_only() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let services =
            services.with_log_key(SignerKey::generate("countersign.test/ledger").unwrap());
        people(&services, "a", 2).await;
        services.checkpoint_ledger().await.unwrap().unwrap();
        for sql in [
            "UPDATE ledger_checkpoints SET tree_size = 1",
            "DELETE FROM ledger_checkpoints",
            "UPDATE ledger_tree SET idx = idx + 100",
        ] {
            let refused = common::raw_sql(&db, sql).await.unwrap_err().to_string();
            assert!(
                refused.contains("append-only"),
                "{}: {sql}: {refused}",
                db.name
            );
        }
    }
}
