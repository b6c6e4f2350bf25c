//! Investigate's subject index (`decision_subjects`), written behind the decisions rather than
//! inside each one: a decision's hundred subjects scattered over the index's B-tree cost more
//! than the rest of the decision. The indexer takes the decisions appended to the ledger after
//! its mark (`decision_index_mark`, a ledger sequence) and writes their subjects, sorted as the
//! index keeps them, in one statement inside the database, with the new mark.
//!
//! The mark is safe because appends are serialised by the ledger head's lock until commit: the
//! committed sequences are always a prefix, so nothing at or below the head read here can still
//! appear later.

use super::StoreError;
use async_trait::async_trait;

/// What one indexing batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedBatch {
    /// Decisions indexed by this batch (0: nothing to do up to `bound`).
    pub decisions: usize,
    /// The mark after this batch.
    pub mark: i64,
    /// The sequence this batch was allowed to reach: the ledger head when it ran, or the
    /// caller's `up_to` if lower. A caller catching up to one moment passes it back as `up_to`.
    pub bound: i64,
}

impl IndexedBatch {
    pub fn reached_bound(&self) -> bool {
        self.mark >= self.bound
    }
}

#[async_trait]
pub trait SubjectIndexing {
    /// Indexes the subjects of at most `max_decisions` decisions after the mark, none beyond
    /// `up_to` (or the ledger head), and moves the mark past them.
    async fn index_decision_subjects(
        &self,
        max_decisions: i64,
        up_to: Option<i64>,
    ) -> Result<IndexedBatch, StoreError>;
}

/// Locks the mark first: a second indexer (another process, or a search catching up) waits
/// here, and SQLite takes its write lock now rather than upgrading later.
pub(super) const LOCK_MARK: &str =
    "UPDATE decision_index_mark SET seq = seq WHERE id = 1 RETURNING seq";
pub(super) const HEAD: &str = "SELECT seq FROM ledger_head WHERE id = 1";
/// Whether anything was appended after the mark, read without a lock.
pub(super) const MARK_AND_HEAD: &str = "SELECT m.seq, h.seq FROM ledger_head h, \
     decision_index_mark m WHERE h.id = 1 AND m.id = 1";
pub(super) const MOVE_MARK: &str = "UPDATE decision_index_mark SET seq = $1 WHERE id = 1";
/// The sequence of the `$3 + 1`-th decision after the mark (none: fewer remain up to the head).
pub(super) const BATCH_END: &str = "SELECT seq FROM audit_events \
     WHERE seq > $1 AND seq <= $2 AND action = 'access.decided' ORDER BY seq LIMIT 1 OFFSET $3";
pub(super) const BATCH_SIZE: &str = "SELECT COUNT(*) FROM audit_events \
     WHERE seq > $1 AND seq <= $2 AND action = 'access.decided'";

/// The backend's statement writing the subjects of the decisions whose events lie in
/// (`$1`, `$2`], in the index's order (an answer names a subject once: the request refuses
/// duplicates, and a subject is allowed or denied). Events name a decision
/// `decision:<id>`.
pub(super) trait SubjectIndexSql {
    /// Run first in the batch's transaction when not empty (settings for that transaction).
    const BEFORE_BATCH: &'static str;
    const INSERT_SUBJECTS: &'static str;
}

macro_rules! subject_index_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::subject_index::SubjectIndexing for $store {
            async fn index_decision_subjects(
                &self,
                max_decisions: i64,
                up_to: Option<i64>,
            ) -> Result<super::subject_index::IndexedBatch, crate::store::StoreError> {
                use super::subject_index as ix;
                let bounded = |head: i64| up_to.map_or(head, |u| u.min(head));
                let (mark, head): (i64, i64) = sqlx::query_as(ix::MARK_AND_HEAD)
                    .fetch_one(&self.pool)
                    .await?;
                if mark >= bounded(head) || max_decisions < 1 {
                    return Ok(ix::IndexedBatch {
                        decisions: 0,
                        mark,
                        bound: bounded(head),
                    });
                }
                let mut tx = self.write_pool().begin().await?;
                let mark: i64 = sqlx::query_scalar(ix::LOCK_MARK)
                    .fetch_one(&mut *tx)
                    .await?;
                let head: i64 = sqlx::query_scalar(ix::HEAD).fetch_one(&mut *tx).await?;
                let head = bounded(head);
                if mark >= head {
                    tx.commit().await?;
                    return Ok(ix::IndexedBatch {
                        decisions: 0,
                        mark,
                        bound: head,
                    });
                }
                let end: i64 = sqlx::query_scalar(ix::BATCH_END)
                    .bind(mark)
                    .bind(head)
                    .bind(max_decisions - 1)
                    .fetch_optional(&mut *tx)
                    .await?
                    .unwrap_or(head);
                let decisions: i64 = sqlx::query_scalar(ix::BATCH_SIZE)
                    .bind(mark)
                    .bind(end)
                    .fetch_one(&mut *tx)
                    .await?;
                if decisions > 0 {
                    let before = <$store as ix::SubjectIndexSql>::BEFORE_BATCH;
                    if !before.is_empty() {
                        sqlx::query(before).execute(&mut *tx).await?;
                    }
                    sqlx::query(<$store as ix::SubjectIndexSql>::INSERT_SUBJECTS)
                        .bind(mark)
                        .bind(end)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(ix::MOVE_MARK)
                    .bind(end)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(ix::IndexedBatch {
                    decisions: usize::try_from(decisions).unwrap_or(0),
                    mark: end,
                    bound: head,
                })
            }
        }
    };
}

pub(super) use subject_index_sql;
