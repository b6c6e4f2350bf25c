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

#[async_trait]
pub trait SubjectIndexing {
    /// Indexes the subjects of at most `max_decisions` decisions after the mark and moves the
    /// mark past them; returns how many decisions were indexed (0: the index is up to date).
    async fn index_decision_subjects(&self, max_decisions: i64) -> Result<usize, StoreError>;
}

/// Locks the mark first: a second indexer (another process, or a search catching up) waits
/// here, and SQLite takes its write lock now rather than upgrading later.
pub(super) const LOCK_MARK: &str =
    "UPDATE decision_index_mark SET seq = seq WHERE id = 1 RETURNING seq";
pub(super) const HEAD: &str = "SELECT seq FROM ledger_head WHERE id = 1";
/// Whether anything was appended after the mark, read without a lock.
pub(super) const BEHIND: &str = "SELECT h.seq > m.seq FROM ledger_head h, decision_index_mark m \
     WHERE h.id = 1 AND m.id = 1";
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
    const INSERT_SUBJECTS: &'static str;
}

macro_rules! subject_index_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::subject_index::SubjectIndexing for $store {
            async fn index_decision_subjects(
                &self,
                max_decisions: i64,
            ) -> Result<usize, crate::store::StoreError> {
                use super::subject_index as ix;
                let behind: bool = sqlx::query_scalar(ix::BEHIND).fetch_one(&self.pool).await?;
                if !behind || max_decisions < 1 {
                    return Ok(0);
                }
                let mut tx = self.write_pool().begin().await?;
                let mark: i64 = sqlx::query_scalar(ix::LOCK_MARK)
                    .fetch_one(&mut *tx)
                    .await?;
                let head: i64 = sqlx::query_scalar(ix::HEAD).fetch_one(&mut *tx).await?;
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
                Ok(usize::try_from(decisions).unwrap_or(0))
            }
        }
    };
}

pub(super) use subject_index_sql;
