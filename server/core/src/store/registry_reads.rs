//! What the workflow and identity pages read beyond the lists: the workflows an identity
//! performs a step in, its newest decisions and drafts, and how many of its tokens are live.

use super::{AccessDecisionRow, StoreError};
use crate::domain::{ChangeRequest, NhiId, Performer, Workflow};
use async_trait::async_trait;

#[async_trait]
pub trait RegistryReads {
    /// Every workflow one of whose steps one of `nhis` performs (at most a page of ids).
    async fn workflows_performed_by(&self, nhis: &[NhiId]) -> Result<Vec<Workflow>, StoreError>;
    /// This identity's newest access decisions, at most `limit`.
    async fn nhi_decisions(
        &self,
        nhi: NhiId,
        limit: i64,
    ) -> Result<Vec<AccessDecisionRow>, StoreError>;
    /// The newest changes this identity drafted, at most `limit`.
    async fn nhi_changes(&self, nhi: NhiId, limit: i64) -> Result<Vec<ChangeRequest>, StoreError>;
    /// How many of this identity's access tokens expire after `now_ms`.
    async fn live_token_count(&self, nhi: NhiId, now_ms: i64) -> Result<i64, StoreError>;
}

/// The stored form of a step performed by each of `nhis`, exactly as steps are written.
pub(super) fn performers(nhis: &[NhiId]) -> Result<Vec<String>, StoreError> {
    nhis.iter()
        .map(|id| {
            serde_json::to_string(&Performer::Nhi(*id))
                .map_err(|e| StoreError::Corrupt(format!("performer: {e}")))
        })
        .collect()
}

pub(super) const NHI_DECISIONS: &str = "SELECT id, nhi_id, workflow_id, step_id, purpose, \
     request_json, response_json, decided_at, expires_at FROM access_decisions \
     WHERE nhi_id = $1 ORDER BY decided_at DESC, id DESC LIMIT $2";
pub(super) const LIVE_TOKENS: &str =
    "SELECT COUNT(*) FROM access_tokens WHERE nhi_id = $1 AND expires_at > $2";

pub(super) fn nhi_changes_sql() -> String {
    format!(
        "SELECT {} FROM change_requests WHERE nhi_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2",
        super::changes::CHANGE_COLUMNS
    )
}

macro_rules! registry_reads_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::registry_reads::RegistryReads for $store {
            async fn workflows_performed_by(
                &self,
                nhis: &[crate::domain::NhiId],
            ) -> Result<Vec<crate::domain::Workflow>, crate::store::StoreError> {
                if nhis.is_empty() {
                    return Ok(Vec::new());
                }
                let performers = super::registry_reads::performers(nhis)?;
                let sql = super::workflows::workflow_query(super::workflows::Which::PerformedBy(
                    performers.len(),
                ));
                let mut query = sqlx::query(&sql).persistent(false);
                for performer in &performers {
                    query = query.bind(performer);
                }
                let rows = query.fetch_all(&self.pool).await?;
                super::workflows::group_workflows(&rows)
            }

            async fn nhi_decisions(
                &self,
                nhi: crate::domain::NhiId,
                limit: i64,
            ) -> Result<Vec<crate::store::AccessDecisionRow>, crate::store::StoreError> {
                sqlx::query(super::registry_reads::NHI_DECISIONS)
                    .bind(nhi.to_string())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(super::consent::decision_from_row)
                    .collect()
            }

            async fn nhi_changes(
                &self,
                nhi: crate::domain::NhiId,
                limit: i64,
            ) -> Result<Vec<crate::domain::ChangeRequest>, crate::store::StoreError> {
                sqlx::query(&super::registry_reads::nhi_changes_sql())
                    .bind(nhi.to_string())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(super::changes::change_from_row)
                    .collect()
            }

            async fn live_token_count(
                &self,
                nhi: crate::domain::NhiId,
                now_ms: i64,
            ) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::registry_reads::LIVE_TOKENS)
                    .bind(nhi.to_string())
                    .bind(now_ms)
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}

pub(super) use registry_reads_sql;
