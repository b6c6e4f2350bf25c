//! The ledger's Merkle tree and its signed checkpoints (tables `ledger_tree` and
//! `ledger_checkpoints`), shared by both backends through `verifiable_log_sql!`.

use super::StoreError;
use async_trait::async_trait;
use countersign_transparency::Hash;

/// A subtree of the ledger's tree: `level` 0 is a leaf, `idx` counts from the left.
pub type NodeKey = (u32, u64);

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub tree_size: u64,
    pub root_hash: Hash,
    /// The signed note, exactly as signed.
    pub note: String,
    pub key_name: String,
    /// The key id, hex.
    pub key_id: String,
    pub signed_at_ms: i64,
}

#[async_trait]
pub trait LogStore {
    /// How many events the tree holds.
    async fn log_size(&self) -> Result<u64, StoreError>;
    /// The stored hashes of these subtrees (missing ones are left out).
    async fn log_nodes(
        &self,
        keys: &[NodeKey],
    ) -> Result<std::collections::HashMap<NodeKey, Hash>, StoreError>;
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// Every checkpoint, smallest first.
    async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// The largest tree size `witness` cosigned (0 when none).
    async fn last_cosigned(&self, witness: &str) -> Result<u64, StoreError>;
    /// The cosignature lines kept for the checkpoint of `tree_size`.
    async fn cosignatures(&self, tree_size: u64) -> Result<Vec<String>, StoreError>;
    /// The smallest checkpoint whose tree holds at least `size` events.
    async fn checkpoint_covering(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// The ids of every change drafted in a workflow (a workflow's evidence pack).
    async fn change_ids_in_workflow(
        &self,
        workflow: crate::domain::WorkflowId,
    ) -> Result<Vec<String>, StoreError>;
    /// Every event about one of `subjects`, oldest first (an evidence pack's events).
    async fn events_about(
        &self,
        subjects: &[String],
    ) -> Result<Vec<crate::ledger::StoredEvent>, StoreError>;
}

#[async_trait]
pub trait LogWrites {
    async fn log_size_in_tx(&mut self) -> Result<u64, StoreError>;
    async fn log_node_in_tx(&mut self, key: NodeKey) -> Result<Option<Hash>, StoreError>;
    async fn insert_log_nodes(&mut self, nodes: &[(NodeKey, Hash)]) -> Result<(), StoreError>;
    async fn events_after_in_tx(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<crate::ledger::StoredEvent>, StoreError>;
    /// Stores a checkpoint; false when one of that size is there already (another process
    /// signed it first).
    async fn insert_checkpoint(
        &mut self,
        checkpoint: &StoredCheckpoint,
    ) -> Result<bool, StoreError>;
    /// Keeps a verified cosignature line; false when that witness's is there already.
    async fn insert_cosignature(
        &mut self,
        tree_size: u64,
        witness: &str,
        line: &str,
        cosigned_at: i64,
    ) -> Result<bool, StoreError>;
}

/// The checkpointer's transaction (see `Store::begin_log_write`).
#[async_trait]
pub trait LogTx: LogWrites + Send {
    async fn commit_log(self: Box<Self>) -> Result<(), StoreError>;
}

pub(super) const SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_tree WHERE level = 0";
pub(super) const NODE: &str = "SELECT hash FROM ledger_tree WHERE level = $1 AND idx = $2";
pub(super) const LATEST: &str =
    "SELECT tree_size, root_hash, note, key_name, key_id, signed_at_ms \
     FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1";
pub(super) const ALL: &str = "SELECT tree_size, root_hash, note, key_name, key_id, signed_at_ms \
     FROM ledger_checkpoints ORDER BY tree_size";
pub(super) const COVERING: &str =
    "SELECT tree_size, root_hash, note, key_name, key_id, signed_at_ms \
     FROM ledger_checkpoints WHERE tree_size >= $1 ORDER BY tree_size LIMIT 1";
/// Subjects per `IN (…)` list, well under both backends' parameter limits.
pub(super) const SUBJECT_BATCH: usize = 500;

/// `$1, $2, …` for `n` values.
pub(super) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) const LAST_COSIGNED: &str =
    "SELECT COALESCE(MAX(tree_size), 0) FROM ledger_cosignatures WHERE witness = $1";
pub(super) const COSIGNATURES: &str =
    "SELECT line FROM ledger_cosignatures WHERE tree_size = $1 ORDER BY witness";
pub(super) const INSERT_COSIGNATURE: &str = "INSERT INTO ledger_cosignatures \
     (tree_size, witness, line, cosigned_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (tree_size, witness) DO NOTHING";
pub(super) const INSERT_CHECKPOINT: &str = "INSERT INTO ledger_checkpoints \
     (tree_size, root_hash, note, key_name, key_id, signed_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (tree_size) DO NOTHING";
/// Rows per multi-row insert (three parameters each, well under both backends' limits).
pub(super) const INSERT_BATCH: usize = 300;

pub(super) fn to_hash(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a ledger tree hash is not 32 bytes".to_owned()))
}

pub(super) fn checkpoint_from_row(
    (tree_size, root_hash, note, key_name, key_id, signed_at_ms): (
        i64,
        Vec<u8>,
        String,
        String,
        String,
        i64,
    ),
) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        tree_size: u64::try_from(tree_size)
            .map_err(|_| StoreError::Corrupt("a checkpoint size is negative".to_owned()))?,
        root_hash: to_hash(root_hash)?,
        note,
        key_name,
        key_id,
        signed_at_ms,
    })
}

/// `(level = $1 AND idx = $2) OR …` for `n` keys.
pub(super) fn node_filter(n: usize) -> String {
    (0..n)
        .map(|i| format!("(level = ${} AND idx = ${})", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `($1, $2, $3), …` for `n` rows.
pub(super) fn node_values(n: usize) -> String {
    (0..n)
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect::<Vec<_>>()
        .join(", ")
}

macro_rules! verifiable_log_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::verifiable_log::LogStore for $store {
            async fn log_size(&self) -> Result<u64, crate::store::StoreError> {
                let size: i64 = sqlx::query_scalar(super::verifiable_log::SIZE)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(size as u64)
            }

            async fn log_nodes(
                &self,
                keys: &[super::verifiable_log::NodeKey],
            ) -> Result<
                std::collections::HashMap<
                    super::verifiable_log::NodeKey,
                    countersign_transparency::Hash,
                >,
                crate::store::StoreError,
            > {
                let mut found = std::collections::HashMap::new();
                for chunk in keys.chunks(super::verifiable_log::INSERT_BATCH) {
                    let sql = format!(
                        "SELECT level, idx, hash FROM ledger_tree WHERE {}",
                        super::verifiable_log::node_filter(chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, (i32, i64, Vec<u8>)>(&sql);
                    for (level, idx) in chunk {
                        query = query.bind(*level as i32).bind(*idx as i64);
                    }
                    for (level, idx, hash) in query.fetch_all(&self.pool).await? {
                        found.insert(
                            (level as u32, idx as u64),
                            super::verifiable_log::to_hash(hash)?,
                        );
                    }
                }
                Ok(found)
            }

            async fn latest_checkpoint(
                &self,
            ) -> Result<Option<super::verifiable_log::StoredCheckpoint>, crate::store::StoreError>
            {
                sqlx::query_as(super::verifiable_log::LATEST)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(super::verifiable_log::checkpoint_from_row)
                    .transpose()
            }

            async fn checkpoint_covering(
                &self,
                size: u64,
            ) -> Result<Option<super::verifiable_log::StoredCheckpoint>, crate::store::StoreError>
            {
                sqlx::query_as(super::verifiable_log::COVERING)
                    .bind(size as i64)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(super::verifiable_log::checkpoint_from_row)
                    .transpose()
            }

            async fn change_ids_in_workflow(
                &self,
                workflow: crate::domain::WorkflowId,
            ) -> Result<Vec<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM change_requests WHERE workflow_id = $1 ORDER BY id",
                )
                .bind(workflow.to_string())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn events_about(
                &self,
                subjects: &[String],
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                let mut events = Vec::new();
                for chunk in subjects.chunks(super::verifiable_log::SUBJECT_BATCH) {
                    let sql = format!(
                        "SELECT {} FROM audit_events WHERE subject IN ({})",
                        super::sql::EVENT_COLUMNS,
                        super::verifiable_log::placeholders(chunk.len())
                    );
                    let mut query = sqlx::query(&sql);
                    for subject in chunk {
                        query = query.bind(subject);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        events.push(super::sql::event_from_row(&row)?);
                    }
                }
                events.sort_by_key(|e| e.seq);
                events.dedup_by_key(|e| e.seq);
                Ok(events)
            }

            async fn last_cosigned(&self, witness: &str) -> Result<u64, crate::store::StoreError> {
                let size: i64 = sqlx::query_scalar(super::verifiable_log::LAST_COSIGNED)
                    .bind(witness)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(size as u64)
            }

            async fn cosignatures(
                &self,
                tree_size: u64,
            ) -> Result<Vec<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::verifiable_log::COSIGNATURES)
                    .bind(tree_size as i64)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn checkpoints(
                &self,
            ) -> Result<Vec<super::verifiable_log::StoredCheckpoint>, crate::store::StoreError>
            {
                sqlx::query_as(super::verifiable_log::ALL)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::verifiable_log::checkpoint_from_row)
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl super::verifiable_log::LogTx for $tx {
            async fn commit_log(self: Box<Self>) -> Result<(), crate::store::StoreError> {
                // The ledger head is left as it is: this transaction appends no event.
                self.tx.commit().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl super::verifiable_log::LogWrites for $tx {
            async fn log_size_in_tx(&mut self) -> Result<u64, crate::store::StoreError> {
                let size: i64 = sqlx::query_scalar(super::verifiable_log::SIZE)
                    .fetch_one(&mut *self.tx)
                    .await?;
                Ok(size as u64)
            }

            async fn log_node_in_tx(
                &mut self,
                (level, idx): super::verifiable_log::NodeKey,
            ) -> Result<Option<countersign_transparency::Hash>, crate::store::StoreError> {
                let hash: Option<Vec<u8>> = sqlx::query_scalar(super::verifiable_log::NODE)
                    .bind(level as i32)
                    .bind(idx as i64)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                hash.map(super::verifiable_log::to_hash).transpose()
            }

            async fn insert_log_nodes(
                &mut self,
                nodes: &[(
                    super::verifiable_log::NodeKey,
                    countersign_transparency::Hash,
                )],
            ) -> Result<(), crate::store::StoreError> {
                for chunk in nodes.chunks(super::verifiable_log::INSERT_BATCH) {
                    let sql = format!(
                        "INSERT INTO ledger_tree (level, idx, hash) VALUES {}",
                        super::verifiable_log::node_values(chunk.len())
                    );
                    let mut query = sqlx::query(&sql);
                    for ((level, idx), hash) in chunk {
                        query = query
                            .bind(*level as i32)
                            .bind(*idx as i64)
                            .bind(hash.to_vec());
                    }
                    query.execute(&mut *self.tx).await?;
                }
                Ok(())
            }

            async fn events_after_in_tx(
                &mut self,
                after: i64,
                limit: i64,
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM audit_events WHERE seq > $1 ORDER BY seq ASC LIMIT $2",
                    super::sql::EVENT_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.iter().map(super::sql::event_from_row).collect()
            }

            async fn insert_cosignature(
                &mut self,
                tree_size: u64,
                witness: &str,
                line: &str,
                cosigned_at: i64,
            ) -> Result<bool, crate::store::StoreError> {
                Ok(sqlx::query(super::verifiable_log::INSERT_COSIGNATURE)
                    .bind(tree_size as i64)
                    .bind(witness)
                    .bind(line)
                    .bind(cosigned_at)
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn insert_checkpoint(
                &mut self,
                checkpoint: &super::verifiable_log::StoredCheckpoint,
            ) -> Result<bool, crate::store::StoreError> {
                Ok(sqlx::query(super::verifiable_log::INSERT_CHECKPOINT)
                    .bind(checkpoint.tree_size as i64)
                    .bind(checkpoint.root_hash.to_vec())
                    .bind(&checkpoint.note)
                    .bind(&checkpoint.key_name)
                    .bind(&checkpoint.key_id)
                    .bind(checkpoint.signed_at_ms)
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected()
                    == 1)
            }
        }
    };
}

pub(super) use verifiable_log_sql;
