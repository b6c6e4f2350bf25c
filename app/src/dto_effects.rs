//! What the pages show of effects on connected systems: deliveries, publications, revocations.

use serde::{Deserialize, Serialize};

/// One call to a connected system (or an agent's callback), as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The idempotency key.
    pub id: String,
    /// publish, rollback, revoke, drill, callback.
    pub kind: String,
    /// pending, delivered, dead, cancelled.
    pub state: String,
    /// "Campaign Manager EU", or the callback URL.
    pub destination: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// When a pending delivery is tried next.
    pub next_attempt: Option<String>,
    pub receipt_id: Option<String>,
    /// The version the receipt names as live.
    pub receipt_version: Option<String>,
    pub reason: String,
    pub requested_by: String,
    pub created: String,
    pub finished: Option<String>,
    /// The change it acts for, if any: (id, title).
    pub change: Option<(String, String)>,
    pub workflow: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationView {
    pub version: String,
    pub replaced: Option<String>,
    pub at: String,
}

/// The change page's publication panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEffectsView {
    pub publication: Option<PublicationView>,
    pub deliveries: Vec<DeliveryView>,
    pub may_roll_back: bool,
    pub rollback_under_way: bool,
}

/// A workflow's kill switch, once pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationView {
    pub reason: String,
    pub requested_by: String,
    pub requested_at: String,
    /// "suspended" or "revoked".
    pub identities_to: String,
    pub tokens_ended: i64,
    pub identities: i64,
    pub changes_cancelled: i64,
    pub rollbacks_queued: i64,
    pub systems: i64,
    pub confirmed: usize,
    pub complete: bool,
    /// From the click to the last confirmation, e.g. "1.4 s".
    pub took: Option<String>,
    pub calls: Vec<DeliveryView>,
    pub event_seq: i64,
}

/// The deliveries page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveriesView {
    pub dead: Vec<DeliveryView>,
    pub pending: Vec<DeliveryView>,
    /// Each list holds at most this many, newest first.
    pub listed: usize,
}
