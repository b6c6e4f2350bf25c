//! The verifiable side of Countersign's ledger, shared by the console, its witness and the
//! offline verifier: RFC 9162 Merkle trees and proofs ([`merkle`]), C2SP signed notes with
//! Ed25519 keys ([`note`]) and checkpoints ([`checkpoint`]). No database and no network.

pub mod checkpoint;
pub mod merkle;
pub mod note;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use merkle::{Hash, Leaves, ProofError};
pub use note::{Note, NoteError, SignerKey, VerifierKey};
