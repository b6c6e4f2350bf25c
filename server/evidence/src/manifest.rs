//! `manifest.json`: what a pack says, item by item, with the ledger events that prove each item
//! and the files whose exact bytes the events name by hash.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The manifest's format, named in the file.
pub const FORMAT: &str = "countersign-evidence/1";
pub const MANIFEST: &str = "manifest.json";
pub const CHECKPOINT: &str = "checkpoint.txt";
pub const REPORT: &str = "report.html";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackKind {
    Change,
    Workflow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub kind: PackKind,
    /// `change:<id>` or `workflow:<id>`: the ledger subject the pack is about.
    pub subject: String,
    pub title: String,
    pub log: LogInfo,
    /// The policy and settings in force when the pack was made, by hash, with the settings an
    /// auditor reads (sign-off rules per tier, lifetimes).
    pub in_force: BTreeMap<String, Value>,
    pub sections: Vec<Section>,
    pub files: Vec<FileEntry>,
    pub events: Vec<ProvenEvent>,
}

/// The log the pack's events are proven in, and the checkpoint that covers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogInfo {
    pub origin: String,
    /// The log's public key (signed-note verifier key). An auditor checks the pack against the
    /// key they got from the console's operator, not this copy.
    pub public_key: String,
    pub tree_size: u64,
    /// Standard base64, as in the checkpoint.
    pub root_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// What the section is and what it does not show.
    pub note: String,
    pub items: Vec<Item>,
}

/// One fact: with `event`, every field is read from that ledger event (`actor`, `actor_ref`,
/// `at`, `action` from its envelope, the rest from its details) and the verifier checks each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub heading: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<i64>,
    pub fields: BTreeMap<String, Value>,
    /// A file of the pack this item is about (its content, a decision's record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    /// `sha256:` and hex.
    pub sha256: String,
    pub about: String,
}

/// A ledger event exactly as hashed, with its inclusion proof in the checkpoint's tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenEvent {
    pub seq: i64,
    /// The bytes the event's chain hash and Merkle leaf cover: the previous hash, the envelope's
    /// canonical JSON and the canonical details, each after a newline.
    pub bytes: String,
    /// The audit path, leaf to root, standard base64.
    pub proof: Vec<String>,
}

/// An event's envelope and details, read from its hashed bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    pub seq: i64,
    pub prev_hash: String,
    pub at_ms: i64,
    pub actor_ref: String,
    pub actor_label: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
}

impl ParsedEvent {
    pub fn parse(bytes: &str) -> Option<ParsedEvent> {
        let (prev_hash, rest) = bytes.split_once('\n')?;
        let (envelope, details) = rest.split_once('\n')?;
        let envelope: Value = serde_json::from_str(envelope).ok()?;
        let text = |key: &str| envelope.get(key)?.as_str().map(str::to_owned);
        Some(ParsedEvent {
            seq: envelope.get("seq")?.as_i64()?,
            prev_hash: prev_hash.to_owned(),
            at_ms: envelope.get("at_ms")?.as_i64()?,
            actor_ref: text("actor_ref")?,
            actor_label: text("actor_label")?,
            action: text("action")?,
            subject: text("subject")?,
            details: serde_json::from_str(details).ok()?,
        })
    }

    /// The value an item's field must have when it is read from this event.
    pub fn field(&self, key: &str) -> Option<Value> {
        match key {
            "actor" => Some(Value::String(self.actor_label.clone())),
            "actor_ref" => Some(Value::String(self.actor_ref.clone())),
            "at" => Some(Value::String(crate::time::utc(self.at_ms))),
            "action" => Some(Value::String(self.action.clone())),
            other => self.details.get(other).cloned(),
        }
    }

    pub fn detail_str(&self, key: &str) -> Option<&str> {
        self.details.get(key).and_then(Value::as_str)
    }
}

impl Item {
    /// An item whose fields are read from `event`: the envelope's actor and time, and `keys` of
    /// its details (those it has).
    pub fn from_event(heading: impl Into<String>, event: &ParsedEvent, keys: &[&str]) -> Item {
        let mut fields = BTreeMap::new();
        for key in ["actor", "at"].iter().chain(keys) {
            if let Some(value) = event.field(key) {
                fields.insert((*key).to_owned(), value);
            }
        }
        Item {
            heading: heading.into(),
            event: Some(event.seq),
            fields,
            file: None,
        }
    }
}

impl Manifest {
    /// The manifest's bytes: pretty JSON, keys in a fixed order, so a pack is reproducible.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}
