//! The witness protocol: a witness cosigns a log's checkpoints only along one consistent
//! history, and says with the protocol's status why it refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use countersign_transparency::merkle::{consistency_proof, leaf_hash, root, Hash};
use countersign_transparency::note::Note;
use countersign_transparency::witness::{
    judge, AddCheckpoint, Cosigner, CosignerKey, Seen, WitnessError,
};
use countersign_transparency::{Checkpoint, SignerKey};

const ORIGIN: &str = "countersign.test/ledger";

fn leaves(n: usize, salt: &str) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("{salt}{i}").as_bytes()))
        .collect()
}

fn signed(key: &SignerKey, leaves: &[Hash], size: u64) -> String {
    Checkpoint {
        origin: ORIGIN.to_owned(),
        size,
        root: root(leaves, size),
    }
    .sign(key)
    .unwrap()
}

#[test]
fn a_witness_follows_one_consistent_history_and_cosigns_it() {
    let log = SignerKey::generate(ORIGIN).unwrap();
    let log_key = log.verifier();
    let witness = Cosigner::generate("witness.test/w1");
    let history = leaves(40, "event ");

    let first = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: signed(&log, &history, 10),
    };
    let encoded = first.encode();
    assert!(encoded.starts_with("old 0\n\ncountersign.test/ledger\n10\n"));
    assert_eq!(AddCheckpoint::parse(&encoded).unwrap(), first);
    let (seen, checkpoint) = judge(&first, Some(&log_key), None).unwrap();
    assert_eq!(seen.size, 10);

    // The cosignature verifies on the checkpoint, with its time, and only there.
    let line = witness.cosign(&checkpoint.body(), 1_767_225_600);
    let cosigned = format!("{}{}", first.checkpoint, line.line());
    let note = Note::parse(&cosigned).unwrap();
    note.verify(&log_key).unwrap();
    let witness_key = CosignerKey::parse(&witness.verifier().to_string()).unwrap();
    assert_eq!(witness_key.verify(&note), Some(1_767_225_600));
    let other = Note::parse(&format!("{}{}", signed(&log, &history, 11), line.line())).unwrap();
    assert_eq!(
        witness_key.verify(&other),
        None,
        "a cosignature is for one checkpoint"
    );

    let second = AddCheckpoint {
        old_size: 10,
        proof: consistency_proof(history.as_slice(), 10, 40).unwrap(),
        checkpoint: signed(&log, &history, 40),
    };
    let request = AddCheckpoint::parse(&second.encode()).unwrap();
    let (seen, _) = judge(&request, Some(&log_key), Some(seen)).unwrap();
    assert_eq!(
        seen,
        Seen {
            size: 40,
            root: root(history.as_slice(), 40)
        }
    );
}

#[test]
fn a_witness_refuses_with_the_protocols_status() {
    let log = SignerKey::generate(ORIGIN).unwrap();
    let log_key = log.verifier();
    let history = leaves(20, "event ");
    let seen = Seen {
        size: 8,
        root: root(history.as_slice(), 8),
    };
    let request = |old: u64, proof: Vec<Hash>, note: String| AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: note,
    };
    let good_proof = consistency_proof(history.as_slice(), 8, 20).unwrap();

    // The log thinks the witness is elsewhere: 409 with the size the witness has.
    let stale = judge(
        &request(5, vec![], signed(&log, &history, 20)),
        Some(&log_key),
        Some(seen),
    );
    assert_eq!(stale.unwrap_err(), WitnessError::SizeMismatch(8));
    assert_eq!(WitnessError::SizeMismatch(8).status(), 409);

    // Another history of the same length as the one seen: a fork.
    let forked = leaves(20, "rewritten ");
    let fork = judge(
        &request(8, vec![], signed(&log, &forked, 8)),
        Some(&log_key),
        Some(seen),
    );
    assert_eq!(fork.unwrap_err(), WitnessError::Fork);

    // A longer history that does not extend the one seen: the proof fails, 422.
    let proof = consistency_proof(forked.as_slice(), 8, 20).unwrap();
    let err = judge(
        &request(8, proof, signed(&log, &forked, 20)),
        Some(&log_key),
        Some(seen),
    )
    .unwrap_err();
    assert!(matches!(err, WitnessError::Inconsistent(_)));
    assert_eq!(err.status(), 422);

    // Signed by a key the witness does not trust for the log: 403. Unknown log: 404.
    let impostor = SignerKey::generate(ORIGIN).unwrap();
    let err = judge(
        &request(8, good_proof.clone(), signed(&impostor, &history, 20)),
        Some(&log_key),
        Some(seen),
    )
    .unwrap_err();
    assert_eq!(err.status(), 403);
    let err = judge(
        &request(8, good_proof.clone(), signed(&log, &history, 20)),
        None,
        Some(seen),
    )
    .unwrap_err();
    assert_eq!(
        (err.status(), err.clone()),
        (404, WitnessError::UnknownLog(ORIGIN.to_owned()))
    );

    // Old size above the checkpoint's: 400.
    let err = judge(
        &request(30, vec![], signed(&log, &history, 20)),
        Some(&log_key),
        Some(seen),
    )
    .unwrap_err();
    assert_eq!(err.status(), 400);

    // And the right request passes.
    judge(
        &request(8, good_proof, signed(&log, &history, 20)),
        Some(&log_key),
        Some(seen),
    )
    .unwrap();

    for body in [
        "",
        "old 01\n\nx",
        "old x\n\nx",
        "new 0\n\nx",
        "old 0\nnot base64\n\nx",
    ] {
        assert_eq!(
            AddCheckpoint::parse(body).unwrap_err().status(),
            400,
            "{body:?}"
        );
    }
}
