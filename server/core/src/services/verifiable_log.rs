//! The ledger as a verifiable log: its events are the leaves of an RFC 9162 Merkle tree kept
//! beside the hash chain, and a checkpoint (C2SP signed note) of the tree's size and root is
//! signed with the log key — a key that lives outside the database, so whoever can write the
//! database still cannot forge what the console once signed.

use super::Services;
use crate::error::{CoreError, CoreResult};
use crate::ledger::ChainVerifier;
use crate::store::{LogTx, NodeKey, StoredCheckpoint};
use countersign_transparency::merkle::{self, Hash, Leaves};
use countersign_transparency::{Checkpoint, SignerKey, VerifierKey};
use std::collections::HashMap;
use std::sync::Arc;

/// The ledger's stored data contradicts itself (logged by adapters, never shown).
fn corrupt(problem: String) -> CoreError {
    CoreError::Store(crate::store::StoreError::Corrupt(problem))
}

/// Events added to the tree per transaction: the ledger's lock is held for one batch at a time.
const BATCH: i64 = 5_000;

/// What an auditor is shown of the log: its public key, its latest checkpoint, the ledger's size.
#[derive(Debug, Clone)]
pub struct LogStatus {
    pub public_key: Option<String>,
    pub latest: Option<StoredCheckpoint>,
    pub events: i64,
}

impl Services {
    /// The log's public key and latest checkpoint, for the Audit page.
    pub async fn log_status(&self, actor: &crate::actor::Actor) -> CoreResult<LogStatus> {
        self.authorize(
            actor,
            crate::policy::Action::ViewAudit,
            &crate::policy::Resource::Ledger,
        )?;
        let mut latest = self.store.latest_checkpoint().await?;
        // Shown as one note: the log's signature, then each witness's cosignature.
        if let Some(checkpoint) = latest.as_mut() {
            for line in self.store.cosignatures(checkpoint.tree_size).await? {
                checkpoint.note.push_str(&line);
                if !line.ends_with('\n') {
                    checkpoint.note.push('\n');
                }
            }
        }
        Ok(LogStatus {
            public_key: self.log_verifier().map(|k| k.to_string()),
            latest,
            events: self.store.event_count().await?,
        })
    }

    /// The key that signs checkpoints (from the operator's key file).
    pub fn with_log_key(mut self, key: SignerKey) -> Self {
        self.log_key = Some(Arc::new(key));
        self
    }

    /// The log's public key, as auditors and witnesses are given it.
    pub fn log_verifier(&self) -> Option<VerifierKey> {
        self.log_key.as_ref().map(|k| k.verifier())
    }

    /// Adds the events not yet in the tree (checking their chain as it goes) and, when the tree
    /// grew since the last checkpoint, signs and stores a new one. Safe to run from several
    /// processes at once: the ledger's lock orders them.
    #[tracing::instrument(skip_all)]
    pub async fn checkpoint_ledger(&self) -> CoreResult<Option<StoredCheckpoint>> {
        let key = self
            .log_key
            .clone()
            .ok_or_else(|| CoreError::Conflict("no log key is configured".to_owned()))?;
        loop {
            let mut tx = self.store.begin_log_write().await?;
            let added = extend_tree(&mut tx).await?;
            tx.commit_log().await?;
            if added < BATCH as u64 {
                break;
            }
        }
        let size = self.store.log_size().await?;
        let latest = self.store.latest_checkpoint().await?;
        if size == 0 || latest.as_ref().is_some_and(|c| c.tree_size >= size) {
            return Ok(None);
        }
        let root = self.log_root(size).await?;
        let checkpoint = Checkpoint {
            origin: key.name().to_owned(),
            size,
            root,
        };
        let note = checkpoint
            .sign(&key)
            .map_err(|e| corrupt(format!("cannot sign a checkpoint: {e}")))?;
        let stored = StoredCheckpoint {
            tree_size: size,
            root_hash: root,
            note,
            key_name: key.name().to_owned(),
            key_id: hex::encode(key.verifier().id()),
            signed_at_ms: self.now_ms(),
        };
        let mut tx = self.store.begin_log_write().await?;
        let inserted = tx.insert_checkpoint(&stored).await?;
        tx.commit_log().await?;
        if inserted {
            tracing::info!(size, "ledger checkpoint signed");
            Ok(Some(stored))
        } else {
            Ok(None)
        }
    }

    /// Keeps a witness's cosignature on the checkpoint of `tree_size`, after checking it against
    /// the witness's key; false when that witness's cosignature is there already.
    pub async fn record_cosignature(
        &self,
        checkpoint: &StoredCheckpoint,
        witness: &countersign_transparency::witness::CosignerKey,
        line: &str,
    ) -> CoreResult<bool> {
        let note = countersign_transparency::Note::parse(&format!("{}{line}", checkpoint.note))
            .map_err(|e| CoreError::invalid("cosignature", e.to_string()))?;
        let Some(timestamp) = witness.verify(&note) else {
            return Err(CoreError::invalid(
                "cosignature",
                format!(
                    "no valid cosignature by {} on this checkpoint",
                    witness.name()
                ),
            ));
        };
        let line = note
            .signatures
            .iter()
            .find(|s| s.name == witness.name() && s.key_id == witness.id())
            .map(|s| s.line())
            .unwrap_or_default();
        let mut tx = self.store.begin_log_write().await?;
        let kept = tx
            .insert_cosignature(
                checkpoint.tree_size,
                witness.name(),
                &line,
                i64::try_from(timestamp).unwrap_or(i64::MAX),
            )
            .await?;
        tx.commit_log().await?;
        Ok(kept)
    }

    /// The root of the first `size` events, from the stored subtrees.
    pub async fn log_root(&self, size: u64) -> CoreResult<Hash> {
        let nodes = StoredNodes::load(self, size, |leaves| {
            merkle::root(leaves, size);
        })
        .await?;
        Ok(merkle::root(&nodes, size))
    }

    /// The inclusion proof of event `seq` in the tree of the first `size` events.
    pub async fn log_inclusion_proof(&self, seq: i64, size: u64) -> CoreResult<Vec<Hash>> {
        let index = u64::try_from(seq - 1).map_err(|_| CoreError::NotFound("event"))?;
        let proof = |leaves: &dyn Leaves| merkle::inclusion_proof(leaves, index, size);
        let nodes = StoredNodes::load(self, size, |l| {
            let _ = proof(l);
        })
        .await?;
        proof(&nodes).map_err(|e| CoreError::invalid("seq", e.to_string()))
    }

    /// The proof that the tree of `first` events is a prefix of the tree of `second`.
    pub async fn log_consistency_proof(&self, first: u64, second: u64) -> CoreResult<Vec<Hash>> {
        let proof = |leaves: &dyn Leaves| merkle::consistency_proof(leaves, first, second);
        let nodes = StoredNodes::load(self, second, |l| {
            let _ = proof(l);
        })
        .await?;
        proof(&nodes).map_err(|e| CoreError::invalid("from", e.to_string()))
    }
}

/// Adds up to `BATCH` events after the tree's last leaf, with every subtree they complete.
/// Refuses to add an event whose chain link is broken: a checkpoint must never vouch for a
/// ledger that was already tampered with.
async fn extend_tree(tx: &mut Box<dyn LogTx>) -> CoreResult<u64> {
    let size = tx.log_size_in_tx().await?;
    let start = size as i64;
    let mut verifier = if size == 0 {
        ChainVerifier::default()
    } else {
        let previous = tx.events_after_in_tx(start - 1, 1).await?;
        let previous = previous.first().ok_or_else(|| {
            corrupt(format!(
                "the ledger's tree holds {size} events but event {size} is gone"
            ))
        })?;
        ChainVerifier::after(previous.seq, &previous.hash)
    };
    let events = tx.events_after_in_tx(start, BATCH).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut leaves = Vec::with_capacity(events.len());
    for event in &events {
        let bytes = event.hashed_bytes();
        verifier.check_hashed(event, &bytes).map_err(|link| {
            corrupt(format!(
                "the ledger's chain is broken at event {}: {}; no checkpoint covers it",
                link.seq, link.problem
            ))
        })?;
        leaves.push(((0, size + leaves.len() as u64), merkle::leaf_hash(&bytes)));
    }
    let mut new_nodes: Vec<(NodeKey, Hash)> = leaves;
    // Level by level, the parents the new nodes complete (a parent's left child may be old).
    let mut level_start = 0;
    let mut level: u32 = 0;
    let mut count_before = size;
    loop {
        let this_level: Vec<(NodeKey, Hash)> = new_nodes[level_start..].to_vec();
        if this_level.is_empty() {
            break;
        }
        let first_new = this_level[0].0 .1;
        let count_after = count_before + this_level.len() as u64;
        let mut known: HashMap<u64, Hash> = this_level.iter().map(|((_, i), h)| (*i, *h)).collect();
        if first_new % 2 == 1 {
            let left = tx
                .log_node_in_tx((level, first_new - 1))
                .await?
                .ok_or_else(|| {
                    corrupt(format!(
                        "the ledger's tree lacks node {} at level {level}",
                        first_new - 1
                    ))
                })?;
            known.insert(first_new - 1, left);
        }
        let parents_before = count_before / 2;
        let parents_after = count_after / 2;
        level_start = new_nodes.len();
        for parent in parents_before..parents_after {
            let hash = merkle::node_hash(&known[&(2 * parent)], &known[&(2 * parent + 1)]);
            new_nodes.push(((level + 1, parent), hash));
        }
        level += 1;
        count_before = parents_before;
    }
    tx.insert_log_nodes(&new_nodes).await?;
    Ok(events.len() as u64)
}

/// The stored subtrees a computation over the first `size` leaves needs, loaded in one query:
/// the computation is run once over a recorder that notes which complete subtrees it asks for,
/// then again over what was loaded.
struct StoredNodes {
    size: u64,
    nodes: HashMap<NodeKey, Hash>,
}

impl StoredNodes {
    async fn load(
        services: &Services,
        size: u64,
        compute: impl Fn(&dyn Leaves),
    ) -> CoreResult<StoredNodes> {
        let recorder = Recorder {
            size,
            wanted: std::cell::RefCell::new(Vec::new()),
        };
        compute(&recorder);
        let wanted = recorder.wanted.into_inner();
        let nodes = services.store.log_nodes(&wanted).await?;
        if let Some(missing) = wanted.iter().find(|k| !nodes.contains_key(k)) {
            return Err(corrupt(format!(
                "the ledger's tree lacks node {} at level {} (tree size {size})",
                missing.1, missing.0
            )));
        }
        Ok(StoredNodes { size, nodes })
    }
}

/// Splits `lo..hi` into the complete subtrees that make it up, as RFC 9162 does.
fn complete_subtrees(lo: u64, hi: u64, visit: &mut dyn FnMut(NodeKey)) {
    let n = hi - lo;
    if n.is_power_of_two() && lo & (n - 1) == 0 {
        visit((n.trailing_zeros(), lo / n));
        return;
    }
    let k = 1u64 << (63 - (n - 1).leading_zeros());
    complete_subtrees(lo, lo + k, visit);
    complete_subtrees(lo + k, hi, visit);
}

struct Recorder {
    size: u64,
    wanted: std::cell::RefCell<Vec<NodeKey>>,
}

impl Leaves for Recorder {
    fn size(&self) -> u64 {
        self.size
    }

    fn range_hash(&self, lo: u64, hi: u64) -> Hash {
        complete_subtrees(lo, hi, &mut |key| self.wanted.borrow_mut().push(key));
        [0; 32]
    }
}

impl Leaves for StoredNodes {
    fn size(&self) -> u64 {
        self.size
    }

    fn range_hash(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n.is_power_of_two() && lo & (n - 1) == 0 {
            return self.nodes[&(n.trailing_zeros(), lo / n)];
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        merkle::node_hash(&self.range_hash(lo, lo + k), &self.range_hash(lo + k, hi))
    }
}
