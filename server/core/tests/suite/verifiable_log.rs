//! The ledger as a verifiable log, on SQLite and PostgreSQL: checkpoints sign the Merkle root of
//! exactly the events stored, proofs from the stored tree verify, and a ledger tampered with
//! before it was checkpointed is never vouched for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use countersign_core::domain::Role;
use countersign_core::{Actor, Services};
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
    events
        .iter()
        .map(|e| leaf_hash(&e.hashed_bytes()))
        .collect()
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

/// An attacker with the database's rights: drops every guard, then does what they like.
async fn drop_guards(db: &common::TestDb) {
    let statements: &[&str] = if db.name == "sqlite" {
        &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
            "DROP TRIGGER ledger_checkpoints_no_delete",
        ]
    } else {
        &[
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER",
        ]
    };
    for sql in statements {
        common::raw_sql(db, sql).await.unwrap();
    }
}

/// Rewrites event `seq`'s actor and re-hashes the chain from there, so the chain verifies.
async fn rewrite_and_rehash(db: &common::TestDb, services: &Services, seq: i64) {
    use countersign_core::ledger::event_hash;
    let events = services.store().events_after(0, 1_000_000).await.unwrap();
    let mut prev = events[seq as usize - 2].hash.clone();
    for event in &events[seq as usize - 1..] {
        let label = if event.seq == seq {
            "Mallory"
        } else {
            event.actor_label.as_str()
        };
        let hash = event_hash(
            &prev,
            event.seq,
            event.at_ms,
            &event.actor_ref,
            label,
            &event.action,
            &event.subject,
            &event.details,
        );
        common::raw_sql(
            db,
            &format!(
                "UPDATE audit_events SET actor_label = '{label}', prev_hash = '{prev}', hash = '{hash}' \
                 WHERE seq = {}",
                event.seq
            ),
        )
        .await
        .unwrap();
        prev = hash;
    }
    common::raw_sql(db, &format!("UPDATE ledger_head SET hash = '{prev}'"))
        .await
        .unwrap();
}

#[tokio::test]
async fn verify_names_the_checkpoint_a_truncated_or_rewritten_ledger_contradicts() {
    use countersign_core::services::CheckpointSource;
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let key = SignerKey::generate("countersign.test/ledger").unwrap();
        let verifier = key.verifier();
        let services = services.with_log_key(key);
        people(&services, "a", 6).await;
        services.checkpoint_ledger().await.unwrap().unwrap();
        people(&services, "b", 4).await;
        let kept = services.checkpoint_ledger().await.unwrap().unwrap();
        // What an auditor or the anchor directory keeps outside the database.
        let outside = || {
            vec![CheckpointSource {
                origin: "auditor.checkpoint".to_owned(),
                note: kept.note.clone(),
            }]
        };

        let intact = services
            .verify_log(&Actor::System, &verifier, outside())
            .await
            .unwrap();
        assert!(intact.intact(), "{}: {intact:?}", db.name);
        assert_eq!(intact.events, kept.tree_size);
        assert_eq!(
            intact.matched.len(),
            3,
            "two stored checkpoints and the auditor's"
        );

        // Rewritten, chain re-hashed: the chain verifies, the checkpoints do not.
        drop_guards(&db).await;
        rewrite_and_rehash(&db, &services, 8).await;
        assert!(matches!(
            services.verify_ledger(&Actor::System).await.unwrap(),
            countersign_core::services::LedgerVerification::Intact { .. }
        ));
        let rewritten = services
            .verify_log(&Actor::System, &verifier, outside())
            .await
            .unwrap();
        assert!(rewritten.broken_link.is_none(), "{}", db.name);
        let sources: Vec<&str> = rewritten
            .contradictions
            .iter()
            .map(|c| c.source.as_str())
            .collect();
        assert!(
            sources.contains(&"auditor.checkpoint"),
            "{}: {rewritten:?}",
            db.name
        );
        assert!(rewritten.contradictions[0].problem.contains("rewritten"));
        assert_eq!(
            rewritten.matched.len(),
            1,
            "the first checkpoint predates event 8"
        );

        // Cut off the end, and the database's checkpoints removed with it.
        common::raw_sql(
            &db,
            &format!(
                "DELETE FROM audit_events WHERE seq > {}",
                kept.tree_size - 2
            ),
        )
        .await
        .unwrap();
        common::raw_sql(&db, "DELETE FROM ledger_checkpoints")
            .await
            .unwrap();
        let truncated = services
            .verify_log(&Actor::System, &verifier, outside())
            .await
            .unwrap();
        assert_eq!(
            truncated.contradictions.len(),
            1,
            "{}: {truncated:?}",
            db.name
        );
        assert!(truncated.contradictions[0].problem.contains(&format!(
            "vouches for {} events and the ledger holds {}",
            kept.tree_size,
            kept.tree_size - 2
        )));

        // A checkpoint some other key signed proves nothing.
        let forged = SignerKey::generate("countersign.test/ledger").unwrap();
        let bogus = countersign_transparency::Checkpoint {
            origin: "countersign.test/ledger".to_owned(),
            size: 2,
            root: [0; 32],
        }
        .sign(&forged)
        .unwrap();
        let refused = services
            .verify_log(
                &Actor::System,
                &verifier,
                vec![CheckpointSource {
                    origin: "forged.checkpoint".to_owned(),
                    note: bogus,
                }],
            )
            .await
            .unwrap();
        assert!(refused.contradictions[0]
            .problem
            .contains("not a checkpoint signed by"));
    }
}

#[tokio::test]
async fn a_rotated_key_is_trusted_from_either_side_and_a_forged_rotation_from_neither() {
    use countersign_core::ledger::NewEvent;
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let old = SignerKey::generate("countersign.test/ledger").unwrap();
        let (old_key, new) = (
            old.verifier(),
            SignerKey::generate("countersign.test/ledger").unwrap(),
        );
        let new_key = new.verifier();
        let before = services.with_log_key(old);
        people(&before, "before", 4).await;
        before.checkpoint_ledger().await.unwrap().unwrap();
        // Only the operator rotates, and only to another key of the same log.
        let admin = common::signed_in(&before, "admin", &[Role::SecurityAdmin]).await;
        assert!(before.rotate_log_key(&admin, &new).await.is_err());
        let other_log = SignerKey::generate("elsewhere.test/ledger").unwrap();
        assert!(before
            .rotate_log_key(&Actor::System, &other_log)
            .await
            .is_err());
        before.rotate_log_key(&Actor::System, &new).await.unwrap();

        let (after, _) = common::services(&db);
        let after = after.with_log_key(new);
        people(&after, "after", 3).await;
        let last = after.checkpoint_ledger().await.unwrap().unwrap();
        assert!(Checkpoint::open(&last.note, &new_key).is_ok());
        assert!(
            Checkpoint::open(&last.note, &old_key).is_err(),
            "signed by the new key alone"
        );

        for (who, key) in [("old", &old_key), ("new", &new_key)] {
            let outcome = after
                .verify_log(&Actor::System, key, Vec::new())
                .await
                .unwrap();
            assert!(
                outcome.intact(),
                "{}: verified with the {who} key: {:?}",
                db.name,
                outcome.contradictions
            );
            assert_eq!(
                outcome.matched.len(),
                3,
                "{}: every checkpoint, either side",
                db.name
            );
        }

        // A rotation to a key of the attacker's, written straight into the ledger: the old key
        // never signed it, so the checkpoints it would vouch for do not open.
        let forged = SignerKey::generate("countersign.test/ledger").unwrap();
        let text = format!(
            "countersign log key rotation\ncountersign.test/ledger\nold {old_key}\nnew {}\nafter 0\n",
            forged.verifier()
        );
        let note = format!(
            "{text}\n{}{}",
            forged.signature_line(&text).unwrap(),
            forged.signature_line(&text).unwrap()
        );
        let mut tx = after.store().begin_write(after.now_ms()).await.unwrap();
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "ledger.key_rotated",
            "ledger:countersign.test/ledger",
            serde_json::json!({ "statement": note }),
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (rogue, _) = common::services(&db);
        let rogue = rogue.with_log_key(forged);
        rogue.checkpoint_ledger().await.unwrap().unwrap();
        let outcome = rogue
            .verify_log(&Actor::System, &old_key, Vec::new())
            .await
            .unwrap();
        assert_eq!(
            outcome.contradictions.len(),
            1,
            "{}: {:?}",
            db.name,
            outcome.contradictions
        );
        assert!(outcome.contradictions[0]
            .problem
            .contains("not a checkpoint signed by"));
    }
}
