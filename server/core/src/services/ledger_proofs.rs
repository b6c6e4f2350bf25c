//! The log's checkpoints and proofs as auditors and their tools ask for them: every size and
//! event named in a request is checked against the tree as it is, so a request past its end is
//! an answer that says so, not a proof over leaves that do not exist.

use super::Services;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};
use crate::store::StoredCheckpoint;
use countersign_transparency::merkle::Hash;

/// The latest signed checkpoint with the witnesses' cosignatures kept for it.
#[derive(Debug, Clone)]
pub struct CosignedCheckpoint {
    pub checkpoint: StoredCheckpoint,
    /// Cosignature lines, each exactly as its witness returned it.
    pub cosignatures: Vec<String>,
}

impl CosignedCheckpoint {
    /// The signed note with every cosignature appended: one note a verifier reads whole.
    pub fn note(&self) -> String {
        let mut note = self.checkpoint.note.clone();
        for line in &self.cosignatures {
            note.push_str(line);
            if !line.ends_with('\n') {
                note.push('\n');
            }
        }
        note
    }
}

/// Event `seq`'s place in the tree of `tree_size` events, and the path that proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInclusion {
    pub seq: i64,
    pub leaf_index: u64,
    pub tree_size: u64,
    pub leaf_hash: Hash,
    pub proof: Vec<Hash>,
}

impl Services {
    /// The latest signed checkpoint; `None` before the first is signed.
    pub async fn latest_cosigned_checkpoint(
        &self,
        actor: &Actor,
    ) -> CoreResult<Option<CosignedCheckpoint>> {
        self.authorize(actor, Action::ReadLedgerProofs, &Resource::Ledger)?;
        let Some(checkpoint) = self.store.latest_checkpoint().await? else {
            return Ok(None);
        };
        let cosignatures = self.store.cosignatures(checkpoint.tree_size).await?;
        Ok(Some(CosignedCheckpoint {
            checkpoint,
            cosignatures,
        }))
    }

    /// The inclusion proof of event `seq` in the tree of `size` events; without a size, in the
    /// tree of the latest checkpoint (so the proof checks against a signed root).
    pub async fn event_inclusion(
        &self,
        actor: &Actor,
        seq: i64,
        size: Option<u64>,
    ) -> CoreResult<EventInclusion> {
        self.authorize(actor, Action::ReadLedgerProofs, &Resource::Ledger)?;
        let tree = self.store.log_size().await?;
        let size = match size {
            Some(size) => size,
            None => self
                .store
                .latest_checkpoint()
                .await?
                .map(|c| c.tree_size)
                .ok_or_else(|| {
                    CoreError::Conflict(
                        "no checkpoint has been signed yet: ask again after the next one, or name a size"
                            .to_owned(),
                    )
                })?,
        };
        check_size("size", size, tree)?;
        let leaf_index = u64::try_from(seq)
            .ok()
            .and_then(|s| s.checked_sub(1))
            .filter(|index| *index < size)
            .ok_or_else(|| {
                CoreError::invalid(
                    "seq",
                    format!("event {seq} is not among the first {size} events"),
                )
            })?;
        let leaf_hash = *self
            .store
            .log_nodes(&[(0, leaf_index)])
            .await?
            .get(&(0, leaf_index))
            .ok_or(CoreError::NotFound("event"))?;
        let proof = self.log_inclusion_proof(seq, size).await?;
        Ok(EventInclusion {
            seq,
            leaf_index,
            tree_size: size,
            leaf_hash,
            proof,
        })
    }

    /// The proof that the tree of `from` events is a prefix of the tree of `to` events.
    pub async fn tree_consistency(
        &self,
        actor: &Actor,
        from: u64,
        to: u64,
    ) -> CoreResult<Vec<Hash>> {
        self.authorize(actor, Action::ReadLedgerProofs, &Resource::Ledger)?;
        let tree = self.store.log_size().await?;
        check_size("to", to, tree)?;
        if from == 0 || from > to {
            return Err(CoreError::invalid(
                "from",
                format!("from must be between 1 and to ({to})"),
            ));
        }
        self.log_consistency_proof(from, to).await
    }
}

fn check_size(field: &'static str, size: u64, tree: u64) -> CoreResult<()> {
    if size == 0 || size > tree {
        return Err(CoreError::invalid(
            field,
            format!("{field} must be between 1 and the {tree} events the log's tree holds"),
        ));
    }
    Ok(())
}
