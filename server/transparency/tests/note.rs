//! Signed notes and checkpoints against the Go reference's published example
//! (golang.org/x/mod/sumdb/note): Ed25519 signatures are deterministic, so signing the example's
//! text with the example's key must give the example's note byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use countersign_transparency::note::{Note, NoteError, SignerKey, VerifierKey};
use countersign_transparency::{Checkpoint, CheckpointError};

const SIGNER: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const SIGNED: &str = "If you think cryptography is the answer to your problem,\n\
                      then you don't know what your problem is.\n\
                      \n\
                      \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn signing_the_reference_text_gives_the_reference_note() {
    let signer = SignerKey::parse(SIGNER).unwrap();
    assert_eq!(signer.verifier().to_string(), VERIFIER);
    assert_eq!(signer.sign(TEXT).unwrap(), SIGNED);
    assert_eq!(signer.to_private_string(), SIGNER);
}

#[test]
fn the_reference_note_opens_with_the_reference_key_only() {
    let key = VerifierKey::parse(VERIFIER).unwrap();
    let note = Note::parse(SIGNED).unwrap();
    assert_eq!(note.text, TEXT);
    note.verify(&key).unwrap();
    assert_eq!(note.to_text(), SIGNED);

    let altered = Note::parse(&SIGNED.replace("cryptography", "cryptographY")).unwrap();
    assert_eq!(
        altered.verify(&key),
        Err(NoteError::BadSignature("PeterNeumann".to_owned()))
    );
    let stranger = SignerKey::generate("PeterNeumann").unwrap().verifier();
    assert_eq!(
        note.verify(&stranger),
        Err(NoteError::NotSigned("PeterNeumann".to_owned())),
        "another key of the same name has another id"
    );
}

#[test]
fn malformed_keys_are_refused_by_name() {
    assert!(VerifierKey::parse(VERIFIER).is_ok());
    // Wrong id for the name and key.
    assert_eq!(
        VerifierKey::parse(&VERIFIER.replace("c74f20a3", "c74f20a4")),
        Err(NoteError::WrongKeyId)
    );
    // Every truncation of the key is refused.
    for cut in 1..VERIFIER.len() {
        assert!(
            VerifierKey::parse(&VERIFIER[..cut]).is_err(),
            "{}",
            &VERIFIER[..cut]
        );
    }
    assert!(VerifierKey::parse(
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    )
    .is_err());
    assert!(SignerKey::parse(VERIFIER).is_err());
    assert!(SignerKey::parse(&SIGNER.replace("c74f20a3", "00000000")).is_err());
    assert_eq!(
        SignerKey::generate("has space").unwrap_err(),
        NoteError::BadName
    );
    let debug = format!("{:?}", SignerKey::parse(SIGNER).unwrap());
    assert!(!debug.contains("AYEKF"), "{debug}");
}

#[test]
fn malformed_notes_are_refused() {
    for bad in [
        "",
        TEXT,
        "no newline at the end\n\n\u{2014} PeterNeumann x08go\n",
        &SIGNED.replace('\u{2014}', "-"),
        &SIGNED[..SIGNED.len() - 1],
        &format!("{TEXT}\n"),
    ] {
        assert!(Note::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn checkpoints_sign_and_open_and_name_what_is_wrong() {
    let key = SignerKey::generate("countersign.example.com/ledger").unwrap();
    let checkpoint = Checkpoint {
        origin: "countersign.example.com/ledger".to_owned(),
        size: 1234,
        root: [7; 32],
    };
    let note = checkpoint.sign(&key).unwrap();
    assert!(note.starts_with(
        "countersign.example.com/ledger\n1234\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} countersign.example.com/ledger "
    ));
    let (opened, _) = Checkpoint::open(&note, &key.verifier()).unwrap();
    assert_eq!(opened, checkpoint);

    let other = SignerKey::generate("another.example/log").unwrap();
    let foreign = checkpoint.sign(&other).unwrap();
    assert!(matches!(
        Checkpoint::open(&foreign, &other.verifier()),
        Err(CheckpointError::WrongOrigin { .. })
    ));
    assert!(matches!(
        Checkpoint::open(&note.replace("1234", "1235"), &key.verifier()),
        Err(CheckpointError::Note(NoteError::BadSignature(_)))
    ));
    for body in [
        "origin\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        "origin\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        "origin\n1\nBwcH\n",
        "origin with space\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
    ] {
        assert!(Checkpoint::parse_body(body).is_err(), "{body:?}");
    }
}
