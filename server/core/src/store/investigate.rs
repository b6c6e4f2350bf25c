//! What incident tracing reads: the decisions that named a subject (newest first, through
//! `decision_subjects`), the change versions citing decisions (`change_citations`) and the
//! changes published at a target reference. Citations are written beside the version that
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

/// Where a page of a subject's decisions starts: strictly older than this decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionCursor {
    pub decided_at_ms: i64,
    pub decision_id: String,
}

#[async_trait]
pub trait InvestigateReads {
    /// The decisions whose answer names `subject`, newest first, at most `limit`, older than
    /// `before` when given.
    async fn subject_decisions(
        &self,
        subject: &str,
        before: Option<&DecisionCursor>,
        limit: i64,
    ) -> Result<Vec<AccessDecisionRow>, StoreError>;
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

/// The page of ids is taken from the index first, then each decision by its key: the plan
/// stays a walk of one subject's index entries however the tables' statistics stand.
pub(super) const SUBJECT_DECISIONS: &str = "SELECT d.id, d.nhi_id, d.workflow_id, d.step_id, \
     d.purpose, d.request_json, d.response_json, d.decided_at, d.expires_at \
     FROM (SELECT decision_id, decided_at FROM decision_subjects \
           WHERE subject = $1 \
             AND (decided_at < $2 OR (decided_at = $2 AND decision_id < $3)) \
           ORDER BY decided_at DESC, decision_id DESC LIMIT $4) s \
     JOIN access_decisions d ON d.id = s.decision_id \
     ORDER BY s.decided_at DESC, s.decision_id DESC";
pub(super) const SUBJECT_COUNT: &str = "SELECT COUNT(*) FROM decision_subjects WHERE subject = $1";
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

/// A cursor beyond every decision: the first page.
pub(super) fn start(before: Option<&DecisionCursor>) -> (i64, &str) {
    match before {
        Some(c) => (c.decided_at_ms, c.decision_id.as_str()),
        None => (i64::MAX, ""),
    }
}

macro_rules! investigate_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::investigate::InvestigateReads for $store {
            async fn subject_decisions(
                &self,
                subject: &str,
                before: Option<&super::investigate::DecisionCursor>,
                limit: i64,
            ) -> Result<Vec<crate::store::AccessDecisionRow>, crate::store::StoreError> {
                let (at, id) = super::investigate::start(before);
                sqlx::query(super::investigate::SUBJECT_DECISIONS)
                    .bind(subject)
                    .bind(at)
                    .bind(id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(super::consent::decision_from_row)
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
