//! What incident tracing reads: the decisions that named a subject (newest recorded first,
//! through the posting lists of `subject_postings`), the change versions citing decisions
//! (`change_citations`) and the changes published at a target reference. Citations are written beside the version that
//! makes them, by SQL each backend supplies ([`InvestigateIndex`]); subjects behind the
//! decisions (see `subject_index`).

use super::{AccessDecisionRow, StoreError};
use async_trait::async_trait;

/// The backend's SQL for the citation index: `CITATIONS` binds a provenance's JSON, the change
/// id and the version.
pub(super) trait InvestigateIndex {
    const CITATIONS: &'static str;
}

/// One change version's citation of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub decision_id: String,
    pub change_id: String,
    pub version: i64,
}

/// Where a page of a subject's decisions starts: recorded strictly before this ledger sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionCursor {
    pub seq: i64,
}

/// A decision with the ledger sequence of its `access.decided` event.
#[derive(Debug, Clone)]
pub struct RecordedDecision {
    pub seq: i64,
    pub row: AccessDecisionRow,
}

#[async_trait]
pub trait InvestigateReads {
    /// The decisions whose answer names `subject`, newest recorded first, at most `limit`,
    /// recorded before `before` when given. Only what the subject index holds (see
    /// `SubjectIndexing`).
    async fn subject_decisions(
        &self,
        subject: &str,
        before: Option<DecisionCursor>,
        limit: i64,
    ) -> Result<Vec<RecordedDecision>, StoreError>;
    /// How many decisions name `subject`.
    async fn subject_decision_count(&self, subject: &str) -> Result<i64, StoreError>;
    /// Every change version citing one of `decisions` (at most a few hundred ids).
    async fn citations_of(&self, decisions: &[String]) -> Result<Vec<Citation>, StoreError>;
    /// The changes whose target (or one of whose variants' target) is `reference`, newest
    /// first, at most `limit`.
    async fn changes_at_target(
        &self,
        reference: &str,
        limit: i64,
    ) -> Result<Vec<String>, StoreError>;
}

pub(super) const SUBJECT_COUNT: &str =
    "SELECT COALESCE(SUM(decisions), 0) FROM subject_postings WHERE subject = $1";
pub(super) const AT_TARGET: &str = "SELECT id FROM ( \
     SELECT id, created_at FROM change_requests WHERE target_ref = $1 \
     UNION \
     SELECT c.id, c.created_at FROM change_variants v \
     JOIN change_requests c ON c.id = v.change_id WHERE v.target_ref = $1 \
     ) t ORDER BY created_at DESC, id DESC LIMIT $2";

/// `SELECT … WHERE decision_id IN ($1, …, $n)`.
pub(super) fn citations_sql(count: usize) -> String {
    let marks: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT decision_id, change_id, version FROM change_citations \
         WHERE decision_id IN ({}) ORDER BY change_id, version",
        marks.join(", ")
    )
}

macro_rules! investigate_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::investigate::InvestigateReads for $store {
            async fn subject_decisions(
                &self,
                subject: &str,
                before: Option<super::investigate::DecisionCursor>,
                limit: i64,
            ) -> Result<Vec<super::investigate::RecordedDecision>, crate::store::StoreError> {
                use sqlx::Row;
                let before = before.map_or(i64::MAX, |c| c.seq);
                sqlx::query(<$store as super::subject_index::SubjectIndexSql>::SUBJECT_DECISIONS)
                    .bind(subject)
                    .bind(before)
                    .bind(limit.saturating_add(1))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| {
                        Ok(super::investigate::RecordedDecision {
                            seq: row.try_get("seq")?,
                            row: super::consent::decision_from_row(row)?,
                        })
                    })
                    .collect()
            }

            async fn subject_decision_count(
                &self,
                subject: &str,
            ) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::investigate::SUBJECT_COUNT)
                    .bind(subject)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn citations_of(
                &self,
                decisions: &[String],
            ) -> Result<Vec<super::investigate::Citation>, crate::store::StoreError> {
                if decisions.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = super::investigate::citations_sql(decisions.len());
                let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql).persistent(false);
                for id in decisions {
                    query = query.bind(id);
                }
                Ok(query
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(
                        |(decision_id, change_id, version)| super::investigate::Citation {
                            decision_id,
                            change_id,
                            version,
                        },
                    )
                    .collect())
            }

            async fn changes_at_target(
                &self,
                reference: &str,
                limit: i64,
            ) -> Result<Vec<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::investigate::AT_TARGET)
                    .bind(reference)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

pub(super) use investigate_sql;
