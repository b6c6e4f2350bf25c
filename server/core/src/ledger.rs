//! The append-only, hash-chained audit ledger.
//!
//! Each event's hash is SHA-256 over the previous event's hash and a canonical encoding of the
//! event (JSON with sorted keys and no insignificant whitespace). Changing, removing or reordering
//! any stored event breaks every later link, which `verify_chain` finds.

use crate::actor::Actor;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The previous hash of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended; sequence, time and hashes are assigned by the store inside the
/// transaction of the change it records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub actor_ref: String,
    pub actor_label: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
}

impl NewEvent {
    /// An event by `actor`. What an identity does through MCP is marked `"via": "mcp"`, so the
    /// ledger tells it apart from the same command sent to the HTTP API.
    pub fn new(
        actor: &Actor,
        action: &str,
        subject: impl Into<String>,
        mut details: Value,
    ) -> Self {
        if actor.via() == Some(crate::actor::Via::Mcp) {
            if let Value::Object(fields) = &mut details {
                fields.insert(
                    "via".to_owned(),
                    Value::from(crate::actor::Via::Mcp.as_str()),
                );
            }
        }
        Self {
            actor_ref: actor.reference(),
            actor_label: actor.label(),
            action: action.to_owned(),
            subject: subject.into(),
            details,
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_ref: String,
    pub actor_label: String,
    pub action: String,
    pub subject: String,
    /// Canonical JSON text, exactly as hashed.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    pub fn at(&self) -> DateTime<Utc> {
        crate::clock::from_millis(self.at_ms)
    }
}

/// Writes `value` as JSON with object keys sorted, whatever map ordering serde_json was built with.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(inner) = map.get(key) {
                    write_canonical(inner, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The bytes an event's chain hash covers (and its Merkle leaf hashes): the previous hash, the
/// envelope's canonical JSON and the canonical details, each after a newline.
#[allow(clippy::too_many_arguments)]
pub fn hashed_bytes(
    prev_hash: &str,
    seq: i64,
    at_ms: i64,
    actor_ref: &str,
    actor_label: &str,
    action: &str,
    subject: &str,
    canonical_details: &str,
) -> Vec<u8> {
    let envelope = Envelope {
        action,
        actor_label,
        actor_ref,
        at_ms,
        seq,
        subject,
    };
    let mut bytes = Vec::with_capacity(prev_hash.len() + canonical_details.len() + 256);
    bytes.extend_from_slice(prev_hash.as_bytes());
    bytes.push(b'\n');
    if serde_json::to_writer(&mut bytes, &envelope).is_err() {
        // Strings and integers always serialize; kept total rather than trusted.
        bytes.extend_from_slice(
            canonical_json(&serde_json::json!(envelope_value(&envelope))).as_bytes(),
        );
    }
    bytes.push(b'\n');
    bytes.extend_from_slice(canonical_details.as_bytes());
    bytes
}

/// An event's envelope, its fields in sorted order: serialized directly it is the canonical JSON
/// of the same object, without building a map per event (the hot path of `audit verify`).
#[derive(serde::Serialize)]
struct Envelope<'a> {
    action: &'a str,
    actor_label: &'a str,
    actor_ref: &'a str,
    at_ms: i64,
    seq: i64,
    subject: &'a str,
}

fn envelope_value(e: &Envelope<'_>) -> Value {
    serde_json::json!({
        "seq": e.seq,
        "at_ms": e.at_ms,
        "actor_ref": e.actor_ref,
        "actor_label": e.actor_label,
        "action": e.action,
        "subject": e.subject,
    })
}

/// The fields that are hashed, in the canonical encoding.
#[allow(clippy::too_many_arguments)]
pub fn event_hash(
    prev_hash: &str,
    seq: i64,
    at_ms: i64,
    actor_ref: &str,
    actor_label: &str,
    action: &str,
    subject: &str,
    canonical_details: &str,
) -> String {
    hex::encode(Sha256::digest(hashed_bytes(
        prev_hash,
        seq,
        at_ms,
        actor_ref,
        actor_label,
        action,
        subject,
        canonical_details,
    )))
}

impl StoredEvent {
    /// Builds the stored form of `event` as the successor of (`seq - 1`, `prev_hash`).
    pub fn seal(event: &NewEvent, seq: i64, at_ms: i64, prev_hash: &str) -> Self {
        let details = canonical_json(&event.details);
        let hash = event_hash(
            prev_hash,
            seq,
            at_ms,
            &event.actor_ref,
            &event.actor_label,
            &event.action,
            &event.subject,
            &details,
        );
        Self {
            seq,
            at_ms,
            actor_ref: event.actor_ref.clone(),
            actor_label: event.actor_label.clone(),
            action: event.action.clone(),
            subject: event.subject.clone(),
            details,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }

    /// The bytes the event's chain hash covers — and that its Merkle leaf hashes.
    pub fn hashed_bytes(&self) -> Vec<u8> {
        hashed_bytes(
            &self.prev_hash,
            self.seq,
            self.at_ms,
            &self.actor_ref,
            &self.actor_label,
            &self.action,
            &self.subject,
            &self.details,
        )
    }
}

/// Where a chain stops being valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    pub problem: String,
}

/// Checks events in sequence order, continuing from (`last_seq`, `last_hash`). Used in pages so
/// that a large ledger is verified without loading it whole.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
    verified: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
            verified: 0,
        }
    }
}

/// Whether the event's stored hash is the lower-case hex SHA-256 of `bytes`.
pub fn hash_matches(event: &StoredEvent, bytes: &[u8]) -> bool {
    let mut stored = [0u8; 32];
    hex::decode_to_slice(&event.hash, &mut stored).is_ok()
        && !event.hash.bytes().any(|b| b.is_ascii_uppercase())
        && Sha256::digest(bytes).as_slice() == stored
}

impl ChainVerifier {
    /// A verifier that continues after event `seq`, whose hash is `hash`.
    pub fn after(seq: i64, hash: &str) -> Self {
        Self {
            last_seq: seq,
            last_hash: hash.to_owned(),
            verified: 0,
        }
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn verified(&self) -> u64 {
        self.verified
    }

    pub fn check(&mut self, event: &StoredEvent) -> Result<(), BrokenLink> {
        self.check_hashed(event, &event.hashed_bytes())
    }

    /// `check` for a caller that also needs the event's hashed bytes (its Merkle leaf): the
    /// event is serialised once.
    pub fn check_hashed(&mut self, event: &StoredEvent, bytes: &[u8]) -> Result<(), BrokenLink> {
        self.check_linked(event, hash_matches(event, bytes))
    }

    /// `check` with whether the event's stored hash matches its bytes already known (computed
    /// elsewhere, say on another thread).
    pub fn check_linked(
        &mut self,
        event: &StoredEvent,
        hash_matches: bool,
    ) -> Result<(), BrokenLink> {
        let broken = |problem: String| BrokenLink {
            seq: event.seq,
            problem,
        };
        if event.seq != self.last_seq + 1 {
            return Err(broken(format!(
                "expected sequence {} after {}, found {}",
                self.last_seq + 1,
                self.last_seq,
                event.seq
            )));
        }
        if event.prev_hash != self.last_hash {
            return Err(broken(
                "previous-hash does not match the hash of the event before it".to_owned(),
            ));
        }
        if !hash_matches {
            return Err(broken(
                "stored hash does not match the event's contents (the event was altered)"
                    .to_owned(),
            ));
        }
        self.last_seq = event.seq;
        self.last_hash = event.hash.clone();
        self.verified += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(action: &str) -> NewEvent {
        NewEvent::new(
            &Actor::System,
            action,
            "ledger",
            json!({"b": 1, "a": [true, null]}),
        )
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value = json!({"z": {"y": 1, "x": 2}, "a": "é\"", "m": [ {"k": 1, "j": 2} ]});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":"é\"","m":[{"j":2,"k":1}],"z":{"x":2,"y":1}}"#
        );
    }

    #[test]
    fn a_sealed_chain_verifies_and_any_edit_breaks_it() {
        let first = StoredEvent::seal(&event("one"), 1, 1_000, GENESIS_HASH);
        let second = StoredEvent::seal(&event("two"), 2, 2_000, &first.hash);
        let mut verifier = ChainVerifier::default();
        assert!(verifier.check(&first).is_ok());
        assert!(verifier.check(&second).is_ok());
        assert_eq!(verifier.verified(), 2);

        let mut altered = second.clone();
        altered.details = r#"{"a":[true,null],"b":2}"#.to_owned();
        let mut verifier = ChainVerifier::default();
        assert!(verifier.check(&first).is_ok());
        let broken = verifier.check(&altered).unwrap_err();
        assert_eq!(broken.seq, 2);
        assert!(broken.problem.contains("altered"));
    }

    #[test]
    fn a_missing_event_is_found() {
        let first = StoredEvent::seal(&event("one"), 1, 1_000, GENESIS_HASH);
        let second = StoredEvent::seal(&event("two"), 2, 2_000, &first.hash);
        let third = StoredEvent::seal(&event("three"), 3, 3_000, &second.hash);
        let mut verifier = ChainVerifier::default();
        assert!(verifier.check(&first).is_ok());
        let broken = verifier.check(&third).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.problem.contains("expected sequence 2"));
    }

    #[test]
    fn the_envelope_serializes_as_its_canonical_json() {
        for (label, subject) in [
            ("Amira Haddad", "change:0190"),
            ("Zoë \"quoted\" \\ back\u{1}slash \u{2028} ✓", "weird:\n\t"),
        ] {
            let e = super::Envelope {
                action: "change.approved",
                actor_label: label,
                actor_ref: "human:01",
                at_ms: -5,
                seq: 42,
                subject,
            };
            let direct = serde_json::to_string(&e).unwrap_or_default();
            assert_eq!(direct, canonical_json(&super::envelope_value(&e)));
        }
    }
}
