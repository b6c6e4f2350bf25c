//! Evidence packs: everything that decided a change (or shaped a workflow) in one file an auditor
//! carries away and checks without Countersign. A pack is a tar of a `manifest.json`, the exact
//! bytes it cites (content versions, provenance, access decisions), the signed checkpoint that
//! covers its ledger events, and a `report.html` rendered from the manifest. The verifier trusts
//! none of it but the log's public key it is given.

pub mod manifest;
pub mod report;
pub mod tar;
pub mod time;
pub mod verify;

pub use manifest::{FileEntry, Item, LogInfo, Manifest, PackKind, ProvenEvent, Section};
pub use verify::{verify_pack, Check, Verdict};

/// `sha256:` and the lower-case hex SHA-256 of `bytes`: how Countersign names content.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}
